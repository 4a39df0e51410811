"""What search does when the marketplace publishes an event: queue the group's document for rebuilding."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.outbox import topics
from marketplace.outbox.events import GroupChanged
from marketplace.outbox.services import enqueue


def reindex_group(session: Session, event: GroupChanged) -> None:
    """Queue `search.index_group` for the group at its current version (coalesced: one per transaction)."""
    group = event.group
    enqueue(session, topics.INDEX_GROUP, group.id, {"version": group.version}, coalesce=True)
