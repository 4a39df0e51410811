"""Announcing that a producer group changed: its version goes up and its search document is rebuilt."""
from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.outbox import topics
from marketplace.outbox.services import enqueue
from marketplace.producers.models import ProducerGroup


def touch(session: Session, group: ProducerGroup) -> None:
    """Mark the group changed and queue its re-indexing, in the caller's transaction."""
    group.version += 1
    group.updated_at = utcnow()
    announce(session, group)


def announce(session: Session, group: ProducerGroup) -> None:
    """Queue the group's search document for rebuilding (once per transaction)."""
    if group.id is None:
        session.flush()  # a new group needs its id
    enqueue(session, topics.INDEX_GROUP, group.id, {"version": group.version}, coalesce=True)
