"""A deadlock in the outbox worker's own transactions is run again at once, like a request's (real threads, PostgreSQL).

Two workers each run one message whose handler locks two producer groups in opposite orders, so
PostgreSQL aborts one of them with a deadlock. Before, that message was recorded as failed and waited
for the retry policy's first delay (30 s); now its handler runs again at once and both are done on
their first attempt. A handler that records what an outside call answered (`run_write` on its own
session) has only that recording run again: the call is not repeated.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from marketplace.db import run_write
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import HandlerRegistry, RetryPolicy, Worker
from tests.integration.test_deadlock_retry import Crossing, _artisans, _both, _two_groups
from tests.integration.test_outbox import Clock

pytestmark = pytest.mark.postgres_only


def _messages(sessions: sessionmaker[Session], clock: Clock, a: int, b: int) -> list[int]:
    with sessions.begin() as session:
        made = [
            enqueue(session, topics.SEND_MAIL, who, {"who": who, "first": first, "second": second})
            for who, first, second in (("ab", a, b), ("ba", b, a))
        ]
        for message in made:
            message.next_attempt_at = clock.now
        session.flush()
        return [message.id for message in made]


def _run_two_workers(sessions: sessionmaker[Session], handler, clock: Clock) -> list[OutboxStatus | None]:  # type: ignore[no-untyped-def]
    outcomes: list[OutboxStatus | None] = []

    def work() -> None:
        registry = HandlerRegistry()
        registry.register(topics.SEND_MAIL, handler)
        worker = Worker(sessions, registry, RetryPolicy(base_seconds=30), clock=clock, rng=random.Random(1))
        outcomes.append(worker.run_once())

    _both(work, work)
    return outcomes


def _states(sessions: sessionmaker[Session], ids: list[int]) -> list[tuple[OutboxStatus, int, str | None]]:
    with sessions() as session:
        return [(m.status, m.attempts, m.last_error) for m in (session.get(OutboxMessage, i) for i in ids)]


def test_a_deadlock_in_a_handlers_transaction_runs_the_handler_again_at_once(committed_engine: Engine) -> None:
    a, b = _two_groups(committed_engine)
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    clock = Clock()
    ids = _messages(sessions, clock, a, b)
    crossing = Crossing()

    def handler(session: Session, message: OutboxMessage) -> None:
        payload = message.payload
        crossing(session, payload["who"], payload["first"], payload["second"])  # committed with the message done

    outcomes = _run_two_workers(sessions, handler, clock)

    assert outcomes == [OutboxStatus.DONE, OutboxStatus.DONE]  # not one of them "retry in 30 s"
    assert _states(sessions, ids) == [(OutboxStatus.DONE, 1, None), (OutboxStatus.DONE, 1, None)]
    assert sorted(crossing.attempts.values()) == [1, 2]  # one met the deadlock and ran again
    assert _artisans(committed_engine, a, b) == [2, 2]  # each landed once


def test_recording_an_outside_answer_is_run_again_without_calling_out_again(committed_engine: Engine) -> None:
    a, b = _two_groups(committed_engine)
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    clock = Clock()
    ids = _messages(sessions, clock, a, b)
    crossing = Crossing()
    calls: Counter[str] = Counter()
    calls_lock = threading.Lock()

    def handler(session: Session, message: OutboxMessage) -> None:
        payload = message.payload
        session.commit()  # end the read: no transaction is held while the partner answers
        with calls_lock:
            calls[payload["who"]] += 1  # the outside call (a Stripe transfer, say); its answer is known now
        run_write(session, lambda s: crossing(s, payload["who"], payload["first"], payload["second"]))

    outcomes = _run_two_workers(sessions, handler, clock)

    assert outcomes == [OutboxStatus.DONE, OutboxStatus.DONE]
    assert [status for status, _attempts, _error in _states(sessions, ids)] == [OutboxStatus.DONE, OutboxStatus.DONE]
    assert calls == Counter({"ab": 1, "ba": 1})  # the partner was asked once per message
    assert sorted(crossing.attempts.values()) == [1, 2]
    assert _artisans(committed_engine, a, b) == [2, 2]
