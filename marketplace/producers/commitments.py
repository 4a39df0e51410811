"""Promising a capability's weekly capacity to an order, and giving it back.

The capability row is locked first (FOR UPDATE on PostgreSQL; SQLite has one writer at a time), so
two buyers accepting quotes at the same moment are served one after the other and the second sees
what the first took: a group is never promised more than it can make.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.db import lock
from marketplace.errors import Conflict, NotFound
from marketplace.i18n import format_day as format_date
from marketplace.i18n import format_number
from marketplace.producers import capacity
from marketplace.producers.changes import touch
from marketplace.producers.models import Capability, CapacityCommitment, CapacityWindow


def lock_capability(session: Session, capability_id: int) -> Capability:
    """Hold the capability (the root of its calendar) for this transaction and read its weeks anew.

    Every change to promised or available units takes this lock first: accepting a quote, releasing
    an order's units, setting capacity, changing or removing the capability.

    Raises `Conflict` when the capability is gone.
    """
    try:
        return lock(session, Capability, capability_id, selectinload(Capability.windows))
    except NotFound:
        raise Conflict(_("The group no longer offers this capability.")) from None


def commit_units(
    session: Session, capability: Capability, *, order_id: int, units: int, ship_by: dt.date, today: dt.date
) -> list[CapacityCommitment]:
    """Promise `units` from the earliest free weeks finishing by `ship_by`; refuse if they do not fit.

    `units` are whole units of the capability; dates are the group's. Raises `Conflict` when the free weeks cannot hold them by
    `ship_by`.
    """
    calendar = {w.week_start: (w.units_available, w.units_committed) for w in capability.windows}
    deliverable = capacity.deliverable_by(
        today, ship_by, lead_time_days=capability.lead_time_days, weekly_capacity=capability.weekly_capacity, calendar=calendar
    )
    if deliverable < units:
        earliest = capacity.earliest_date_for(
            today, units, lead_time_days=capability.lead_time_days, weekly_capacity=capability.weekly_capacity, calendar=calendar
        )
        when = _("; the earliest it could ship is %(date)s", date=format_date(earliest)) if earliest else ""
        raise Conflict(
            _(
                "The group can make %(deliverable)s of the %(units)s units by %(ship_by)s%(when)s.",
                deliverable=format_number(deliverable),
                units=format_number(units),
                ship_by=format_date(ship_by),
                when=when,
            )
        )
    windows = {w.week_start: w for w in capability.windows}
    commitments = []
    remaining = units
    for week in capacity.weeks_ahead(today, capability.weekly_capacity, calendar):
        if remaining == 0 or week.week_end > ship_by:
            break
        take = min(week.free, remaining)
        if take == 0:
            continue
        window = windows.get(week.week_start)
        if window is None:
            window = CapacityWindow(
                capability=capability, week_start=week.week_start, units_available=week.available, units_committed=0
            )
            session.add(window)
        window.units_committed += take
        remaining -= take
        commitment = CapacityCommitment(order_id=order_id, window=window, units=take)
        session.add(commitment)
        commitments.append(commitment)
    touch(session, capability.group)
    return commitments


def release_units(session: Session, order_id: int) -> int:
    """Give back every unit an order holds; return how many.

    The caller holds the order's lock; the capabilities are locked here (in id order, as everywhere)
    before their weeks change, and the commitments are read after that, so units are given back once.
    """
    capability_ids = session.scalars(
        select(CapacityWindow.capability_id).join(CapacityCommitment).where(CapacityCommitment.order_id == order_id).distinct()
    ).all()
    for capability_id in sorted(capability_ids):
        lock_capability(session, capability_id)
    commitments = list(
        session.scalars(
            select(CapacityCommitment).where(CapacityCommitment.order_id == order_id).execution_options(populate_existing=True)
        )
    )
    released = 0
    groups = set()
    for commitment in commitments:
        window = commitment.window
        window.units_committed -= commitment.units
        released += commitment.units
        groups.add(window.capability.group)
        session.delete(commitment)
    for group in groups:
        touch(session, group)
    return released


def capacity_fit(capability: Capability, units: int, by: dt.date, today: dt.date) -> tuple[int, dt.date | None]:
    """How many units the capability can deliver by `by`, and the earliest date for all `units`."""
    calendar = {w.week_start: (w.units_available, w.units_committed) for w in capability.windows}
    rules = {"lead_time_days": capability.lead_time_days, "weekly_capacity": capability.weekly_capacity, "calendar": calendar}
    return capacity.deliverable_by(today, by, **rules), capacity.earliest_date_for(today, units, **rules)
