"""The buyer's search page: free text, facets, capacity by date, distance; each hit says why it matched."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from marketplace.accounts.context import today as acting_today
from marketplace.discovery.params import parse_search
from marketplace.errors import DomainError
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, country_name
from search.places import SUGGESTIONS
from search.query import InvalidQuery, SearchUnavailable, Sort
from search.service import find_groups

blueprint = Blueprint("discovery", __name__)

FACET_TITLES = {
    "category": _l("Category"),
    "material": _l("Material"),
    "country": _l("Country"),
    "certification": _l("Certification (claimed or verified)"),
    "verified_certification": _l("Certification verified by Loom"),
    "verified": _l("Verified by Loom"),
}


SORT_LABELS = {Sort.RELEVANCE: _l("Relevance"), Sort.RATING: _l("Rating"), Sort.LEAD_TIME: _l("Lead time"), Sort.DISTANCE: _l("Distance")}


def marked(snippet: str) -> Markup:
    """HTML for a highlighted snippet: the text escaped, the matched words in <mark>."""
    return Markup(str(escape(snippet)).replace("\x02", "<mark>").replace("\x03", "</mark>"))


def facet_label(facet: str, value: str) -> str:
    if facet == "category":
        return CATEGORIES[value].label if value in CATEGORIES else value
    if facet == "country":
        return country_name(value)
    if facet in ("certification", "verified_certification"):
        return CERTIFICATION_SCHEMES[value].name if value in CERTIFICATION_SCHEMES else value
    if facet == "verified":
        return _("Verified") if value == "true" else _("Not yet verified")
    return value


def _without_cursor() -> str:
    args = request.args.copy()
    args.pop("after", None)
    return f"{request.path}?{urlencode(list(args.items(multi=True)))}"


@blueprint.get("/search")
def search() -> tuple[str, int]:
    context: dict[str, Any] = {
        "args": request.args,
        "facet_titles": FACET_TITLES,
        "facet_label": facet_label,
        "marked": marked,
        "places": sorted(SUGGESTIONS),
        "sorts": [(s.value, SORT_LABELS[s]) for s in Sort],
        "result": None,
        "error": None,
        "unavailable": False,
        "first_page_url": _without_cursor(),
    }
    status = 200
    try:
        query = parse_search(request.args, today=acting_today())  # "by date D" in the searcher's calendar
        context["query"] = query
        context["result"] = find_groups(current_app.extensions["loom.search"], query)
    except DomainError as error:
        context["error"] = error
        status = 400
    except InvalidQuery as error:
        context["error"] = DomainError(str(error))
        status = 400
    except SearchUnavailable:
        context["unavailable"] = True
        status = 503
    return render_template("discovery/search.html", **context), status
