"""What a capability can deliver by a date, and the earliest date for a quantity."""

from __future__ import annotations

import datetime as dt

from marketplace.producers.capacity import deliverable_by, earliest_date_for, week_start

TODAY = dt.date(2026, 11, 25)  # a Wednesday; production starts Monday 30 November
MONDAY = dt.date(2026, 11, 30)


def test_week_start_is_the_monday() -> None:
    assert week_start(TODAY) == dt.date(2026, 11, 23) and week_start(MONDAY) == MONDAY


def test_units_by_a_date_count_only_whole_weeks_before_it() -> None:
    # Weeks ending 6, 13 and 20 December fit before the 20th; the week ending the 27th does not.
    assert deliverable_by(TODAY, dt.date(2026, 12, 20), lead_time_days=0, weekly_capacity=100, calendar={}) == 300
    assert deliverable_by(TODAY, dt.date(2026, 12, 19), lead_time_days=0, weekly_capacity=100, calendar={}) == 200


def test_calendar_exceptions_and_promised_units_reduce_what_is_free() -> None:
    calendar = {MONDAY: (100, 80), MONDAY + dt.timedelta(weeks=1): (0, 0)}
    assert deliverable_by(TODAY, dt.date(2026, 12, 20), lead_time_days=0, weekly_capacity=100, calendar=calendar) == 20 + 0 + 100


def test_nothing_can_be_delivered_inside_the_lead_time() -> None:
    assert deliverable_by(TODAY, dt.date(2026, 12, 20), lead_time_days=30, weekly_capacity=100, calendar={}) == 0


def test_earliest_date_is_the_end_of_the_week_that_completes_the_quantity() -> None:
    assert earliest_date_for(TODAY, 250, lead_time_days=0, weekly_capacity=100, calendar={}) == dt.date(2026, 12, 20)
    holiday = {MONDAY + dt.timedelta(weeks=1): (0, 0)}
    assert earliest_date_for(TODAY, 250, lead_time_days=0, weekly_capacity=100, calendar=holiday) == dt.date(2026, 12, 27)


def test_earliest_date_never_beats_the_lead_time() -> None:
    assert earliest_date_for(TODAY, 10, lead_time_days=45, weekly_capacity=100, calendar={}) == TODAY + dt.timedelta(days=45)


def test_a_quantity_beyond_two_years_of_capacity_has_no_date() -> None:
    assert earliest_date_for(TODAY, 10_000, lead_time_days=0, weekly_capacity=10, calendar={}) is None
