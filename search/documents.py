"""The search document of a producer group: one pure function of the database rows, used by both backends.

Capacity is indexed as "capacity keys": for each of the next weeks, one integer holding the week's
number and the units the capability can have finished by that Sunday (cumulative, net of promised
units), plus `ready_on`, the first day the lead time allows delivery. "N units by date D" then
becomes one range query on one field — the value at the last week ending by D must be at least N —
and `ready_on <= D`: no scripts and no nested-of-nested documents, in Elasticsearch and SQLite alike.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from itertools import accumulate
from typing import Any

from marketplace.producers import capacity
from marketplace.producers.models import Capability, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, country_name
from search.analysis import analyzed
from search.vocabulary import CATEGORY_WORDS

CAPACITY_WEEKS = capacity.MAX_WEEKS  # search looks as far ahead as booking does
_EPOCH_MONDAY = dt.date(1970, 1, 5)
_UNITS_BITS = 32
UNITS_MAX = (1 << _UNITS_BITS) - 1


def index_day() -> dt.date:
    """The day documents are built for: today in UTC, the same for every worker and web process."""
    return dt.datetime.now(dt.UTC).date()


def week_number(day: dt.date) -> int:
    """The number of the Monday-to-Sunday week that contains `day`."""
    return (day - _EPOCH_MONDAY).days // 7


def last_week_ending_by(day: dt.date) -> int:
    """The number of the last week whose Sunday is on or before `day`."""
    return week_number(day) if day.weekday() == 6 else week_number(day) - 1


def capacity_key(week: int, units: int) -> int:
    return (week << _UNITS_BITS) | min(max(units, 0), UNITS_MAX)


def capacity_key_range(units: int, by: dt.date) -> tuple[int, int]:
    """Keys that mean "at least `units` finished by `by`": a range over one week's values."""
    week = last_week_ending_by(by)
    return capacity_key(week, units), capacity_key(week, UNITS_MAX)


def units_by(keys: list[int], ready_on: str, by: dt.date) -> int:
    """Read back the units a capability can deliver by `by` (0 inside the lead time or beyond the horizon)."""
    if dt.date.fromisoformat(ready_on) > by:
        return 0
    week = last_week_ending_by(by)
    for key in keys:
        if key >> _UNITS_BITS == week:
            return key & UNITS_MAX
    return 0


def capacity_keys(capability: Capability, today: dt.date, weeks: int = CAPACITY_WEEKS) -> list[int]:
    """Cumulative units finished by each coming Sunday, as keys (producers.capacity's rules, unrolled for speed)."""
    first_monday = capacity.week_start(today) + capacity.WEEK
    first_week = week_number(first_monday)
    free = [capability.weekly_capacity] * weeks
    for window in capability.windows:
        offset = week_number(window.week_start) - first_week
        if 0 <= offset < weeks:
            free[offset] = max(window.units_available - window.units_committed, 0)
    totals = list(accumulate(free))
    if totals and totals[-1] > UNITS_MAX:
        totals = [min(t, UNITS_MAX) for t in totals]
    return [base | total for base, total in zip(_week_bases(first_week, weeks), totals, strict=True)]


@lru_cache(maxsize=16)
def _week_bases(first_week: int, weeks: int) -> tuple[int, ...]:
    return tuple((first_week + i) << _UNITS_BITS for i in range(weeks))


def quality_boost(group: ProducerGroup) -> float:
    """Order equals by what Loom has checked, never by what a group typed: +10 % for a group an
    operator verified. The stored rating (seeded, set by nothing yet) and the self-declared reply
    time are shown, not ranked on; measured signals (reviews, response times from Loom's own records)
    are to join here as they exist. Stays within 1 to 1.25 (search.query.Ranking relies on it)."""
    return 1.10 if group.verified else 1.0


def category_words(code: str) -> list[str]:
    """The words the goods of a category are called by (its own and its parent's), not its display label."""
    category = CATEGORIES[code]
    codes = [code] + ([category.parent] if category.parent else [])
    return [CATEGORY_WORDS.get(c, CATEGORIES[c].name) for c in codes]


def _capability(capability: Capability, today: dt.date) -> dict[str, Any]:
    category = CATEGORIES[capability.category]
    return {
        "id": capability.id,
        "category": capability.category,
        "top_category": category.parent or category.code,
        "label": category.label,
        "materials": list(capability.materials),
        "techniques": list(capability.techniques),
        # What this capability is, in indexed words: a buyer's words must find the capability that makes
        # the thing asked for, not just some capability of the group (see SearchQuery.capability_words).
        "terms": analyzed(category_words(capability.category), list(capability.materials), list(capability.techniques)),
        "moq": capability.moq,
        "lead_time_days": capability.lead_time_days,
        "price_min": float(capability.price_min),
        "price_max": float(capability.price_max),
        "currency": capability.currency,
        "weekly_capacity": capability.weekly_capacity,
        "capacity_keys": capacity_keys(capability, today),
        "ready_on": (today + dt.timedelta(days=capability.lead_time_days)).isoformat(),
    }


def cover_photo(group: ProducerGroup) -> dict[str, Any] | None:
    """The group's first gallery photo as results show it (path, size, alt text), or None for a placeholder."""
    photos = getattr(group, "photos", None) or []
    if not photos:
        return None
    photo = photos[0]
    return {"path": photo.path, "width": photo.width, "height": photo.height, "alt": photo.caption or f"Work of {group.name}"}


def build_document(group: ProducerGroup, today: dt.date) -> dict[str, Any]:
    """Everything search needs about a group; `today` fixes the capacity horizon."""
    capabilities = [_capability(c, today) for c in group.capabilities]
    categories = sorted({c["category"] for c in capabilities} | {c["top_category"] for c in capabilities})
    certifications = sorted(c.scheme for c in group.certifications)
    return {
        "id": group.id,
        "version": group.version,
        "slug": group.slug,
        "name": group.name,
        "story": group.story,
        "country": group.country,
        "region": group.region,
        "city": group.city,
        "location": None if group.latitude is None else {"lat": group.latitude, "lon": group.longitude},
        "verified": group.verified,
        "rating": None if group.rating is None else float(group.rating),
        "rating_count": group.rating_count,
        "response_time_hours": group.response_time_hours,
        "artisan_count": group.artisan_count,
        "photo": cover_photo(group),
        "languages": list(group.languages),
        "certifications": certifications,
        "verified_certifications": sorted(c.scheme for c in group.certifications if c.verified),
        "categories": categories,
        "materials": sorted({m for c in capabilities for m in c["materials"]}),
        "techniques": sorted({t for c in capabilities for t in c["techniques"]}),
        "quality_boost": quality_boost(group),
        "indexed_on": today.isoformat(),
        "capabilities": capabilities,
        # Analysed text, the same for both backends (see search.analysis).
        "name_terms": analyzed(group.name),
        "capability_terms": " ".join(c["terms"] for c in capabilities),
        "story_terms": analyzed(group.story),
        "place_terms": analyzed(
            group.city, group.region, country_name(group.country), [CERTIFICATION_SCHEMES[s].name for s in certifications if s in CERTIFICATION_SCHEMES]
        ),
    }
