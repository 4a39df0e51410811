"""A PostgreSQL deadlock is not the person's problem: the whole use case runs again (real threads, real transactions).

Two use cases lock two rows in opposite orders and meet in the middle: PostgreSQL detects the
deadlock (after `deadlock_timeout`, 1 s by default) and aborts one of them. Without the retry that
one answered 503 and its change was lost; with it, both land, each once.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace import create_app
from marketplace.db import db, lock, run_write, write_transaction
from marketplace.producers.models import ProducerGroup
from tests import factories
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres_only


def _two_groups(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        first, second = factories.producer_group(session), factories.producer_group(session)
        session.commit()
        return first.id, second.id


def _artisans(engine: Engine, *ids: int) -> list[int]:
    with Session(engine) as session:
        return [session.scalar(select(ProducerGroup.artisan_count).where(ProducerGroup.id == i)) for i in ids]


class Crossing:
    """Two use cases that each lock one row, wait until the other holds its row, then lock the other's."""

    def __init__(self) -> None:
        self.both_hold_one = threading.Barrier(2, timeout=20)
        self.attempts: Counter[str] = Counter()

    def __call__(self, session: Session, who: str, first: int, second: int) -> None:
        self.attempts[who] += 1
        lock(session, ProducerGroup, first).artisan_count += 1
        session.flush()
        if self.attempts[who] == 1:
            self.both_hold_one.wait()  # only the first attempts meet; a retry goes straight through
        lock(session, ProducerGroup, second).artisan_count += 1


def _both(work_a: object, work_b: object) -> None:
    threads = [threading.Thread(target=work) for work in (work_a, work_b)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a use case hung"


def test_two_requests_that_deadlock_are_both_run_to_the_end(committed_engine: Engine, tmp_path: Path) -> None:
    a, b = _two_groups(committed_engine)
    crossing = Crossing()
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": postgres_url(),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "WTF_CSRF_ENABLED": False,
        }
    )

    def cross() -> str:
        who, first, second = request.form["who"], int(request.form["first"]), int(request.form["second"])
        with write_transaction(db.session) as session:
            crossing(session, who, first, second)
        return "done"

    app.add_url_rule("/faults/cross", "cross", cross, methods=["POST"])
    answers: dict[str, tuple[int, str]] = {}

    def post(who: str, first: int, second: int) -> None:
        response = app.test_client().post("/faults/cross", data={"who": who, "first": first, "second": second})
        answers[who] = (response.status_code, response.get_data(as_text=True)[:200])

    try:
        _both(lambda: post("ab", a, b), lambda: post("ba", b, a))
    finally:
        app.extensions["loom.db"]["engine"].dispose()

    assert answers == {"ab": (200, "done"), "ba": (200, "done")}
    assert sorted(crossing.attempts.values()) == [1, 2]  # one of them met the deadlock and ran again
    assert _artisans(committed_engine, a, b) == [2, 2]  # each use case landed once, none twice


def test_two_worker_transactions_that_deadlock_are_both_run_to_the_end(committed_engine: Engine) -> None:
    a, b = _two_groups(committed_engine)
    crossing = Crossing()
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    errors: list[BaseException] = []

    def work(who: str, first: int, second: int) -> None:
        try:
            run_write(sessions, lambda session: crossing(session, who, first, second))
        except BaseException as error:  # noqa: BLE001 - the outcome under test
            errors.append(error)

    _both(lambda: work("ab", a, b), lambda: work("ba", b, a))

    assert errors == []
    assert sorted(crossing.attempts.values()) == [1, 2]
    assert _artisans(committed_engine, a, b) == [2, 2]


def test_a_request_that_committed_before_it_deadlocked_is_not_run_again(committed_engine: Engine, tmp_path: Path) -> None:
    """Its first transaction stands; running the request again would repeat it. It answers 503 with Retry-After."""
    a, b = _two_groups(committed_engine)
    crossing = Crossing()
    app: Flask = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": postgres_url(),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "WTF_CSRF_ENABLED": False,
        }
    )
    runs: Counter[str] = Counter()

    def cross() -> str:
        who, first, second = request.form["who"], int(request.form["first"]), int(request.form["second"])
        runs[who] += 1
        with write_transaction(db.session) as session:
            lock(session, ProducerGroup, second).languages = ["en"]  # an earlier unit of work, committed
        with write_transaction(db.session) as session:
            crossing(session, who, first, second)
        return "done"

    app.add_url_rule("/faults/cross", "cross", cross, methods=["POST"])
    answers: dict[str, tuple[int, str | None]] = {}

    def post(who: str, first: int, second: int) -> None:
        response = app.test_client().post("/faults/cross", data={"who": who, "first": first, "second": second})
        answers[who] = (response.status_code, response.headers.get("Retry-After"))

    try:
        _both(lambda: post("ab", a, b), lambda: post("ba", b, a))
    finally:
        app.extensions["loom.db"]["engine"].dispose()

    assert sorted(answers.values()) == [(200, None), (503, "1")]
    assert runs == Counter({"ab": 1, "ba": 1})
