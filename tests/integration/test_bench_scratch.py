"""Benchmarks cannot destroy data: they refuse the test database, any database holding tables no
benchmark made, and index names already in use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from bench import scratch

ROOT = Path(__file__).resolve().parents[2]


def test_the_test_database_is_refused_however_its_url_is_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOM_TEST_POSTGRES_URL", "postgresql+psycopg://loom@127.0.0.1:55432/shared")
    with pytest.raises(scratch.Refused, match="is the test database"):
        scratch.refuse_test_database("postgresql://loom:pw@127.0.0.1:55432/shared")
    scratch.refuse_test_database("postgresql://loom@127.0.0.1:55432/loom_bench")  # a database of its own passes


@pytest.mark.parametrize("prefix", ["loom-groups", "loom-test-1a2b3c"])
def test_the_apps_and_the_tests_index_names_are_refused(prefix: str) -> None:
    with pytest.raises(scratch.Refused):
        scratch.claim_index_prefix(None, prefix)  # refused before Elasticsearch is asked anything


@pytest.mark.postgres_only
def test_a_database_with_tables_no_benchmark_made_is_left_alone(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    url = engine.url.render_as_string(hide_password=False)
    before = set(inspect(engine).get_table_names())
    monkeypatch.delenv("LOOM_TEST_POSTGRES_URL")
    monkeypatch.setattr(scratch, "refuse_test_database", lambda url: None)  # only the tables are left to tell

    with pytest.raises(scratch.Refused, match="tables that no benchmark made"):
        scratch.claim_postgres(url)

    assert set(inspect(engine).get_table_names()) == before and "producer_group" in before


@pytest.mark.postgres_only
def test_the_payments_benchmark_refuses_the_test_database(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "LOOM_TEST_POSTGRES_URL": url}
    done = subprocess.run(
        [sys.executable, "bench/payments.py", "--events", "1", "--database", "postgresql", "--database-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0 and "is the test database" in done.stderr, done.stderr
    assert "producer_group" in inspect(engine).get_table_names()
