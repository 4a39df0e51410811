"""The outbox: failures retry with backoff, hopeless messages become dead letters an operator can retry,
and on PostgreSQL several workers share the work without taking a message twice."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import HandlerRegistry, PermanentError, RetryPolicy, Worker
from marketplace.producers.models import ProducerGroup
from tests import factories
from tests.web import sign_in, submit, text_of


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class FlakyMailer:
    """A handler that fails a given number of times before it delivers."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("SMTP server unreachable")
        self.delivered: list[str] = []

    def __call__(self, session: Session, message: OutboxMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.delivered.append(message.payload["to"])


def worker_with(app: Flask, handler, clock: Clock, max_attempts: int = 4) -> Worker:
    registry = HandlerRegistry()
    registry.register(topics.SEND_MAIL, handler)
    return Worker(
        app.extensions["loom.db"]["sessionmaker"],
        registry,
        RetryPolicy(max_attempts=max_attempts, base_seconds=10, max_seconds=600),
        clock=clock,
        rng=random.Random(7),
    )


def mail(session: Session, clock: Clock, to: str = "kofi@example.org") -> OutboxMessage:
    message = enqueue(session, topics.SEND_MAIL, to, {"to": to, "subject": "Hello", "body": "Hi"})
    message.next_attempt_at = clock.now
    session.commit()
    return message


def test_a_failing_message_is_retried_with_growing_delays_until_it_goes_through(app: Flask, session: Session) -> None:
    clock = Clock()
    mailer = FlakyMailer(failures=2)
    worker = worker_with(app, mailer, clock)
    message = mail(session, clock)

    delays = []
    for _ in range(2):
        assert worker.drain().retried == 1
        session.refresh(message)
        delays.append((message.next_attempt_at - clock.now).total_seconds())
        assert worker.drain().handled == 0  # not due yet: nothing is taken early
        clock.advance(delays[-1])

    assert worker.drain().done == 1
    session.refresh(message)
    assert message.status == OutboxStatus.DONE and message.attempts == 3 and message.last_error is None
    assert mailer.delivered == ["kofi@example.org"]
    assert 8 <= delays[0] <= 10 and 16 <= delays[1] <= 20  # base·2^(n-1), jittered into its top fifth


def test_after_the_last_attempt_a_message_is_a_dead_letter_that_an_operator_can_retry(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    clock = Clock()
    mailer = FlakyMailer(failures=4)
    worker = worker_with(app, mailer, clock, max_attempts=4)
    message = mail(session, clock)
    for _ in range(4):
        worker.drain()
        clock.advance(3600)
    session.refresh(message)
    assert message.status == OutboxStatus.DEAD and message.attempts == 4
    assert message.last_error == "ConnectionError: SMTP server unreachable"

    operator = factories.user(session, operator=True)
    sign_in(client, operator.email)
    desk = text_of(client.get("/operator/"))
    assert "SMTP server unreachable" in desk and f"/operator/outbox/{message.id}/retry" in desk

    assert submit(client, "/operator/", {}, action=f"/operator/outbox/{message.id}/retry").status_code == 302
    session.refresh(message)
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    clock.now = max(clock.now, message.next_attempt_at)
    assert worker.drain().done == 1
    assert mailer.delivered == ["kofi@example.org"]


def test_a_permanent_error_is_a_dead_letter_at_once(app: Flask, session: Session) -> None:
    clock = Clock()
    worker = worker_with(app, FlakyMailer(failures=1, error=PermanentError("address rejected: no such mailbox")), clock)
    message = mail(session, clock)

    assert worker.drain().dead == 1
    session.refresh(message)
    assert message.status == OutboxStatus.DEAD and message.attempts == 1
    assert "no such mailbox" in message.last_error


def test_a_topic_without_a_handler_is_retried_not_lost(app: Flask, session: Session) -> None:
    clock = Clock()
    worker = Worker(app.extensions["loom.db"]["sessionmaker"], HandlerRegistry(), clock=clock)
    message = mail(session, clock)

    assert worker.drain().retried == 1
    session.refresh(message)
    assert message.status == OutboxStatus.PENDING
    assert "no handler is registered" in message.last_error


def test_a_failing_handlers_database_writes_are_undone(app: Flask, session: Session) -> None:
    clock = Clock()
    group = factories.producer_group(session)
    session.commit()

    def half_done(handler_session: Session, message: OutboxMessage) -> None:
        handler_session.get(ProducerGroup, group.id).story = "written by a handler that then failed"
        handler_session.flush()
        raise TimeoutError("remote timed out")

    worker = worker_with(app, half_done, clock)
    mail(session, clock)
    worker.drain()

    session.expire_all()
    assert session.get(ProducerGroup, group.id).story == ""


def test_only_operators_see_the_desk(client: FlaskClient, session: Session) -> None:
    sign_in(client, factories.buyer(session).user.email)
    assert client.get("/operator/").status_code == 404


def test_retrying_a_message_that_is_not_dead_is_refused(client: FlaskClient, session: Session) -> None:
    message = mail(session, Clock())
    sign_in(client, factories.user(session, operator=True).email)
    response = submit(client, "/operator/", {}, action=f"/operator/outbox/{message.id}/retry")
    assert response.status_code == 409


@pytest.mark.postgres_only
def test_two_workers_on_postgresql_never_take_the_same_message(app: Flask, committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        for n in range(120):
            enqueue(session, topics.SEND_MAIL, n, {"to": f"artisan{n}@example.org", "subject": "s", "body": "b"})

    handled: Counter[int] = Counter()
    by_worker: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(session: Session, message: OutboxMessage) -> None:
        time.sleep(0.002)  # hold the row lock a moment, as a real delivery would
        with lock:
            handled[message.id] += 1
            by_worker[threading.current_thread().name] += 1

    registry = HandlerRegistry()
    registry.register(topics.SEND_MAIL, handler)
    workers = [threading.Thread(target=Worker(sessions, registry).drain, name=f"worker-{i}") for i in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)

    assert len(handled) == 120 and set(handled.values()) == {1}
    assert all(by_worker[t.name] > 0 for t in workers), by_worker
    with sessions() as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.DONE: 120}


def test_enqueue_refuses_undeclared_topics(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown outbox topic"):
        enqueue(session, "search.reindex_everything", 1)
