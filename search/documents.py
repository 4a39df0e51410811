"""The search document of a producer group: one pure function of the database rows, used by both backends.

Capacity is indexed as "capacity keys": for each of the next weeks, one integer holding the week's
number and the units the capability can have finished by that Sunday (cumulative, net of promised
units), plus `ready_on`, the first day the lead time allows delivery. Both are counted from the
group's own today (its organization's calendar, `marketplace.clock`), and hold until that day ends
there: `fresh_until`, the UTC instant of the group's next midnight, after which searches no longer
trust the document (`CapacityNeed.as_of`) and the keeper re-indexes it. "N units by date D" then
becomes one range query on one field — the value at the last week ending by D must be at least N —
and `ready_on <= D`: no scripts and no nested-of-nested documents, in Elasticsearch and SQLite alike.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from marketplace.clock import default_time_zone, local_date
from marketplace.db import utcnow
from marketplace.producers import capacity
from marketplace.producers.covers import Cover
from marketplace.producers.models import Capability, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, country_name
from marketplace.reputation.signals import MAX_BOOST, Reputation
from search.analysis import analyzed
from search.materials import filter_values
from search.vocabulary import CATEGORY_WORDS

CAPACITY_WEEKS = capacity.MAX_WEEKS  # search looks as far ahead as booking does
_EPOCH_MONDAY = dt.date(1970, 1, 5)
UNITS_BITS = 32
UNITS_MAX = (1 << UNITS_BITS) - 1


def index_day() -> dt.date:
    """Today in UTC (for tests and tools; each document is built for its own group's today, see `group_today`)."""
    return dt.datetime.now(dt.UTC).date()


def group_zone(group: Any) -> str:
    """The IANA zone of a group's calendar: its organization's, from a mapped group or from a rebuild's plain row."""
    organization = getattr(group, "organization", None)
    if organization is not None:
        return organization.zone
    return getattr(group, "time_zone", None) or default_time_zone(getattr(group, "organization_country", None) or group.country)


def group_today(group: Any, now: dt.datetime | None = None) -> dt.date:
    """The group's today at the UTC instant `now` (default: now): the day its capacity is counted from."""
    return local_date(now or utcnow(), group_zone(group))


def end_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The UTC instant at which `day` ends in `zone` (its next midnight there)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def instant_text(moment: dt.datetime) -> str:
    """A UTC instant as the index stores it: one fixed ISO 8601 form, so that text order is time order."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def week_number(day: dt.date) -> int:
    """The number of the Monday-to-Sunday week that contains `day`."""
    return (day - _EPOCH_MONDAY).days // 7


def last_week_ending_by(day: dt.date) -> int:
    """The number of the last week whose Sunday is on or before `day`."""
    return week_number(day) if day.weekday() == 6 else week_number(day) - 1


def capacity_key(week: int, units: int) -> int:
    """Pack a week number and the units finished by its end into one sortable integer (units clipped to 0..UNITS_MAX)."""
    return (week << UNITS_BITS) | min(max(units, 0), UNITS_MAX)


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
        if key >> UNITS_BITS == week:
            return key & UNITS_MAX
    return 0


def capacity_keys(capability: Capability, today: dt.date, weeks: int = CAPACITY_WEEKS) -> list[int]:
    """Cumulative units finished by each coming Sunday, as keys (producers.capacity's rules, unrolled for speed).

    `weeks` is how many weeks ahead to cover, from the week of `today`.
    """
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
    return tuple((first_week + i) << UNITS_BITS for i in range(weeks))


def quality_boost(group: ProducerGroup, reputation: Reputation | None = None) -> float:
    """Order equals by what Loom has checked or measured, never by what a group typed.

    1.0, plus 0.10 for a group an operator verified, plus up to 0.15 earned by its measured record
    (`Reputation.boost`: shipping on time, answering RFQs quickly, reviews). A new group without
    enough data gets no reputation share and loses nothing. The self-declared reply time is shown,
    not ranked on. Stays within 1 to 1.25: search.query.Ranking keeps the whole boost below one
    field weight, so it orders groups that match the words equally and never lifts a worse match.
    """
    earned = min(reputation.boost(), MAX_BOOST) if reputation is not None else 0.0
    return round(1.0 + (0.10 if group.verified else 0.0) + earned, 4)


def category_words(code: str) -> list[str]:
    """The words the goods of a category are called by (its own and its parent's), not its display label."""
    category = CATEGORIES[code]
    codes = [code] + ([category.parent] if category.parent else [])
    return [CATEGORY_WORDS.get(c, CATEGORIES[c].name) for c in codes]


def _capability(capability: Capability, today: dt.date) -> dict[str, Any]:
    category = CATEGORIES[capability.category]
    title = getattr(capability, "title", "") or ""
    return {
        "id": capability.id,
        "category": capability.category,
        "top_category": category.parent or category.code,
        "label": category.english_label,
        "title": title,  # the group's own name for it ("Sisal market baskets, 30 cm"), searched with the rest
        "materials": filter_values(capability.materials),  # the taxonomy's words for them, and the group's own
        "techniques": list(capability.techniques),
        # What this capability is, in indexed words: a buyer's words must find the capability that makes
        # the thing asked for, not just some capability of the group (see SearchQuery.capability_words).
        "terms": analyzed(title, category_words(capability.category), list(capability.materials), list(capability.techniques)),
        "moq": capability.moq,
        "lead_time_days": capability.lead_time_days,
        "price_min": float(capability.price_min),
        "price_max": float(capability.price_max),
        "currency": capability.currency,
        "weekly_capacity": capability.weekly_capacity,
        "capacity_keys": capacity_keys(capability, today),
        "ready_on": (today + dt.timedelta(days=capability.lead_time_days)).isoformat(),
    }


def cover_photo(group: ProducerGroup, cover: Cover | None = None) -> dict[str, Any] | None:
    """The group's cover as results show it (path, size, alt text), or None for a placeholder.

    `cover` is what `marketplace.producers.covers` found (a gallery photo, else a product's); without
    it, the group's loaded gallery photos are looked at.
    """
    if cover is not None:
        return cover.as_dict()
    photos = getattr(group, "photos", None) or []
    if not photos:
        return None
    photo = photos[0]
    return {"path": photo.path, "width": photo.width, "height": photo.height, "alt": photo.caption or f"Work of {group.name}"}


def build_document(
    group: ProducerGroup,
    today: dt.date | None = None,
    reputation: Reputation | None = None,
    *,
    now: dt.datetime | None = None,
    cover: Cover | None = None,
) -> dict[str, Any]:
    """Everything search needs about a group, its capacity counted from the group's today (at `now`, default now).

    `today` overrides the group's today (tests, and documents built as of another day); `reputation` is its
    measured record (marketplace.reputation.signals; None: nothing measured, as for a new group).
    """
    today = today or group_today(group, now)
    capabilities = [_capability(c, today) for c in group.capabilities]
    categories = sorted({c["category"] for c in capabilities} | {c["top_category"] for c in capabilities})
    # Only schemes on Loom's list are facets and filters; a self-declared "other" claim is shown by its
    # name and found by its words, but is never a certification filter value, verified or not.
    certifications = sorted(c.scheme for c in group.certifications if c.scheme in CERTIFICATION_SCHEMES)
    self_declared = sorted(c.name for c in group.certifications if c.scheme not in CERTIFICATION_SCHEMES and c.name)
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
        "photo": cover_photo(group, cover),
        "languages": list(group.languages),
        "certifications": certifications,
        "verified_certifications": sorted(
            c.scheme for c in group.certifications if c.verified and c.scheme in CERTIFICATION_SCHEMES
        ),
        "self_declared_certifications": self_declared,
        "categories": categories,
        "materials": sorted({m for c in capabilities for m in c["materials"]}),
        "techniques": sorted({t for c in capabilities for t in c["techniques"]}),
        "quality_boost": quality_boost(group, reputation),
        "reputation": (reputation or Reputation()).as_document(),
        "indexed_on": today.isoformat(),  # the group's calendar day the capacity was counted from
        "fresh_until": instant_text(end_of_day(today, group_zone(group))),
        "capabilities": capabilities,
        # Analysed text, the same for both backends (see search.analysis).
        "name_terms": analyzed(group.name),
        "capability_terms": " ".join(c["terms"] for c in capabilities),
        "story_terms": analyzed(group.story),
        "place_terms": analyzed(
            group.city,
            group.region,
            country_name(group.country),
            [CERTIFICATION_SCHEMES[s].name for s in certifications],
            self_declared,
        ),
    }
