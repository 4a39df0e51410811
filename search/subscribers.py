"""What search does when the marketplace publishes an event: queue the group's document for rebuilding."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from marketplace.outbox import topics
from marketplace.outbox.events import GroupChanged, GroupRecordChanged
from marketplace.outbox.services import enqueue

# How long a measured-record change waits for the rest of its burst (a conversation, a day's shipments)
# before the group's document is rebuilt once: prompt for a buyer, one rebuild for many messages.
RECORD_SETTLE = dt.timedelta(seconds=30)


def reindex_group(session: Session, event: GroupChanged) -> None:
    """Queue `search.index_group` for the group at its current version (coalesced: one per transaction)."""
    group = event.group
    enqueue(session, topics.INDEX_GROUP, group.id, {"version": group.version}, coalesce=True)


def reindex_record(session: Session, event: GroupRecordChanged) -> None:
    """Queue `search.index_group` for a group whose measured record changed, `RECORD_SETTLE` from the
    first change of a burst; later changes join that message while no worker has taken it."""
    group = event.group
    enqueue(session, topics.INDEX_GROUP, group.id, {"version": group.version}, settle=RECORD_SETTLE)
