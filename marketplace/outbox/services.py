"""Write outbox messages inside the caller's transaction; list and revive dead letters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from marketplace.db import use_case, utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.topics import TOPICS


def enqueue(
    session: Session,
    topic: str,
    key: str | int,
    payload: dict[str, Any] | None = None,
    *,
    coalesce: bool = False,
    settle: dt.timedelta | None = None,
) -> OutboxMessage:
    """Add a message to the outbox as part of the current transaction.

    With `coalesce`, a message for the same topic and key already added in this transaction is
    updated instead: for jobs that read the current state when they run, one is enough.

    With `settle` (implies `coalesce`), the message waits that long before a worker may take it, and
    a message for the same topic and key committed earlier that no worker has taken yet (pending,
    never attempted) absorbs this one, keeping its time: a burst of changes — ten messages in a
    thread within a minute — makes one job, run `settle` after the first. The earlier message is
    locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one writer at a time) so that no
    worker takes it before this transaction commits; if a worker holds it already, a new message is
    added, so no change is ever left behind a job that read the state before it.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown outbox topic {topic!r}; declare it in marketplace.outbox.topics")
    this_transaction = session.info.setdefault(_ADDED, {})
    if (coalesce or settle is not None) and (topic, str(key)) in this_transaction:
        message = this_transaction[topic, str(key)]
        message.payload = payload or {}
        if settle is None and message.next_attempt_at is not None and not message.attempts:
            message.next_attempt_at = min(message.next_attempt_at, utcnow())  # a change that should not wait joined it
        return message
    if settle is not None:
        waiting = session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.topic == topic,
                OutboxMessage.key == str(key),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.attempts == 0,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if waiting is not None:
            waiting.payload = payload or {}
            this_transaction[topic, str(key)] = waiting
            return waiting
    message = OutboxMessage(topic=topic, key=str(key), payload=payload or {})
    if settle is not None:
        message.next_attempt_at = utcnow() + settle
    session.add(message)
    this_transaction[topic, str(key)] = message
    return message


_ADDED = "loom.outbox.added"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_added(session: Session) -> None:
    session.info.pop(_ADDED, None)


def dead_letters(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """Return up to `limit` dead letters, the most recently given up first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.DEAD)
        .order_by(OutboxMessage.processed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def counts_by_status(session: Session) -> dict[OutboxStatus, int]:
    """Count the outbox messages in each status; every status is a key (0 when none)."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


@use_case
def retry_dead_letter(session: Session, message_id: int) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts, keeping its last error for reference.

    Raises `NotFound` (no such message) or `Conflict` (not a dead letter).
    """
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(_("That message no longer exists."))
    if message.status != OutboxStatus.DEAD:
        raise Conflict(_("Only dead letters can be retried; this message is still being worked on or is done."))
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.processed_at = None
    return message
