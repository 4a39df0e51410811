"""What a capability can deliver by when, from its weekly calendar net of committed orders.

Weeks run Monday to Sunday. A week without an entry in the calendar is assumed to have the
capability's usual weekly capacity; the calendar records the exceptions (harvest, holidays, a
second shift). Production starts the Monday after the order and cannot finish before the lead time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

WEEK = dt.timedelta(days=7)
MAX_WEEKS = 104


def week_start(day: dt.date) -> dt.date:
    """Return the Monday of `day`'s week (capacity is planned in ISO weeks)."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekCapacity:
    week_start: dt.date
    available: int
    committed: int

    @property
    def free(self) -> int:
        """Return the units still free that week (never below 0)."""
        return max(self.available - self.committed, 0)

    @property
    def week_end(self) -> dt.date:
        """Return the Sunday of the week."""
        return self.week_start + dt.timedelta(days=6)


def weeks_ahead(
    today: dt.date, weekly_capacity: int, calendar: Mapping[dt.date, tuple[int, int]], *, weeks: int = MAX_WEEKS
) -> Iterator[WeekCapacity]:
    """Yield the production weeks from the next Monday on; `calendar` maps week start to (available, committed)."""
    start = week_start(today) + WEEK
    for i in range(weeks):
        monday = start + i * WEEK
        available, committed = calendar.get(monday, (weekly_capacity, 0))
        yield WeekCapacity(monday, available, committed)


def deliverable_by(
    today: dt.date,
    deadline: dt.date,
    *,
    lead_time_days: int,
    weekly_capacity: int,
    calendar: Mapping[dt.date, tuple[int, int]],
) -> int:
    """Units that can be finished by `deadline` if ordered `today`.

    `lead_time_days` are calendar days from order to start of production; `weekly_capacity` and the result are whole units;
    `calendar` maps a week's Monday to (available, promised) units.
    """
    if today + dt.timedelta(days=lead_time_days) > deadline:
        return 0
    total = 0
    for week in weeks_ahead(today, weekly_capacity, calendar):
        if week.week_end > deadline:
            break
        total += week.free
    return total


def earliest_date_for(
    today: dt.date,
    units: int,
    *,
    lead_time_days: int,
    weekly_capacity: int,
    calendar: Mapping[dt.date, tuple[int, int]],
) -> dt.date | None:
    """The first day by which `units` can be finished, or None if not within two years.

    `units` and `weekly_capacity` are whole units, `lead_time_days` calendar days; `calendar` maps a week's Monday to (available,
    promised) units.
    """
    earliest = today + dt.timedelta(days=lead_time_days)
    if units <= 0:
        return earliest
    total = 0
    for week in weeks_ahead(today, weekly_capacity, calendar):
        total += week.free
        if total >= units:
            return max(week.week_end, earliest)
    return None
