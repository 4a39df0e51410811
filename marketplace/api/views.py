"""The JSON API, version 1: what the marketplace shows, for other programs. Described in openapi.json."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.api import tokens
from marketplace.api.document import OPENAPI, refuse_what_the_document_refuses
from marketplace.db import db, utcnow
from marketplace.discovery.params import parse_search
from marketplace.discovery.snippets import marked
from marketplace.errors import DomainError, NotFound
from marketplace.guards import moved_permanently
from marketplace.i18n import status_title
from marketplace.limits import limit
from marketplace.money import round_money
from marketplace.problems import problem
from marketplace.producers import services
from marketplace.producers.cards import GroupCard
from marketplace.producers.models import Capability, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES, is_country
from marketplace.queryargs import encode_listing_cursor, listing_cursor, whole_number
from search.query import Hit, InvalidQuery, SearchUnavailable
from search.service import find_groups

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
limit("API")(blueprint)

MAX_PER_PAGE = 100


def _money(value: Any, currency: str) -> str:
    """An amount as a JSON string with the currency's own decimals ("12.50" USD, "250001" UGX)."""
    return str(round_money(value, currency))


def capability_json(capability: Capability, today: dt.date) -> dict[str, Any]:
    calendar = services.capacity_calendar(capability, today, 12)
    return {
        "id": capability.id,
        "category": capability.category,
        "category_name": CATEGORIES[capability.category].english_label,
        "title": capability.title,
        "materials": capability.materials,
        "techniques": capability.techniques,
        "moq": capability.moq,
        "lead_time_days": capability.lead_time_days,
        "unit_price": {
            "min": _money(capability.price_min, capability.currency),
            "max": _money(capability.price_max, capability.currency),
            "currency": capability.currency,
        },
        "weekly_capacity": capability.weekly_capacity,
        "capacity": [
            {"week_start": w.week_start.isoformat(), "available": w.available, "committed": w.committed} for w in calendar
        ],
    }


def group_summary(group: GroupCard | ProducerGroup) -> dict[str, Any]:
    """Return what the API shows of a group in a list: a card read as rows (`marketplace.producers.cards`) or an entity."""
    if isinstance(group, GroupCard):
        categories, schemes = group.categories, [c.scheme for c in group.certifications]
    else:
        categories, schemes = [c.category for c in group.capabilities], [c.scheme for c in group.certifications]
    return {
        "slug": group.slug,
        "name": group.name,
        "country": group.country,
        "region": group.region,
        "city": group.city,
        "artisan_count": group.artisan_count,
        "verified": group.verified,
        "rating": None if group.rating is None else float(group.rating),
        "categories": sorted(set(categories)),
        "certifications": schemes,
        "url": url_for("api.group", slug=group.slug, _external=False),
    }


def group_detail(group: ProducerGroup, today: dt.date) -> dict[str, Any]:
    return {
        **group_summary(group),
        "story": group.story,
        "location": None if group.latitude is None else {"lat": group.latitude, "lon": group.longitude},
        "women_share": group.women_share,
        "youth_share": group.youth_share,
        "languages": group.languages,
        "response_time_hours": group.response_time_hours,
        "certifications": [
            {
                "scheme": c.scheme,
                "name": c.title,
                "verified": c.checked,
                "self_declared": c.self_declared,
                "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            }
            for c in group.certifications
        ],
        "capabilities": [capability_json(c, today) for c in group.capabilities],
        "products": [
            {
                "sku": p.sku,
                "title": p.title,
                "category": p.category,
                "materials": p.materials,
                "moq": p.moq,
                "lead_time_days": p.lead_time_days,
                "currency": p.currency,
                "price_tiers": [
                    {"min_quantity": t.min_quantity, "unit_price": _money(t.unit_price, p.currency)} for t in p.price_tiers
                ],
            }
            for p in group.products
        ],
    }


@blueprint.before_request
def _refuse_what_the_document_refuses() -> None:
    if request.url_rule is not None:
        refuse_what_the_document_refuses(request.args, request.url_rule.rule)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    return whole_number(request.args, name, low=low, high=high, default=default)  # type: ignore[return-value]


@blueprint.get("/groups")
def groups() -> Response:
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 24, 1, MAX_PER_PAGE)
    country = request.args.get("country")
    if country is not None and not is_country(country):
        raise DomainError(_("country must be an ISO 3166 two-letter code."), field="country")
    category = request.args.get("category")
    if category is not None and category not in CATEGORIES:
        raise DomainError(_("category must be a code from the taxonomy."), field="category")
    after = listing_cursor(request.args, "after")
    items, total = services.list_groups(db.session, country=country, category=category, page=page, per_page=per_page, after=after)
    # The next page's cursor while this one is full: following it costs the same however deep it goes.
    next_after = encode_listing_cursor(services.listing_key(items[-1])) if len(items) == per_page else None
    return jsonify(
        {"items": [group_summary(g) for g in items], "total": total, "page": page, "per_page": per_page, "next": next_after}
    )


@blueprint.get("/groups/<slug>")
def group(slug: str) -> Response:
    try:
        found = services.api_group(db.session, slug)
    except NotFound:
        if (current := services.moved_to(db.session, slug)) is None:
            raise
        return moved_permanently(url_for("api.group", slug=current))  # renamed: clients following the old address arrive
    return jsonify(group_detail(found, utcnow().date()))  # the API has no signed-in party: UTC


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "slug": hit.slug,
        "name": hit.name,
        "country": hit.country,
        "region": hit.region,
        "city": hit.city,
        "verified": hit.verified,
        "rating": hit.rating,
        "artisan_count": hit.artisan_count,
        "certifications": hit.certifications,
        "verified_certifications": hit.verified_certifications,
        "score": round(hit.score, 6),
        "distance_km": hit.distance_km,
        "highlights": {name: str(marked(snippet)) for name, snippet in hit.highlights.items()},
        "matches": [
            {
                "category": m.category,
                "label": m.label,
                "title": m.title,
                "materials": m.materials,
                "moq": m.moq,
                "lead_time_days": m.lead_time_days,
                "unit_price": {
                    "min": _money(m.price_min, m.currency),
                    "max": _money(m.price_max, m.currency),
                    "currency": m.currency,
                },
                "units_by_date": m.units_by_date,
            }
            for m in hit.matches
        ],
        "url": url_for("api.group", slug=hit.slug),
    }


@blueprint.get("/search")
def search() -> Response | tuple[Response, int]:
    query = parse_search(request.args)
    try:
        result = find_groups(current_app.extensions["loom.search"], query)
    except InvalidQuery as error:
        raise DomainError(_(str(error)), field="after") from None  # marked with N_ in the search layer
    except SearchUnavailable:
        response = problem(
            503, status_title(503, "Service Unavailable"), _("Search is not answering right now; try again in a minute.")
        )
        response.headers["Retry-After"] = "30"
        return response
    return jsonify(
        {
            "total": result.total,
            "relaxed": result.relaxed,
            "items": [hit_json(h) for h in result.hits],
            "facets": {
                name: [{"value": v.value, "count": v.count, "selected": v.selected} for v in values]
                for name, values in result.facets.items()
            },
            "next": result.next_cursor,
        }
    )


@blueprint.get("/orders/<number>/epcis")
def order_epcis(number: str) -> Response:
    """The order's trace as an EPCIS 2.0 document, for a token of the buyer's (or the group's) organization."""
    from marketplace.orders.models import Order
    from marketplace.trace.epcis import epcis_document
    from marketplace.trace.services import chain_of

    organization = tokens.organization_for(db.session, request.headers.get("Authorization"))
    if organization is None:
        response = problem(
            401,
            status_title(401, "Unauthorized"),
            _("Send `Authorization: Bearer <token>` with a live API token of your organization."),
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="loom"'
        return response
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None or organization.id not in (order.buyer_id, order.group.organization_id):
        return problem(404, status_title(404, "Not Found"), _("No order with that number is your organization's."))
    body = json.dumps(epcis_document(chain_of(db.session, order.id), with_notes=True), ensure_ascii=False)  # a party of the order
    return Response(body, mimetype="application/ld+json")


@blueprint.get("/openapi.json")
def openapi() -> Response:
    document = json.loads(OPENAPI.read_text())
    base = current_app.config["BASE_URL"].rstrip("/")
    document["servers"] = [{"url": base + "/api/v1"}]
    for path in document["paths"].values():  # the EPCIS interface sits at the site's root, beside the API
        for server in path.get("servers", ()):
            server["url"] = base
    return jsonify(document)
