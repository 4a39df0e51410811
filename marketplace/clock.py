"""The party's calendar: business dates are the date where the organization is, not on the server's clock.

Every organization has an IANA time zone (`Organization.zone`): the one it chose, else the first zone
IANA's `zone.tab` lists for its country (through pytz's `country_timezones`: Africa/Nairobi for KE,
Asia/Kolkata for IN, America/Guatemala for GT), else UTC. An invoice issued at 01:30 on 1 January in
Nairobi is dated 1 January, though it is still 31 December in UTC.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytz

from marketplace.db import utcnow


@lru_cache(maxsize=256)
def default_time_zone(country: str | None) -> str:
    """The IANA zone a country's organizations default to ("KE" → "Africa/Nairobi"); "UTC" when unknown."""
    zones = pytz.country_timezones.get((country or "").upper()) or []
    return zones[0] if zones else "UTC"


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (for the choice on the profile page)."""
    return tuple(sorted(available_timezones()))


def is_time_zone(name: str) -> bool:
    """Tell whether `name` is an IANA time zone this machine knows ("Africa/Nairobi")."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_date(moment: dt.datetime, zone: str) -> dt.date:
    """The calendar date of the aware `moment` in `zone` (an IANA name)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def today_in(zone: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date in `zone`; `now` (aware, UTC) for tests and for one consistent instant across a use case."""
    return local_date(now or utcnow(), zone)
