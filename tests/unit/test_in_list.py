"""The pages' statements that take a list of ids (`marketplace.db.InList`) send it to PostgreSQL as one array parameter.

An expanding IN is rendered again on every execution, one placeholder and type cast per id, and its text changes with the
number of ids, so each page size is a statement of its own for psycopg's prepared statements (issue 19).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.db import InList
from marketplace.producers import cards, covers
from marketplace.producers.models import ProducerGroup

STATEMENTS: dict[str, Any] = {
    "cards' details": cards._CARD_DETAILS[False],
    "cards' details with covers": cards._CARD_DETAILS[True],
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
