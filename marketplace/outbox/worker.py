"""Drain the outbox: run each due message's handler, retry failures with backoff, bury the hopeless."""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.db import utcnow
from marketplace.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

Handler = Callable[[Session, OutboxMessage], None]


class PermanentError(Exception):
    """A failure that retrying cannot fix (bad data, refused by the remote): dead-letter at once."""


class HandlerRegistry:
    """Which handler runs for which topic; features register theirs when the app is created."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, topic: str, handler: Handler) -> None:
        if topic in self._handlers:
            raise ValueError(f"a handler for {topic!r} is already registered")
        self._handlers[topic] = handler

    def get(self, topic: str) -> Handler | None:
        return self._handlers.get(topic)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 3600.0

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        """Exponential backoff with jitter: somewhere in the upper half of base·2^(n-1), capped."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        return dt.timedelta(seconds=rng.uniform(ceiling / 2, ceiling))


@dataclass
class DrainSummary:
    done: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.done + self.retried + self.dead


class Worker:
    """Takes due messages one at a time, each in its own transaction.

    On PostgreSQL the row is locked with FOR UPDATE SKIP LOCKED for the length of its handler, so
    any number of workers can run side by side without taking the same message twice. SQLite has
    one writer at a time; run one worker there.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: HandlerRegistry,
        policy: RetryPolicy | None = None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.registry = registry
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()

    def run_once(self) -> OutboxStatus | None:
        """Handle one due message; return its new status, or None when nothing is due."""
        with self.sessions() as session, session.begin():
            now = self.clock()
            message = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if message is None:
                return None
            self._handle(session, message, now)
            return message.status

    def _handle(self, session: Session, message: OutboxMessage, now: dt.datetime) -> None:
        handler = self.registry.get(message.topic)
        message.attempts += 1
        try:
            if handler is None:
                raise LookupError(f"no handler is registered for topic {message.topic!r}")
            # The handler's own writes (bindings, flags) commit with the message's new status, or not at all.
            with session.begin_nested():
                handler(session, message)
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the message
            message.last_error = f"{type(error).__name__}: {error}"[:4000]
            if isinstance(error, PermanentError) or message.attempts >= self.policy.max_attempts:
                message.status = OutboxStatus.DEAD
                message.processed_at = now
                log.warning("outbox message %s (%s) is a dead letter: %s", message.id, message.topic, error)
            else:
                message.next_attempt_at = now + self.policy.delay(message.attempts, self.rng)
                log.info("outbox message %s (%s) failed, retrying: %s", message.id, message.topic, error)
            return
        message.status = OutboxStatus.DONE
        message.processed_at = now
        message.last_error = None

    def drain(self, *, limit: int | None = None) -> DrainSummary:
        """Handle due messages until none is due (or `limit` is reached)."""
        summary = DrainSummary()
        while limit is None or summary.handled < limit:
            status = self.run_once()
            if status is None:
                break
            if status == OutboxStatus.DONE:
                summary.done += 1
            elif status == OutboxStatus.DEAD:
                summary.dead += 1
            else:
                summary.retried += 1
        return summary

    def run_forever(self, *, poll_seconds: float = 1.0, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                summary = self.drain(limit=100)
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("outbox worker could not drain")
                summary = DrainSummary()
            if summary.handled == 0:
                stop.wait(poll_seconds)
