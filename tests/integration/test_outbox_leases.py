"""The worker leases a message, runs its handler and records the outcome in separate short transactions:
while a handler calls out, no lock on the message and no SQLite write lock is held, and a worker that
dies mid-message leaves it to be taken again when its lease runs out."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from marketplace import create_app
from marketplace.cli import upgrade_database
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import HandlerRegistry, RetryPolicy, Worker
from tests.integration.test_outbox import Clock


def _worker(sessions: sessionmaker[Session], handler, clock: Clock | None = None) -> Worker:  # type: ignore[no-untyped-def]
    registry = HandlerRegistry()
    registry.register(topics.SEND_MAIL, handler)
    return Worker(
        sessions,
        registry,
        RetryPolicy(max_attempts=5, base_seconds=10, max_seconds=600),
        clock=clock or Clock(),
        rng=random.Random(5),
        lease_seconds=300,
    )


def _mail(sessions: sessionmaker[Session], clock: Clock) -> int:
    with sessions.begin() as session:
        message = enqueue(
            session, topics.SEND_MAIL, "kofi@example.org", {"to": "kofi@example.org", "subject": "Hi", "body": "Hi"}
        )
        message.next_attempt_at = clock.now
        session.flush()
        return message.id


@pytest.mark.postgres_only
def test_a_handler_runs_with_its_lease_committed_and_no_lock_on_the_message(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    clock = Clock()
    message_id = _mail(sessions, clock)
    seen: dict[str, object] = {}

    def handler(session: Session, message: OutboxMessage) -> None:
        with committed_engine.connect() as other:  # another worker, or an operator, meanwhile
            row = other.execute(
                text("SELECT attempts, next_attempt_at FROM outbox_message WHERE id = :id FOR UPDATE NOWAIT"), {"id": message.id}
            ).one()
            seen["attempts"], seen["leased_until"] = row.attempts, row.next_attempt_at
            other.rollback()

    assert _worker(sessions, handler, clock).drain().done == 1
    assert seen["attempts"] == 1 and seen["leased_until"] == clock.now + dt.timedelta(seconds=300)
    with sessions() as session:
        assert session.get(OutboxMessage, message_id).status == OutboxStatus.DONE


def test_a_handler_that_calls_out_holds_no_sqlite_write_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'loom.db'}"
    upgrade_database(url)
    app: Flask = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-not-for-production",
        }
    )
    sessions = app.extensions["loom.db"]["sessionmaker"]
    clock = Clock()
    _mail(sessions, clock)
    web_writes: list[str] = []

    def handler(session: Session, message: OutboxMessage) -> None:
        session.scalar(select(OutboxMessage.id))  # handlers read Loom's rows before they call out
        web = sqlite3.connect(tmp_path / "loom.db", timeout=0, isolation_level=None)  # a web request that writes now
        try:
            web.execute("BEGIN IMMEDIATE")
            web.execute("ROLLBACK")
            web_writes.append("took the write lock")
        except sqlite3.OperationalError as error:
            web_writes.append(str(error))
        finally:
            web.close()

    assert _worker(sessions, handler, clock).drain().done == 1
    assert web_writes == ["took the write lock"]
    app.extensions["loom.db"]["engine"].dispose()


def test_a_message_whose_worker_died_is_taken_again_when_its_lease_runs_out(app: Flask, session: Session) -> None:
    sessions = app.extensions["loom.db"]["sessionmaker"]
    clock = Clock()
    delivered: list[str] = []
    worker = _worker(sessions, lambda _s, m: delivered.append(m.payload["to"]), clock)
    message_id = _mail(sessions, clock)

    lease = worker.lease()  # ...and the worker process is killed before it runs the handler
    assert lease is not None and lease.message_id == message_id
    assert worker.drain().handled == 0  # leased: nobody else takes it meanwhile
    clock.advance(301)
    assert worker.drain().done == 1
    assert delivered == ["kofi@example.org"]
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message.status == OutboxStatus.DONE and message.attempts == 2
    assert worker.run(lease) is None  # the first lease is stale: its outcome is not recorded over the second's
