"""Read a search from URL parameters (the search page and the API share it); refuse bad input clearly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.producers.capacity import MAX_WEEKS, WEEK
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, is_country, is_currency
from marketplace.queryargs import decimal_number, iso_date, whole_number
from marketplace.text import clean_line
from search.materials import canonical_material
from search.places import AmbiguousPlace, UnknownPlace, locate
from search.query import CapacityNeed, Near, SearchQuery, Sort

MAX_PAGE_SIZE = 100


def _int(args: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    return whole_number(args, name, low=low, high=high)


def _float(args: Mapping[str, str], name: str) -> float | None:
    return decimal_number(args, name, high=1e9)


MAX_FACET_VALUES = 20  # values of one facet in one search


def _many(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    given = args.getlist(name)
    if len(given) > MAX_FACET_VALUES:
        raise DomainError(
            _("Choose at most %(MAX_FACET_VALUES)s values of %(name)s.", MAX_FACET_VALUES=MAX_FACET_VALUES, name=name), field=name
        )
    return tuple(dict.fromkeys(v.strip()[:100] for v in given if v.strip()))


MAX_TEXT = 200


def parse_search(args: MultiDict[str, str], *, default_size: int = 20, today: dt.date | None = None) -> SearchQuery:
    """Read the search page's query string into a SearchQuery (`today`: the searcher's date).

    Raises DomainError, with the field, for a value out of bounds.
    """
    today = today or dt.date.today()
    given = args.get("q") or ""
    if len(given) > MAX_TEXT:  # as given, spaces included: the API document's maxLength, which a run of spaces also breaks
        raise DomainError(_("Say what you need in at most %(MAX_TEXT)s characters.", MAX_TEXT=MAX_TEXT), field="q")
    text = clean_line(given)
    categories = _many(args, "category")
    for code in categories:
        if code not in CATEGORIES:
            raise DomainError(_("category %(code)s is not in the taxonomy.", code=repr(code)), field="category")
    countries = tuple(c.upper() for c in _many(args, "country"))
    for code in countries:
        if not is_country(code):
            raise DomainError(_("country %(code)s is not an ISO 3166 two-letter code.", code=repr(code)), field="country")
    certifications = _many(args, "certification")
    for code in certifications:
        if code not in CERTIFICATION_SCHEMES:
            raise DomainError(_("certification %(code)s is not one Loom knows.", code=repr(code)), field="certification")
    verified_certifications = _many(args, "verified_certification")
    for code in verified_certifications:
        if code not in CERTIFICATION_SCHEMES:
            raise DomainError(
                _("verified_certification %(code)s is not one Loom knows.", code=repr(code)), field="verified_certification"
            )
    verified = {"": None, "true": True, "false": False}.get((args.get("verified") or "").strip().lower(), "bad")
    if verified == "bad":
        raise DomainError(_("verified must be true or false."), field="verified")

    units = _int(args, "units", low=1, high=10_000_000)
    by = iso_date(args, "by")
    capacity = None
    max_moq = _int(args, "moq", low=1, high=10_000_000)
    max_lead_time = _int(args, "max_lead_time", low=0, high=730)
    if by is not None:
        if by <= today:
            raise DomainError(_("The date must be in the future."), field="by")
        horizon = today + MAX_WEEKS * WEEK
        if by > horizon:
            raise DomainError(
                _(
                    "Capacity is planned %(MAX_WEEKS)s weeks ahead: pick a date up to %(horizon_isoformat)s.",
                    MAX_WEEKS=MAX_WEEKS,
                    horizon_isoformat=horizon.isoformat(),
                ),
                field="by",
            )
    if units is not None and by is not None:
        capacity = CapacityNeed(units, by, as_of=utcnow())  # trust no capacity counted from a day that has ended for its group
    elif units is not None:  # "2,000 baskets", no date yet: groups that take an order of this size
        max_moq = units if max_moq is None else min(max_moq, units)
    elif by is not None:  # "baskets by March", no quantity: groups whose lead time ends by then
        days = (by - today).days
        max_lead_time = days if max_lead_time is None else min(max_lead_time, days)

    currency = (args.get("currency") or "USD").strip().upper()
    if not is_currency(currency):
        raise DomainError(_("currency must be an ISO 4217 code."), field="currency")
    price_min, price_max = _float(args, "price_min"), _float(args, "price_max")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise DomainError(_("The lowest price is above the highest."), field="price_max")

    near = None
    near_raw = (args.get("near") or "").strip()
    km = _int(args, "km", low=1, high=20_000)
    if near_raw:
        try:
            where = locate(near_raw[:200])
        except (UnknownPlace, AmbiguousPlace) as error:
            raise DomainError(str(error), field="near") from None
        near = Near(where[0], where[1], km)
    elif km is not None:
        raise DomainError(_("A distance needs a place to measure from."), field="near")

    try:
        sort = Sort((args.get("sort") or Sort.RELEVANCE.value).strip())
    except ValueError:
        raise DomainError(_("sort must be one of %(value)s.", value=", ".join(s.value for s in Sort)), field="sort") from None
    if sort == Sort.DISTANCE and near is None:
        raise DomainError(_("Sorting by distance needs a place to measure from."), field="near")

    return SearchQuery(
        text=text,
        categories=categories,
        materials=tuple(dict.fromkeys(canonical_material(m) or m.strip().lower() for m in _many(args, "material"))),
        countries=countries,
        certifications=certifications,
        verified_certifications=verified_certifications,
        verified=verified,
        capacity=capacity,
        max_lead_time=max_lead_time,
        max_moq=max_moq,
        price_min=price_min,
        price_max=price_max,
        currency=currency,
        near=near,
        sort=sort,
        size=_int(args, "size", low=1, high=MAX_PAGE_SIZE) or default_size,
        after=(args.get("after") or "").strip() or None,
    )
