"""`retry_when_busy`: a busy database runs the use case again a bounded number of times, with jittered pauses."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from marketplace.db import BUSY_ATTEMPTS, DatabaseBusy, busy_pause, retry_when_busy


def _busy() -> OperationalError:
    return OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))


def test_a_use_case_that_meets_a_busy_database_runs_again_until_it_succeeds() -> None:
    runs: list[int] = []

    def use_case() -> str:
        runs.append(1)
        if len(runs) < BUSY_ATTEMPTS:
            raise _busy()
        return "done"

    assert retry_when_busy(use_case, rng=random.Random(1)) == "done"
    assert len(runs) == BUSY_ATTEMPTS


def test_when_every_attempt_is_busy_the_person_is_asked_to_send_again() -> None:
    runs: list[int] = []

    def use_case() -> None:
        runs.append(1)
        raise _busy()

    with pytest.raises(DatabaseBusy) as raised:
        retry_when_busy(use_case, rng=random.Random(1))
    assert len(runs) == BUSY_ATTEMPTS and raised.value.status == 503 and raised.value.retry_after == 1


def test_other_errors_and_refused_retries_are_not_run_again() -> None:
    runs: list[int] = []

    def broken() -> None:
        runs.append(1)
        raise IntegrityError("INSERT …", {}, sqlite3.IntegrityError("NOT NULL constraint failed: quote.rfq_id"))

    with pytest.raises(IntegrityError):
        retry_when_busy(broken)
    with pytest.raises(DatabaseBusy):
        retry_when_busy(lambda: (runs.append(1), (_ for _ in ()).throw(_busy())), may_retry=lambda: False)
    assert len(runs) == 2


def test_pauses_double_and_are_jittered() -> None:
    rng = random.Random(3)
    for attempt, ceiling in ((1, 0.05), (2, 0.1), (3, 0.2)):
        pauses = {busy_pause(attempt, rng) for _ in range(20)}
        assert all(ceiling / 2 <= p <= ceiling for p in pauses) and len(pauses) == 20


def test_the_jitter_is_seeded_only_when_a_pause_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request runs its view through `retry_when_busy`: seeding a generator from the system each time cost about
    10 µs a request (issue 19). One is made only for the first pause, and serves the later ones."""
    made: list[random.Random] = []
    pauses: list[float] = []

    class Counted(random.Random):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr("marketplace.db.random.Random", Counted)
    monkeypatch.setattr("marketplace.db.time.sleep", pauses.append)
    assert retry_when_busy(lambda: "done") == "done"
    assert made == []

    runs: list[int] = []

    def use_case() -> str:
        runs.append(1)
        if len(runs) < 3:
            raise _busy()
        return "done"

    assert retry_when_busy(use_case) == "done"
    assert len(made) == 1 and len(pauses) == 2
    assert 0.025 <= pauses[0] <= 0.05 and 0.05 <= pauses[1] <= 0.1
