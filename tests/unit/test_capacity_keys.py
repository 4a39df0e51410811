"""The capacity keys the search index holds say exactly what the capacity rules say, for any day."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

from marketplace.producers import capacity
from search.documents import CAPACITY_WEEKS, capacity_key_range, capacity_keys, units_by


def random_capability(rng: random.Random, today: dt.date) -> SimpleNamespace:
    first = capacity.week_start(today) + capacity.WEEK
    weeks = {first + capacity.WEEK * rng.randint(0, 60) for _ in range(rng.randint(0, 6))}
    windows = [
        SimpleNamespace(week_start=w, units_available=rng.randint(0, 500), units_committed=rng.randint(0, 300)) for w in weeks
    ]
    return SimpleNamespace(windows=windows, lead_time_days=rng.randint(0, 120), weekly_capacity=rng.randint(0, 1000))


def test_keys_agree_with_the_capacity_rules_for_every_day_of_the_horizon() -> None:
    rng = random.Random(11)
    for _ in range(200):
        today = dt.date(2026, 11, 1) + dt.timedelta(days=rng.randint(0, 400))
        cap = random_capability(rng, today)
        keys = capacity_keys(cap, today)
        ready_on = (today + dt.timedelta(days=cap.lead_time_days)).isoformat()
        calendar = {w.week_start: (w.units_available, w.units_committed) for w in cap.windows}
        horizon_end = capacity.week_start(today) + capacity.WEEK * (CAPACITY_WEEKS + 1) - dt.timedelta(days=1)
        day = today
        while day <= horizon_end:
            expected = capacity.deliverable_by(
                today, day, lead_time_days=cap.lead_time_days, weekly_capacity=cap.weekly_capacity, calendar=calendar
            )
            assert units_by(keys, ready_on, day) == expected, (today, day)
            day += dt.timedelta(days=1)


def test_the_key_range_holds_exactly_the_values_at_or_above_the_need() -> None:
    cap = SimpleNamespace(windows=[], lead_time_days=0, weekly_capacity=100)
    today = dt.date(2027, 1, 6)
    keys = capacity_keys(cap, today)
    by = dt.date(2027, 2, 3)  # a Wednesday: counts the weeks ending 17, 24 and 31 January
    low, high = capacity_key_range(300, by)
    assert [k for k in keys if low <= k <= high] != []
    low, high = capacity_key_range(301, by)
    assert [k for k in keys if low <= k <= high] == []
