"""The pages' statements that take a list of ids (`marketplace.db.InList`) send it to PostgreSQL as one array parameter.

An expanding IN is rendered again on every execution, one placeholder and type cast per id, and its text changes with the
number of ids, so each page size is a statement of its own for psycopg's prepared statements (issue 19).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.db import InList, InSelect
from marketplace.producers import covers, services
from marketplace.producers.models import ProducerGroup

STATEMENTS: dict[str, Any] = {
    "covers": covers.FIRST_PHOTOS_OF_IDS,
}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_list_of_ids_is_one_array_parameter_on_postgresql(name: str) -> None:
    compiled = STATEMENTS[name].compile(dialect=postgresql.psycopg.dialect())
    assert "POSTCOMPILE" not in compiled.string and "= ANY (%(ids)s::INTEGER[])" in compiled.string, compiled.string
    assert not any(bind.expanding for bind in compiled.binds.values())


def test_elsewhere_it_is_an_expanding_in() -> None:
    statement = select(ProducerGroup.id).where(InList(ProducerGroup.id, "ids"))
    compiled = statement.compile(dialect=sqlite.dialect())
    assert compiled.string.endswith("WHERE producer_group.id IN (__[POSTCOMPILE_ids])"), compiled.string


def test_a_page_s_details_look_its_ids_up_as_an_array_on_postgresql() -> None:
    """The cards' details (`marketplace.producers.cards.with_details`) read the page's ids as `= ANY(ARRAY(subquery))` on
    PostgreSQL: its generic plan guessed a tenth of the groups for the page's `LIMIT :n` and hashed every capability."""
    statement = services._FIRST_CARDS
    on_postgresql = statement.compile(dialect=postgresql.psycopg.dialect()).string
    for table in ("capability", "certification", "photo"):
        assert f"WHERE {table}.group_id = ANY (ARRAY(SELECT page.id \nFROM page))" in on_postgresql, on_postgresql
    assert " IN (SELECT" not in on_postgresql
    on_sqlite = statement.compile(dialect=sqlite.dialect()).string
    for table in ("capability", "certification", "photo"):
        assert f"WHERE {table}.group_id IN (SELECT page.id \nFROM page)" in on_sqlite, on_sqlite


def test_in_select_is_a_condition_on_its_column() -> None:
    statement = select(ProducerGroup.id).where(InSelect(ProducerGroup.id, select(ProducerGroup.id).limit(3)))
    assert "FROM producer_group \nWHERE producer_group.id = ANY (ARRAY(SELECT" in str(
        statement.compile(dialect=postgresql.dialect())
    )
