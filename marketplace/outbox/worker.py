"""Drain the outbox: run each due message's handler, retry failures with backoff, bury the hopeless."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.db import retry_when_busy, run_write, utcnow
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
        """Register `handler` for outbox `topic`; raise ValueError when the topic already has one."""
        if topic in self._handlers:
            raise ValueError(f"a handler for {topic!r} is already registered")
        self._handlers[topic] = handler

    def get(self, topic: str) -> Handler | None:
        """Return the handler registered for `topic`, or None."""
        return self._handlers.get(topic)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failing message is tried again: capped exponential backoff over about two to three days.

    After failed attempt n the next one waits between 80 % and 100 % of min(base·2^(n-1), max); after
    `max_attempts` failures the message is a dead letter. The defaults (30 s doubling to a 1 h ceiling,
    70 attempts) keep trying for 50–63 hours: an Odoo, Stripe or SMTP outage over a weekend loses nothing.
    """

    max_attempts: int = 70
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def ceiling(self, attempts: int) -> float:
        """The longest wait after failed attempt number `attempts` (1-based), in seconds."""
        return min(self.max_seconds, self.base_seconds * 2 ** min(attempts - 1, 64))

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        """Wait after failed attempt number `attempts`: jittered into the top fifth of its ceiling."""
        ceiling = self.ceiling(attempts)
        return dt.timedelta(seconds=rng.uniform(ceiling * 0.8, ceiling))

    def horizon(self) -> tuple[dt.timedelta, dt.timedelta]:
        """The shortest and longest time from the first failure to the dead letter."""
        total = sum(self.ceiling(n) for n in range(1, self.max_attempts))
        return dt.timedelta(seconds=total * 0.8), dt.timedelta(seconds=total)


@dataclass
class DrainSummary:
    done: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def handled(self) -> int:
        """Return how many messages the drain handled: done, retried later and dead together."""
        return self.done + self.retried + self.dead


@dataclass(frozen=True)
class Chore:
    """Housekeeping the running worker does at start and then every `every_seconds` (such as sweeping abandoned uploads)."""

    name: str
    every_seconds: float
    run: Callable[[], object]


@dataclass(frozen=True)
class Lease:
    """A message taken by this worker until `until`: its id and the attempt number it was taken for."""

    message_id: int
    attempt: int
    until: dt.datetime


_WROTE = "loom.outbox.handler_wrote"
_ONLY_READ = object()  # the handler ran to the end and wrote nothing: its outcome is recorded in a transaction of its own


def _note_write(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


class Worker:
    """Takes due messages one at a time: lease, run, record — each in its own short transaction.

    1. Lease: the message is taken (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on SQLite),
       its attempt counted and its next attempt moved `lease_seconds` ahead, and that is committed.
       No other worker takes it while the lease runs; if this one dies, it is due again afterwards.
    2. Run: the handler gets a session of its own and the message. No lock on the message is held,
       and on SQLite no write lock is held while it calls out (unless the handler itself writes
       first). What it wrote commits together with the message marked done; a handler may also commit
       its own short write transactions as it goes (the Odoo connector commits each binding right
       after its remote write, payments record Stripe's answer), and those stand if it fails later.
    3. Record: a handler that wrote nothing, or failed, has its outcome recorded in a separate short
       write transaction — unless the lease was lost (another worker took the message over).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: HandlerRegistry,
        policy: RetryPolicy | None = None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        lease_seconds: float = 300.0,
        chores: Sequence[Chore] = (),
        topics: frozenset[str] | None = None,
    ) -> None:
        self.sessions = sessions
        self.chores = tuple(chores)
        self.topics = topics  # only messages of these topics (a worker given to imports, say); None: every topic
        self.registry = registry
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.lease_seconds = lease_seconds

    def run_once(self) -> OutboxStatus | None:
        """Handle one due message; return its new status, or None when nothing is due."""
        lease = self.lease()
        if lease is None:
            return None
        return self.run(lease)

    def lease(self) -> Lease | None:
        """Take the next due message for `lease_seconds` and count the attempt (one short transaction).

        A deadlock or a busy database runs the transaction again (`run_write`); nothing is due, nothing is written.
        """
        return run_write(self.sessions, self._lease)

    def _lease(self, session: Session) -> Lease | None:
        now = self.clock()
        due = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        if self.topics is not None:
            due = due.where(OutboxMessage.topic.in_(self.topics))
        message = session.scalars(
            due.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1).with_for_update(skip_locked=True)
        ).first()
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + dt.timedelta(seconds=self.lease_seconds)
        return Lease(message.id, message.attempts, message.next_attempt_at)

    def run(self, lease: Lease) -> OutboxStatus | None:
        """Run the leased message's handler, then record what came of it.

        A busy database in the handler's transaction (a PostgreSQL deadlock or serialization failure,
        also at its commit; a SQLite write lock held past the busy timeout) runs the handler again at
        once, like a request (`retry_when_busy`), instead of after the retry policy's first delay. That
        is safe because every handler already has to be safe to run again (the outbox delivers at
        least once): it looks for what an earlier run made before it makes anything remotely (Odoo
        records by natural key, notes by marker, Stripe transfers and refunds by metadata), and what
        it learned from a call it records in a short transaction of its own that is itself run again
        when busy (`run_write` on its session), so a known answer is recorded, not asked for again.
        """
        try:
            outcome = retry_when_busy(lambda: self._run_handler(lease), rng=self.rng)
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the message
            return self._record(lease, error)
        return self._record(lease, None) if outcome is _ONLY_READ else outcome

    def _run_handler(self, lease: Lease) -> OutboxStatus | object | None:
        """Run the handler once on a session of its own; DONE when its writes committed with the message, None when the lease was
        lost."""
        with self.sessions() as session:
            session.info[_WROTE] = False
            event.listen(session, "after_flush", _note_write)
            try:
                message = session.get(OutboxMessage, lease.message_id)
                if message is None or message.attempts != lease.attempt or message.status != OutboxStatus.PENDING:
                    return None  # gone, or taken over by another worker after our lease ran out
                handler = self.registry.get(message.topic)
                if handler is None:
                    raise LookupError(f"no handler is registered for topic {message.topic!r}")
                handler(session, message)
                if session.info[_WROTE] or session.new or session.dirty or session.deleted:
                    # The handler's own writes (bindings, flags) commit with the message done, or not at all.
                    now = self.clock()
                    message.status, message.processed_at, message.last_error = OutboxStatus.DONE, now, None
                    session.commit()
                    return OutboxStatus.DONE
            finally:
                session.rollback()  # it only read, or it failed: end that before taking the write lock to record
        return _ONLY_READ

    def _record(self, lease: Lease, error: Exception | None) -> OutboxStatus | None:
        """Record the outcome of a leased run in its own short transaction, run again when the database is busy."""
        return run_write(self.sessions, lambda session: self._record_in(session, lease, error))

    def _record_in(self, session: Session, lease: Lease, error: Exception | None) -> OutboxStatus | None:
        now = self.clock()
        message = session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.id == lease.message_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if message is None or message.attempts != lease.attempt or message.status != OutboxStatus.PENDING:
            log.warning("outbox message %s: lease lost before its outcome was recorded", lease.message_id)
            return None
        if error is None:
            message.status, message.processed_at, message.last_error = OutboxStatus.DONE, now, None
            return message.status
        message.last_error = f"{type(error).__name__}: {error}"[:4000]
        if isinstance(error, PermanentError) or message.attempts >= self.policy.max_attempts:
            message.status = OutboxStatus.DEAD
            message.processed_at = now
            log.warning("outbox message %s (%s) is a dead letter: %s", message.id, message.topic, error)
        else:
            message.next_attempt_at = now + self.policy.delay(message.attempts, self.rng)
            log.info("outbox message %s (%s) failed, retrying: %s", message.id, message.topic, error)
        return message.status

    def drain(self, *, limit: int | None = None) -> DrainSummary:
        """Handle due messages until none is due (or `limit` is reached)."""
        summary = DrainSummary()
        while limit is None or summary.handled < limit:
            lease = self.lease()
            if lease is None:
                break
            status = self.run(lease)
            if status is None:
                continue  # its lease was lost to another worker, which records it
            if status == OutboxStatus.DONE:
                summary.done += 1
            elif status == OutboxStatus.DEAD:
                summary.dead += 1
            else:
                summary.retried += 1
        return summary

    def run_forever(self, *, poll_seconds: float = 1.0, stop: threading.Event | None = None) -> None:
        """Drain due messages (100 at a time) until `stop` is set, pausing `poll_seconds` when none was due.

        A failing drain is logged, not fatal. The chores are done at start and then each every its `every_seconds`.
        """
        stop = stop or threading.Event()
        next_chore = dict.fromkeys(range(len(self.chores)), 0.0)  # each is done once at start
        while not stop.is_set():
            for n, chore in enumerate(self.chores):
                if time.monotonic() >= next_chore[n]:
                    self.do_chore(chore)
                    next_chore[n] = time.monotonic() + chore.every_seconds
            try:
                summary = self.drain(limit=100)
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("outbox worker could not drain")
                summary = DrainSummary()
            if summary.handled == 0:
                stop.wait(poll_seconds)

    @staticmethod
    def do_chore(chore: Chore) -> None:
        """Do one chore; a failure is logged and the worker goes on (it is tried again at its next turn)."""
        try:
            chore.run()
        except Exception:  # noqa: BLE001 - housekeeping never stops the delivery of messages
            log.exception("worker chore %r failed", chore.name)
