"""PostgreSQL connections describe a result's columns when the description is read (`marketplace.db.DescribedOnRead`):
psycopg 3 builds a `psycopg.Column` for every column each time `cursor.description` is asked for, and SQLAlchemy asks after
every statement but reads it only the first time a compiled statement runs (issue 19)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, Integer, String, literal, select, text

from marketplace.db import DescribedOnRead

pytestmark = pytest.mark.postgres_only


def test_a_description_is_psycopgs_own_when_read(engine: Engine) -> None:
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        assert isinstance(cursor, DescribedOnRead)
        cursor.execute("SELECT 1 AS one, CAST('a' AS text) AS letter, CAST(2.5 AS numeric(6, 2)) AS amount")
        described = cursor.description
        own = psycopg.Cursor.description.fget(cursor)
        assert len(described) == 3 and [column.name for column in described] == ["one", "letter", "amount"]
        assert [tuple(column) for column in described] == [tuple(column) for column in own]  # name, type, sizes, ...
        assert described[-1].type_code == own[-1].type_code and [c.name for c in described[0:2]] == ["one", "letter"]
        cursor.execute("SELECT 2 AS two")
        unread = cursor.description
        cursor.execute("SET LOCAL statement_timeout = 5000")
        assert cursor.description is None  # no rows: as psycopg says
        with pytest.raises(RuntimeError, match="moved on"):
            unread[0]  # a result's description never read while it was there: not the next result's columns
        cursor.execute("SELECT")
        assert cursor.description is not None and len(cursor.description) == 0  # rows of no columns
        cursor.close()
        connection.rollback()


def test_sqlalchemy_reads_its_columns_by_name_through_it(engine: Engine) -> None:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT 7 AS seven, 'x' AS ex")).mappings().one()  # text: described every time
        assert dict(row) == {"seven": 7, "ex": "x"}
        statement = select(literal(5, Integer).label("five"), literal("v", String).label("vee"))
        for _ in range(3):  # a compiled statement: its column map is built from the description on the first run, then kept
            assert dict(connection.execute(statement).mappings().one()) == {"five": 5, "vee": "v"}
        connection.rollback()
