"""A group's measured record as its profile shows it, kept so that writes which leave it as shown keep the cached pages.

Orders, requests, quotes, messages and shipping events reach the cached public pages
(`marketplace.pagecache`) only through a group's measured record (`marketplace.reputation.signals`),
and the profile shows that record coarsely: rates as whole percents, the median reply as whole hours (at
least 1), and counts (`templates/_reputation.html`). Most such writes (a message in a thread already
answered, a quote revised, an order moving into production) change none of those figures. So as a
transaction that wrote these tables commits, the groups it touched are measured again and their
`shown_record` rows compared: the public generation is replaced only when a figure as shown changed.

Rounding is the page's own: Babel's `format_decimal(value, "0")` (half to even), on the same values the
template formats. Review figures are not kept here: reviews are a public table of their own, and any
write to it replaces the generation.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import Connection, inspect, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from marketplace.orders.models import Order
from marketplace.producers.models import ProducerGroup
from marketplace.reputation.models import ShownRecord
from marketplace.reputation.signals import Reputation, reputations
from marketplace.sourcing.models import Message, Quote, Rfq, RfqRecipient
from marketplace.trace.models import TraceEvent

# The tables whose rows a cached page shows only through the measured record (what `reputations` reads,
# besides reviews, memberships and organizations, which stay public tables of their own).
RECORD_TABLES = frozenset({"purchase_order", "trace_event", "rfq", "rfq_recipient", "quote", "message"})
_CHUNK = 500  # groups per statement, well under SQLite's bound-parameter limit
_FIGURES = tuple(c.name for c in ShownRecord.__table__.columns if c.name != "group_id")


def _whole(value: float) -> int:
    """Round `value` as the page does (`|number("0")`: Babel, half to even)."""
    return int(format_decimal(value, "0", locale="en"))


def figures(record: Reputation) -> dict[str, int | None]:
    """Return the figures of `record` the profile shows, rounded as shown; None for one it leaves out."""
    answers = record.response_rate is not None
    return {
        "orders_completed": record.orders_completed,
        "repeat_buyers": record.repeat_buyers,
        "on_time_percent": None if record.on_time_rate is None else _whole(record.on_time_rate * 100),
        "on_time_basis": None if record.on_time_rate is None else record.on_time_basis,
        "answer_percent": None if record.response_rate is None else _whole(record.response_rate * 100),
        "answer_hours": (
            None if not answers or record.median_response_hours is None else _whole(max(record.median_response_hours, 1))
        ),
        "requests_received": record.rfqs_received if answers else None,
    }


def groups_of(session: Session, row: Any) -> set[int] | None:
    """Return the ids of the groups whose record a write of `row` (a flushed ORM instance) may change.

    An empty set: it cannot (a trace event other than shipping). None: unknown (the write counts as public).
    """
    if isinstance(row, Order | Quote | Message | RfqRecipient):
        return {row.group_id}
    if isinstance(row, TraceEvent):
        if row.biz_step != "shipping":
            return set()  # the record reads only each order's first shipping event
        order = session.get(Order, row.order_id)  # in the session already, nearly always: no statement
        return None if order is None else {order.group_id}
    if isinstance(row, Rfq):
        recipients = inspect(row).attrs.recipients.loaded_value
        if recipients is NO_VALUE:
            return set(session.connection().scalars(select(RfqRecipient.group_id).where(RfqRecipient.rfq_id == row.id)))
        return {recipient.group_id for recipient in recipients}
    return None


def refresh(session: Session, connection: Connection, group_ids: set[int]) -> bool:
    """Measure the groups `group_ids` again and rewrite their `shown_record` rows; return whether any figure as shown changed.

    Runs as the transaction commits, with its writes flushed. The rows are locked first (written when
    missing), so on PostgreSQL concurrent writers of one group's record measure one after the other, each
    seeing the previous one's committed rows; SQLite has one writer at a time anyway.
    """
    changed = False
    ids = sorted(group_ids)
    for start in range(0, len(ids), _CHUNK):  # a bulk import touches every group: no statement grows with them
        changed = _refresh_chunk(session, connection, ids[start : start + _CHUNK]) or changed
    return changed


def _refresh_chunk(session: Session, connection: Connection, ids: list[int]) -> bool:
    table = ShownRecord.__table__
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    unmeasured = select(ProducerGroup.id, literal(-1), literal(-1)).where(ProducerGroup.id.in_(ids))  # -1: no record shows
    connection.execute(
        insert(table).from_select(["group_id", "orders_completed", "repeat_buyers"], unmeasured).on_conflict_do_nothing()
    )
    locked = select(table).where(table.c.group_id.in_(ids)).order_by(table.c.group_id)
    if connection.dialect.name == "postgresql":
        locked = locked.with_for_update()
    stored = {row.group_id: tuple(getattr(row, f) for f in _FIGURES) for row in connection.execute(locked)}
    changed = False
    for group_id, record in reputations(session, ids).items():
        now_shown = figures(record)
        if stored.get(group_id) != tuple(now_shown[f] for f in _FIGURES):
            connection.execute(table.update().where(table.c.group_id == group_id).values(**now_shown))
            changed = True
    return changed
