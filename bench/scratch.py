"""Databases and search indexes that benchmarks may wipe: their own, never the tests' or anyone's data.

A benchmark names its PostgreSQL database and its index prefix by option. Before wiping a database
it checks that the database is not the test database and that every table in it was made by a
benchmark (a `loom_bench_scratch` table marks it so); an index prefix must be new, so deleting
`<prefix>*` afterwards deletes only what the benchmark made.
"""

from __future__ import annotations

import os

from sqlalchemy import inspect, make_url, text

from marketplace.db import make_engine

MARKER = "loom_bench_scratch"


class Refused(SystemExit):
    """The benchmark will not touch this database or index; the message says why."""


def _same_database(a: str, b: str) -> bool:
    x, y = make_url(a), make_url(b)
    return (x.get_backend_name(), x.host or "", x.port, x.database) == (y.get_backend_name(), y.host or "", y.port, y.database)


def refuse_test_database(url: str) -> None:
    """Exit if `url` is the test database (LOOM_TEST_POSTGRES_URL) or is named like one."""
    test_url = os.environ.get("LOOM_TEST_POSTGRES_URL")
    if test_url and _same_database(url, test_url):
        raise Refused(
            f"{make_url(url).render_as_string()} is the test database (LOOM_TEST_POSTGRES_URL); give the benchmark a "
            "database of its own."
        )
    if "test" in (make_url(url).database or "").lower():
        raise Refused(f"{make_url(url).database!r} looks like a test database; give the benchmark a database of its own.")


def scratch_contents(url: str) -> str | None:
    """What the benchmark database at `url` was filled with (as `claim_postgres` recorded it), or None."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if MARKER not in inspect(connection).get_table_names():
                return None
            return connection.execute(text(f"SELECT contents FROM {MARKER}")).scalar()  # noqa: S608 - a constant name
    finally:
        engine.dispose()


def claim_postgres(url: str, contents: str = "") -> None:
    """Empty the PostgreSQL database at `url` for a benchmark and mark it as a benchmark's.

    Raises `Refused` for the test database, and for a database holding any table that a benchmark
    did not make (no marker table): the benchmark then stops before it has changed anything.
    """
    refuse_test_database(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = inspect(connection).get_table_names()
            if tables and MARKER not in tables:
                raise Refused(
                    f"{make_url(url).database!r} holds {len(tables)} tables that no benchmark made; refusing to wipe it. "
                    "Create an empty database for benchmarks (e.g. createdb loom_bench)."
                )
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            connection.execute(text(f"CREATE TABLE {MARKER} (contents TEXT NOT NULL)"))
            connection.execute(text(f"INSERT INTO {MARKER} (contents) VALUES (:contents)"), {"contents": contents})  # noqa: S608
    finally:
        engine.dispose()


def mark_filled(url: str, contents: str) -> None:
    """Record what the claimed database now holds, so a later run can reuse it (see `scratch_contents`)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {MARKER} SET contents = :contents"), {"contents": contents})  # noqa: S608
    finally:
        engine.dispose()


def claim_index_prefix(client, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Exit unless `prefix` is a new index prefix: not the app's or the tests', and no index or alias starts with it."""
    if prefix == "loom-groups" or prefix.startswith(("loom-test", "loom-groups")):
        raise Refused(f"{prefix!r} is the app's or the tests' index name; give the benchmark a prefix of its own.")
    existing = client.indices.get_alias(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)
    if existing:
        raise Refused(
            f"indexes starting with {prefix!r} exist already ({', '.join(sorted(existing))}); the benchmark deletes its "
            "own at the end, so choose a new prefix."
        )
