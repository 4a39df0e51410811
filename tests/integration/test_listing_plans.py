"""Lists of producer groups (home, directory, API) walk an index in the order they show: no scan and
sort of the whole table, so a page costs the same at 100 groups and at 100,000."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.orm import Session

from marketplace.db import POSTGRES_SETTINGS, make_engine
from marketplace.producers.services import list_groups
from tests import factories


@contextmanager
def statements(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """Record the SQL statements (text, parameters) run on `connection` inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def plan(connection: Connection, statement: str, parameters: Any) -> str:
    """The query plan the engine chooses for `statement`, as one string: for a page of cards read with its details
    (`marketplace.producers.cards.with_details`), the plan of the page itself (its `page` CTE), the walk of the index;
    the details that follow are a few rows by group, put in order apart."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return "\n".join(_page_part_sqlite([(row[0], row[1], row[-1]) for row in rows]))
    _as_if_large(connection)
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    return "\n".join(_page_part_postgres([row[0] for row in rows]))


def _as_if_large(connection: Connection) -> None:
    """Make PostgreSQL plan the test's tiny tables as it would large ones, for the rest of the transaction.

    A few rows are cheapest to scan, or to fetch by a bitmap and sort, and a table without statistics is planned from
    guesses: forbidding both shows whether an index can serve the order, as it must when there are 100,000 groups
    (a sort is still planned where none can: it is only made to look costly). An incremental sort too: with statistics
    that count a row or two (gathered while other tests ran), finishing the order of an index that serves only its first
    key looks cheap.
    """
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    connection.exec_driver_sql("SET LOCAL enable_sort = off")
    connection.exec_driver_sql("SET LOCAL enable_incremental_sort = off")


def _page_part_sqlite(rows: list[tuple[int, int, str]]) -> list[str]:
    """The details of SQLite's plan rows (id, parent, detail) under its "MATERIALIZE page", or all of them without one."""
    top = next((id_ for id_, _parent, detail in rows if detail == "MATERIALIZE page"), None)
    if top is None:
        return [detail for _id, _parent, detail in rows]
    inside, kept = {top}, []
    for id_, parent, detail in rows:  # a row comes after its parent
        if parent in inside:
            inside.add(id_)
            kept.append(detail)
    return kept


def _page_part_postgres(lines: list[str]) -> list[str]:
    """PostgreSQL's plan lines under its "CTE page", or all of them without one."""
    start = next((i for i, line in enumerate(lines) if line.strip() == "CTE page"), None)
    if start is None:
        return lines
    depth = len(lines[start]) - len(lines[start].lstrip())
    kept = []
    for line in lines[start + 1 :]:
        if len(line) - len(line.lstrip()) <= depth:
            break
        kept.append(line)
    return kept


def generic_plan(connection: Connection, statement: str, parameters: dict[str, Any]) -> str:
    """PostgreSQL's generic plan for `statement`, the one a prepared statement runs under `plan_cache_mode`
    `force_generic_plan` (`marketplace.db.POSTGRES_SETTINGS`): planned once, whatever the values bound to it."""
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
    numbered = re.sub(r"%\((\w+)\)s", lambda match: f"${names.index(match.group(1)) + 1}", statement)
    _as_if_large(connection)
    connection.exec_driver_sql(f"PREPARE listing_page AS {numbered}")
    try:
        values = sql.SQL(", ").join(sql.Literal(parameters[name]) for name in names)
        explain = sql.SQL("EXPLAIN EXECUTE listing_page({})").format(values).as_string(connection.connection.dbapi_connection)
        return "\n".join(_page_part_postgres([row[0] for row in connection.exec_driver_sql(explain).all()]))
    finally:
        connection.exec_driver_sql("DEALLOCATE listing_page")


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"per_page": 6}, "ix_producer_group_listing"),  # the home page
        ({"page": 3, "per_page": 2}, "ix_producer_group_listing"),  # a deeper directory page
        ({"country": "ke"}, "ix_producer_group_country_listing"),
        ({"category": "baskets"}, "ix_listing_membership_listing"),  # a category's groups, in `listing_membership`
        ({"category": "baskets.storage"}, "ix_listing_membership_listing"),
        ({"country": "KE", "category": "baskets.storage"}, "ix_listing_membership_country_listing"),
        ({"category": "baskets", "after": (True, "Group 2", 0)}, "ix_listing_membership_listing"),  # a cursor's page
    ],
)
def test_a_page_of_groups_is_read_in_index_order_without_sorting(
    session: Session, connection: Connection, filters: dict[str, Any], index: str
) -> None:
    for n, country in enumerate(("KE", "GH", "KE", "IN", "KE", "PE", "KE")):
        group = factories.producer_group(session, name=f"Group {n}", country=country, verified=n % 2 == 0)
        factories.capability(session, group)
    session.commit()  # the total of every listed group, or of a top-level category, is the kept count, kept at commit

    with statements(connection) as seen:
        groups, total = list_groups(session, **filters)
    assert groups and total >= len(groups)
    ordered = re.compile(r"ORDER BY (producer_group|listing_membership)\.verified")
    # After a cursor in the verified groups, the unverified ones may follow in a second statement, planned alike.
    [(page_query, parameters), *_more] = [(s, p) for s, p in seen if ordered.search(s) and "LIMIT" in s]

    shown = plan(connection, page_query, parameters)
    indexes = [index]
    if index == "ix_listing_membership_country_listing" and connection.dialect.name == "postgresql":
        # With statistics that count a few rows (gathered while other tests ran), PostgreSQL may walk the category's
        # listing index and filter the country: that order needs no sort either (checked below).
        indexes.append("ix_listing_membership_listing")
    assert any(name in shown for name in indexes), shown
    if connection.dialect.name == "sqlite":
        assert "TEMP B-TREE FOR ORDER BY" not in shown, shown
        assert "SCAN producer_group\n" not in shown + "\n", shown  # a bare table scan
    else:
        assert "Sort" not in shown, shown
        # What runs: Loom's connections plan a prepared statement once, for any values (`force_generic_plan`).
        generic = generic_plan(connection, page_query, parameters)
        assert any(name in generic for name in indexes) and "Sort" not in generic, generic


@pytest.mark.postgres_only
def test_postgres_connections_plan_a_prepared_statement_once(engine: Engine) -> None:
    """Every connection runs with `POSTGRES_SETTINGS`: PostgreSQL's default re-planned the home page's statements on each run."""
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
        connection.rollback()
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"  # not undone
        assert connection.exec_driver_sql("SHOW random_page_cost").scalar() == "1.1"  # data in memory or on SSD
    assert POSTGRES_SETTINGS == {"plan_cache_mode": "force_generic_plan", "random_page_cost": "1.1"}
    # What the operator sets (here in the URL's options) is left as set: any setting, these too.
    url = make_url(engine.url.render_as_string(hide_password=False)).update_query_dict(
        {"options": "-c statement_timeout=4321 -c plan_cache_mode=auto -c random_page_cost=2.5"}
    )
    other = make_engine(url.render_as_string(hide_password=False))
    try:
        with other.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "4321ms"
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
            assert connection.exec_driver_sql("SHOW random_page_cost").scalar() == "2.5"
    finally:
        other.dispose()
