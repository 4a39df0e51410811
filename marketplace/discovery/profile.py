"""A group's profile page read in one statement: the profile (`marketplace.producers.profiles`) and the group's
measured record with its newest reviews (`marketplace.reputation.signals`), side by side in one `UNION ALL`.

The two live with their features; read apart they were two round trips, and on PostgreSQL each costs the driver and
the server about 80 µs more than SQLite's in-process call (issue 19: the profile was 1.29-1.31× SQLite's time at 72
groups). The record's rows are those of the group the profile found by its slug (the same CTE), so a slug that is no
listed group's reads no record either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from marketplace.db import rows_of, side_by_side
from marketplace.producers.profiles import LISTED_GROUP_ID, PROFILE, GroupProfile, read_profile
from marketplace.reputation.signals import (
    SHOWN_REVIEWS,
    Reputation,
    ShownReview,
    profile_record_statement,
    read_profile_record,
)

_STATEMENT, (_PROFILE_PART, _RECORD_PART) = side_by_side(PROFILE, profile_record_statement(LISTED_GROUP_ID))


@dataclass(frozen=True)
class ProfilePage:
    """What the profile page shows of a listed group: its profile, its measured record, its newest reviews (newest first)."""

    group: GroupProfile
    record: Reputation
    reviews: list[ShownReview]


def profile_page(session: Session, slug: str, *, now: dt.datetime | None = None) -> ProfilePage:
    """Read the listed group at `slug`, its record and its `SHOWN_REVIEWS` newest reviews in one statement.

    Raises `NotFound` if no listed group has that slug (a renamed group's old slug included: see `producers.moved_to`).
    """
    rows = session.execute(_STATEMENT, {"slug": slug, "shown": SHOWN_REVIEWS}).all()
    group = read_profile(rows_of(rows, _PROFILE_PART))
    record, reviews = read_profile_record(rows, group.id, now=now, at=_RECORD_PART)  # read in place: thousands of rows
    return ProfilePage(group, record, reviews)
