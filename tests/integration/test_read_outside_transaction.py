"""A request's reads run outside a transaction on PostgreSQL (no BEGIN and ROLLBACK round trips), its writes inside one.

These tests use the app's own engine, not the tests' rolled-back connection (a session bound to a
connection keeps its transaction): what they write they remove again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from marketplace.db import db, end_reads, write_transaction
from marketplace.pagecache import PublicGeneration

ROW = 9_001  # a public_generation row no page uses
# SQLite's BEGIN is no round trip: its sessions read in a transaction as before.
pytestmark = pytest.mark.postgres_only


def in_transaction(session: Session) -> bool:
    """Tell whether the server holds a transaction open on the session's connection (psycopg's view of it)."""
    dbapi_connection = session.connection().connection.dbapi_connection
    return dbapi_connection.info.transaction_status.name != "IDLE"


@pytest.fixture
def request_session(app: Flask, engine: Engine) -> Iterator[Session]:
    with app.test_request_context("/"):
        yield db.session
    with Session(engine) as cleanup, cleanup.begin():
        cleanup.execute(delete(PublicGeneration).where(PublicGeneration.id == ROW))


def test_a_request_reads_without_a_transaction(request_session: Session) -> None:
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))

    assert not in_transaction(request_session)  # no BEGIN was sent, so no ROLLBACK is owed either


def test_a_use_case_after_reads_is_one_transaction_rolled_back_whole(request_session: Session, engine: Engine) -> None:
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))

    with pytest.raises(RuntimeError), write_transaction(request_session):
        request_session.add(PublicGeneration(id=ROW, token=1))
        request_session.flush()
        assert in_transaction(request_session)
        raise RuntimeError("the use case fails after its first write")

    with Session(engine) as other:
        assert other.get(PublicGeneration, ROW) is None  # not committed statement by statement


def test_a_flush_outside_a_use_case_begins_a_transaction_the_request_leaves_uncommitted(
    request_session: Session, engine: Engine
) -> None:
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))
    request_session.add(PublicGeneration(id=ROW, token=2))
    request_session.flush()

    assert in_transaction(request_session)
    request_session.rollback()  # what closing the request's session does
    with Session(engine) as other:
        assert other.get(PublicGeneration, ROW) is None


def test_a_use_case_commits_what_it_wrote_after_reads(request_session: Session, engine: Engine) -> None:
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))
    with write_transaction(request_session):
        request_session.add(PublicGeneration(id=ROW, token=3))
    end_reads(request_session)  # nothing to end any more: a no-op

    with Session(engine) as other:
        assert other.get(PublicGeneration, ROW).token == 3


@pytest.mark.parametrize(
    "statement",
    [
        select(PublicGeneration.token).where(PublicGeneration.id == ROW).with_for_update(),
        text("SELECT pg_advisory_xact_lock(9001)"),
    ],
    ids=["row lock", "textual statement"],
)
def test_a_lock_taken_outside_a_use_case_holds_until_the_request_ends(request_session: Session, statement: object) -> None:
    request_session.scalar(select(PublicGeneration.token).where(PublicGeneration.id == ROW))
    request_session.execute(statement)

    assert in_transaction(request_session)  # in autocommit the lock would have ended with its statement
    request_session.rollback()
