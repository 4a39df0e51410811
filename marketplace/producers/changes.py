"""A producer group changed: its version goes up and `producer_group.changed` is published
(search subscribes: the group's document is rebuilt)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.outbox.events import GroupChanged, publish
from marketplace.producers.models import ProducerGroup


def touch(session: Session, group: ProducerGroup) -> None:
    """Mark the group changed and queue its re-indexing, in the caller's transaction."""
    group.version += 1
    group.updated_at = utcnow()
    publish_group_changed(session, group)


def publish_group_changed(session: Session, group: ProducerGroup) -> None:
    """Publish that the group changed, in the caller's transaction (search rebuilds its document, once per transaction)."""
    if group.id is None:
        session.flush()  # a new group needs its id
    publish(session, GroupChanged(group))
