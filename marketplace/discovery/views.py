"""The buyer's search page (free text, facets, capacity by date, distance; each hit says why it matched), and a group's
public profile: its listing, capacity, reviews and reputation, and the signed-in buyer's drafts to send it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import ngettext
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from marketplace.accounts import context as acting
from marketplace.accounts.context import today as acting_today
from marketplace.accounts.models import OrganizationKind
from marketplace.db import db
from marketplace.discovery.params import MAX_TEXT, parse_search
from marketplace.discovery.profile import profile_page
from marketplace.discovery.results import facet_fieldsets, facet_label, hit_cards
from marketplace.discovery.sentence import FAIR_TRADE, ORGANIC, understand
from marketplace.errors import DomainError, NotFound
from marketplace.guards import moved_permanently
from marketplace.i18n import format_day, format_number
from marketplace.i18n import gettext as _
from marketplace.i18n import lazy_gettext as _l
from marketplace.producers import services as producers
from marketplace.producers.covers import loaded_cover
from marketplace.sourcing import services as sourcing
from search.places import SUGGESTIONS
from search.query import InvalidQuery, SearchUnavailable, Sort
from search.service import find_groups

blueprint = Blueprint("discovery", __name__)

# The places the "Near" field suggests, as the datalist's options: the same on every page, written once.
PLACE_OPTIONS = Markup("".join(f'<option value="{escape(place)}">' for place in sorted(SUGGESTIONS)))

SORT_LABELS = {
    Sort.RELEVANCE: _l("Relevance"),
    Sort.RATING: _l("Rating"),
    Sort.LEAD_TIME: _l("Lead time"),
    Sort.DISTANCE: _l("Distance"),
}


def _without_cursor() -> str:
    args = request.args.copy()
    args.pop("after", None)
    return f"{request.path}?{urlencode(list(args.items(multi=True)))}"


def _search_url(args: MultiDict[str, str]) -> str:
    return f"{request.path}?{urlencode([(k, v) for k, v in args.items(multi=True) if v != ''])}"


def understood_args(args: MultiDict[str, str], today: dt.date) -> MultiDict[str, str] | None:
    """The search's parameters with what the typed line says moved into filters; None when it says nothing more.

    "2,000 sisal baskets, fair trade" → q=baskets, units=2000, material=sisal, the fair-trade schemes. A field
    the buyer filled in (units, by) wins over the same thing in the line. Raises DomainError for an impossible date.
    """
    line = args.get("q") or ""
    if len(line) > MAX_TEXT:
        return None  # parse_search refuses it, with the reason
    understood = understand(line, today)
    if not understood.found_anything:
        return None
    moved = args.copy()
    moved.pop("after", None)
    moved["q"] = understood.text
    if understood.units and not (args.get("units") or "").strip():
        moved["units"] = str(understood.units)
    if understood.by and not (args.get("by") or "").strip():
        moved["by"] = understood.by.isoformat()
    for name, values in (("certification", understood.certifications), ("material", understood.materials)):
        for value in values:
            if value not in moved.getlist(name):
                moved.add(name, value)
    return moved


@dataclass(frozen=True)
class Chip:
    label: str
    remove_url: str


# Certification families shown as one chip, as the buyer typed them.
_FAMILIES = ((_l("Fair Trade"), FAIR_TRADE), (_l("Organic"), ORGANIC))


def filter_chips(args: MultiDict[str, str]) -> list[Chip]:
    """One removable chip per filter in force: "2,000 units", "sisal", "Fair Trade", "by 31 Mar 2027"."""
    chips: list[Chip] = []

    def without(name: str, values: tuple[str, ...] | None = None) -> str:
        rest = args.copy()
        rest.pop("after", None)
        if values is None:
            rest.pop(name, None)
        else:
            rest.setlist(name, [v for v in rest.getlist(name) if v not in values])
        return _search_url(rest)

    def chip(label: str, name: str, values: tuple[str, ...] | None = None) -> None:
        chips.append(Chip(label, without(name, values)))

    def number(name: str) -> int | None:
        raw = (args.get(name) or "").replace(",", "").replace(" ", "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None

    if (units := number("units")) is not None:
        chip(ngettext("%(count)s unit", "%(count)s units", units, count=format_number(units)), "units")
    for material in args.getlist("material"):
        chip(material, "material", (material,))
    for name, prefix in (("certification", False), ("verified_certification", True)):
        chosen = [c for c in args.getlist(name) if c]
        for label, family in _FAMILIES:
            if set(family) <= set(chosen):
                chip(_("verified %(label)s", label=label) if prefix else label, name, family)
                chosen = [c for c in chosen if c not in family]
        for code in chosen:
            chip(
                _("verified %(label)s", label=facet_label("certification", code))
                if prefix
                else facet_label("certification", code),
                name,
                (code,),
            )
    for code in args.getlist("category"):
        chip(facet_label("category", code), "category", (code,))
    for code in args.getlist("country"):
        chip(facet_label("country", code), "country", (code,))
    if args.get("verified") in ("true", "false"):
        chip(facet_label("verified", args["verified"]), "verified")
    try:
        by = dt.date.fromisoformat((args.get("by") or "").strip())
    except ValueError:
        by = None
    if by is not None:
        chip(_("by %(date)s", date=format_day(by, "d MMM yyyy")), "by")
    if (moq := number("moq")) is not None:
        chip(ngettext("orders of %(count)s unit", "orders of %(count)s units", moq, count=format_number(moq)), "moq")
    if (days := number("max_lead_time")) is not None:
        chip(ngettext("ready within %(num)s day", "ready within %(num)s days", days), "max_lead_time")
    if (args.get("near") or "").strip():
        chip(_("near %(place)s", place=args["near"].strip()[:60]), "near")
    return chips


@blueprint.get("/search")
def search() -> tuple[str, int] | Response:
    context: dict[str, Any] = {
        "args": request.args,
        "facet_fieldsets": facet_fieldsets,
        "hit_cards": hit_cards,
        "place_options": PLACE_OPTIONS,
        "sorts": [(s.value, SORT_LABELS[s]) for s in Sort],
        "result": None,
        "error": None,
        "unavailable": False,
        "first_page_url": _without_cursor(),
        "chips": [],
        "drafts": [],
        "here": request.full_path,
    }
    status = 200
    try:
        moved = understood_args(request.args, acting_today())
        if moved is not None:  # the line said more than words: show the search as filters the buyer can remove
            return redirect(_search_url(moved), 303)
        membership = acting.current_membership()
        if membership is not None and membership.organization.kind == OrganizationKind.BUYER:
            drafts = sourcing.buyer_drafts(db.session, membership)[:3]  # the newest few, one button each per result
            context["drafts"] = [(d, {r.group.slug for r in d.recipients}) for d in drafts]
        query = parse_search(request.args, today=acting_today())  # "by date D" in the searcher's calendar
        context["chips"] = filter_chips(request.args)  # of a search that was read: every value in it is a valid one
        context["query"] = query
        context["result"] = find_groups(current_app.extensions["loom.search"], query)
    except DomainError as error:
        context["error"] = error
        status = 400
    except InvalidQuery as error:
        context["error"] = DomainError(_(str(error)))  # marked with N_ in the search layer
        status = 400
    except SearchUnavailable:
        context["unavailable"] = True
        status = 503
    return render_template("discovery/search.html", **context), status


@blueprint.get("/groups/<slug>")
def profile(slug: str) -> str | Response:
    try:
        page = profile_page(db.session, slug)
    except NotFound:
        if (current := producers.moved_to(db.session, slug)) is None:
            raise
        return moved_permanently(url_for("discovery.profile", slug=current))  # renamed: old links and bookmarks still arrive
    group, today = page.group, acting.today()
    calendars = {c.id: producers.capacity_calendar(c, today, 8) for c in group.capabilities}
    membership = acting.current_membership()
    drafts = (
        sourcing.buyer_drafts(db.session, membership)
        if membership and membership.organization.kind == OrganizationKind.BUYER
        else []
    )
    return render_template(
        "producers/profile.html",
        group=group,
        calendars=calendars,
        drafts=drafts,
        picture=loaded_cover(group),
        reputation=page.record,
        reviews=page.reviews,
    )
