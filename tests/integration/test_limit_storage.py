"""Rate limits counted in one process (`memory://`) start no thread per request, and still count and forget (issue 19).

`limits`' own `MemoryStorage` restarts a 10 ms sweeping timer on each count once the last one ran out: a thread
started, and waited for, by nearly every API request. Loom serves `memory://` from `SweptMemoryStorage`, which
sweeps inline at most once a second.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.limits import SweptMemoryStorage, limiter


@pytest.fixture
def started_threads(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    started: list[threading.Thread] = []
    original = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread)
        original(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def test_memory_limits_are_counted_without_a_thread_per_request(
    app: Flask, client: FlaskClient, started_threads: list[threading.Thread]
) -> None:
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("loom-memory://")  # the suite's app keeps the default memory://
    assert isinstance(limiter.storage, SweptMemoryStorage)
    for _ in range(20):
        assert client.get("/api/v1/groups").status_code == 200
        threading.Event().wait(0.012)  # past the stock storage's 10 ms timer, which the next count would start again
    assert started_threads == []


def test_the_swept_store_counts_and_forgets_expired_counters(started_threads: list[threading.Thread]) -> None:
    storage: Any = SweptMemoryStorage()
    started_threads.clear()  # MemoryStorage's constructor starts (and ours cancels) its first timer: once, not per count
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.acquire_entry("moving", 2, 60) and storage.acquire_entry("moving", 2, 60)
    assert not storage.acquire_entry("moving", 2, 60)  # a moving window of 2 is full
    storage.incr("old", 60)
    storage.expirations["old"] = 0.0  # as if its minute had passed
    assert storage.get("old") == 0  # an expired counter reads 0 at once, sweep or not
    storage.incr("stale", 60)
    storage.expirations["stale"] = 0.0
    assert "stale" in storage.storage
    storage.next_sweep = 0.0  # the sweep is due: the next count runs it
    assert storage.incr("a", 60) == 4
    assert "stale" not in storage.storage and "stale" not in storage.expirations
    assert started_threads == []
