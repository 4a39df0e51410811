"""`begin_write` on SQLite: a write lock another connection holds is waited for, tried again after short jittered pauses,
then refused with a 503 (`DatabaseBusy`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from marketplace.db import DatabaseBusy, begin_write, make_engine


def test_a_write_lock_held_elsewhere_is_waited_for_then_refused_without_a_given_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`begin_write` on SQLite pauses between its tries with a generator made only when a pause is due (issue 19)."""
    pauses: list[float] = []
    monkeypatch.setattr("marketplace.db.time.sleep", pauses.append)
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    engine = make_engine(url, connect_args={"timeout": 0.01})
    try:
        with Session(engine) as session, pytest.raises(DatabaseBusy):
            begin_write(session, attempts=3)
    finally:
        holder.close()
        engine.dispose()
    assert len(pauses) == 2 and 0.05 <= pauses[0] <= 0.25 and 0.1 <= pauses[1] <= 0.5
