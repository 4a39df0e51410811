"""A `*.staged` upload left by a process that died mid-request is swept away; one a live request may still commit is not.

An upload is written as `<name>.staged` and renamed just before its transaction commits (or deleted when
it rolls back). A crash in between leaves the staged file and nothing else refers to it. The worker
sweeps such files when it starts and every `STAGED_SWEEP_SECONDS`; `loom uploads sweep` does it by hand.
Only files older than `STAGED_MAX_AGE_SECONDS` go: a request that is still running wrote its own moments ago.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from marketplace.bootstrap import worker_for
from marketplace.cli import main
from marketplace.uploads import STAGED_SUFFIX, sweep_staged

HOUR = 3600


def _file(folder: Path, relative: str, *, age_seconds: float) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG photo bytes")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


@pytest.fixture
def uploads(app: Flask) -> dict[str, Path]:
    """An upload folder as a crash leaves it: an abandoned staged file, a live request's, and committed files."""
    folder = Path(app.config["UPLOAD_DIR"])
    return {
        "abandoned": _file(folder, f"photos/7/abandoned.jpg{STAGED_SUFFIX}", age_seconds=2 * HOUR),
        "abandoned_private": _file(folder, f"evidence/7/old.pdf{STAGED_SUFFIX}", age_seconds=30 * HOUR),
        "live": _file(folder, f"photos/7/live.jpg{STAGED_SUFFIX}", age_seconds=5),
        "committed": _file(folder, "photos/7/kept.jpg", age_seconds=400 * HOUR),
    }


def _left(uploads: dict[str, Path]) -> set[str]:
    return {name for name, path in uploads.items() if path.exists()}


def test_sweeping_removes_only_old_staged_files(app: Flask, uploads: dict[str, Path]) -> None:
    removed = sweep_staged(Path(app.config["UPLOAD_DIR"]), older_than=dt.timedelta(hours=1))

    assert sorted(removed) == sorted([uploads["abandoned"], uploads["abandoned_private"]])
    assert _left(uploads) == {"live", "committed"}


def test_a_sweep_that_could_reach_a_running_request_is_refused(app: Flask) -> None:
    with pytest.raises(ValueError, match="request still running"):
        sweep_staged(Path(app.config["UPLOAD_DIR"]), older_than=dt.timedelta(seconds=5))


def test_the_worker_sweeps_when_it_starts(app: Flask, uploads: dict[str, Path]) -> None:
    worker = worker_for(app)
    worker.drain = lambda **_kwargs: type("Summary", (), {"handled": 0})()  # only the chores matter here
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, kwargs={"poll_seconds": 0.05, "stop": stop})
    thread.start()
    try:
        for _ in range(200):
            if not uploads["abandoned"].exists():
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)

    assert _left(uploads) == {"live", "committed"}


def test_the_worker_sweeps_again_after_its_interval(app: Flask, uploads: dict[str, Path]) -> None:
    worker = worker_for(app)
    (sweep,) = worker.chores
    assert sweep.every_seconds == app.config["STAGED_SWEEP_SECONDS"]
    worker.do_chore(sweep)
    later = _file(Path(app.config["UPLOAD_DIR"]), f"photos/8/later.png{STAGED_SUFFIX}", age_seconds=3 * HOUR)

    worker.do_chore(sweep)

    assert not later.exists() and _left(uploads) == {"live", "committed"}


def test_the_command_sweeps_by_hand(app: Flask, uploads: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["uploads", "sweep"], obj=ScriptInfo(create_app=lambda: app))

    assert result.exit_code == 0, result.output
    assert "2 abandoned staged upload(s)" in result.output
    assert _left(uploads) == {"live", "committed"}
