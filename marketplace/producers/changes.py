"""A producer group changed: its version goes up and `producer_group.changed` is published
(search subscribes: the group's document is rebuilt); `producer_group.record_changed` when what its
measured record is counted from changed (search rebuilds the document once a burst has settled)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.outbox.events import GroupChanged, GroupRecordChanged, publish
from marketplace.producers.models import ProducerGroup


def touch(session: Session, group: ProducerGroup) -> None:
    """Mark the group changed and queue its re-indexing, in the caller's transaction.

    The database increments the version (`version + 1` in the UPDATE, not the value this session read):
    two edits of one group committing at once get two versions. With a version computed from a stale
    read both had the same one, and the search index, which keeps a document's highest version,
    refused the second edit's document: the page showed one edit, search the other.
    """
    if group.id is None:
        session.flush()  # a new group needs its row before the database can count its versions
    group.version = ProducerGroup.version + 1
    group.updated_at = utcnow()
    session.flush()  # the new version is read back when it is next needed (the re-index message carries it)
    publish_group_changed(session, group)


def publish_group_changed(session: Session, group: ProducerGroup) -> None:
    """Publish that the group changed, in the caller's transaction (search rebuilds its document, once per transaction)."""
    if group.id is None:
        session.flush()  # a new group needs its id
    publish(session, GroupChanged(group))


def publish_record_changed(session: Session, group: ProducerGroup) -> None:
    """Publish that something the group's measured record counts happened (a quote, a message, an order moved).

    The version goes up in the database (`version + 1`, which waits for a concurrent change of the row,
    so two of them never hand out the same number and the index never refuses the later one as a replay).
    """
    session.execute(
        update(ProducerGroup)
        .where(ProducerGroup.id == group.id)
        .values(version=ProducerGroup.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(group, ["version", "updated_at"])
    publish(session, GroupRecordChanged(group))
