"""bench/search.py's several sizes side by side (options, the order of the searches, the growth) and its kept embedded
index (reused only for the same layout, groups, seed and documents)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from bench import search as bench
from search.embedded import SCHEMA_VERSION


def test_one_size_compares_both_backends_on_the_bench_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOM_BENCH_POSTGRES_URL", "postgresql+psycopg://loom@127.0.0.1:55432/loom_bench_x")

    args = bench.parse_args(["--groups", "5000"])

    assert (args.groups, args.backends) == ([5000], "elasticsearch,embedded")
    assert args.database_url == "postgresql+psycopg://loom@127.0.0.1:55432/loom_bench_x"
    assert bench.parse_args([]).groups == [100_000]


def test_several_sizes_measure_the_embedded_backend_on_cached_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOM_BENCH_POSTGRES_URL", "postgresql+psycopg://loom@127.0.0.1:55432/loom_bench_x")

    args = bench.parse_args(["--groups", "300000", "--groups", "100000"])

    assert (args.groups, args.backends, args.database_url) == ([100_000, 300_000], "embedded", None)


@pytest.mark.parametrize(
    "argv",
    [
        ["--groups", "100", "--groups", "100"],
        ["--groups", "0"],
        ["--groups", "100", "--groups", "300", "--backends", "elasticsearch,embedded"],
        ["--groups", "100", "--groups", "300", "--database-url", "postgresql+psycopg://loom@127.0.0.1:55432/loom_bench_x"],
        ["--backends", "elasticsearch"],
    ],
)
def test_options_that_cannot_be_measured_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.parse_args(argv)

    assert exited.value.code == 2


def test_every_query_runs_at_every_size_in_turn_each_size_first_as_often() -> None:
    order = list(bench.alternation(2, 2, 3))

    assert order == [
        (0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0), (0, 2, 0), (0, 2, 1),
        (1, 0, 1), (1, 0, 0), (1, 1, 0), (1, 1, 1), (1, 2, 1), (1, 2, 0),
    ]  # fmt: skip
    three = list(bench.alternation(3, 4, 22))
    assert Counter(three) == Counter((r, q, s) for r in range(4) for q in range(22) for s in range(3))
    firsts = Counter(three[i][2] for i in range(0, len(three), 3))
    assert max(firsts.values()) - min(firsts.values()) <= 1


def test_growth_is_each_size_over_the_next_smaller() -> None:
    figures = {
        300: bench.Latency(90.0, 150.0, 80.0, 120.0),
        100: bench.Latency(30.0, 50.0, 20.0, 40.0),
        900: bench.Latency(180.0, 600.0, 160.0, 360.0),
    }

    assert bench.growth(figures) == [
        (100, 300, bench.Latency(3.0, 3.0, 4.0, 3.0)),
        (300, 900, bench.Latency(2.0, 4.0, 2.0, 3.0)),
    ]
    assert bench.Latency.of([1.0] * 18 + [9.0] * 2, [2.0] * 20) == bench.Latency(1.0, 9.0, 2.0, 2.0)


def test_rebuild_growth_compares_sizes_rebuilt_in_the_run_only() -> None:
    builds = {300: (300, 36.0), 100: (100, 10.0), 900: None, 2700: (2700, 400.0)}

    assert bench.rebuild_growth(builds) == [(100, 300, 3.6)]  # 900 was reused: nothing to compare it or 2,700 with
    assert bench.rebuild_growth({100: None, 300: None}) == []


DAY = dt.date(2026, 11, 30)


def _key(**changes: object) -> str:
    fields: dict[str, object] = {"groups": 100, "seed": 2026, "today": DAY, "database": "ab" * 32, "code": "cd" * 32}
    return bench.index_key(**{**fields, **changes})  # type: ignore[arg-type]


def _built(cache: Path, groups: int, seed: int, key: str) -> None:
    index, reused = bench.kept_index(groups, seed, key, cache)
    assert not reused
    index.path.write_bytes(b"an index")  # what a rebuild leaves, then its key
    bench.keep_key(index, key)


def test_a_kept_index_is_reused_for_the_same_key_only(tmp_path: Path) -> None:
    _built(tmp_path, 100, 2026, _key())

    assert bench.kept_index(100, 2026, _key(), tmp_path)[1]
    assert not bench.kept_index(100, 2027, _key(seed=2027), tmp_path)[1]  # another seed
    assert not bench.kept_index(300, 2026, _key(groups=300), tmp_path)[1]  # another size
    assert bench.kept_index(100, 2026, _key(), tmp_path)[1]  # those had files of their own


@pytest.mark.parametrize(
    "change",
    [
        {"schema_version": SCHEMA_VERSION + 1},
        {"seed": 2027},
        {"today": DAY + dt.timedelta(days=1)},
        {"database": "ef" * 32},
        {"code": "01" * 32},
    ],
)
def test_another_schema_version_seed_day_database_or_code_rebuilds(tmp_path: Path, change: dict[str, object]) -> None:
    assert _key() == _key(schema_version=SCHEMA_VERSION) != _key(**change)
    _built(tmp_path, 100, 2026, _key())

    index, reused = bench.kept_index(100, 2026, _key(**change), tmp_path)

    assert not reused
    assert not bench.kept_index(100, 2026, _key(), tmp_path)[1]  # the old key is gone until a rebuild writes one
    assert index.path == tmp_path / "embedded-100-seed2026.db"


def test_asking_for_a_rebuild_does_not_reuse_a_kept_index(tmp_path: Path) -> None:
    _built(tmp_path, 100, 2026, _key())

    assert not bench.kept_index(100, 2026, _key(), tmp_path, rebuild=True)[1]
    assert not bench.kept_index(100, 2026, _key(), tmp_path)[1]  # its key is gone until the rebuild writes it again
    assert bench.parse_args(["--groups", "100", "--groups", "300", "--rebuild"]).rebuild
    assert not bench.parse_args(["--groups", "100"]).rebuild


def test_an_index_file_without_its_key_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "embedded-100-seed2026.db").write_bytes(b"an interrupted rebuild")

    assert not bench.kept_index(100, 2026, _key(), tmp_path)[1]


def test_the_key_reads_the_database_rows_and_the_document_code(tmp_path: Path) -> None:
    database = tmp_path / "groups.db"
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("CREATE TABLE producer_group (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("CREATE TABLE public_generation (id INTEGER PRIMARY KEY, token TEXT)")
        connection.execute("INSERT INTO producer_group VALUES (1, 'Weavers'), (2, 'Potters')")
    url = f"sqlite:///{database}"
    before = bench.database_digest(url)
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("INSERT INTO public_generation VALUES (2, 'a new token')")  # what a rebuild writes
    assert bench.database_digest(url) == before
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("UPDATE producer_group SET name = 'Basket weavers' WHERE id = 1")

    assert before != bench.database_digest(url) is not None
    assert bench.database_digest("postgresql+psycopg://loom@127.0.0.1:55432/loom_bench_x") is None  # not kept
    for package in ("marketplace", "search"):
        (tmp_path / package).mkdir()
    (tmp_path / "search" / "documents.py").write_text("A = 1\n")
    (tmp_path / "search" / "embedded.py").write_text("B = 1\n")
    code = bench.code_digest(tmp_path)
    (tmp_path / "search" / "embedded.py").write_text("B = 2\n")  # its layout is SCHEMA_VERSION's
    assert bench.code_digest(tmp_path) == code
    (tmp_path / "search" / "documents.py").write_text("A = 2\n")
    assert bench.code_digest(tmp_path) != code


def test_a_rebuild_asked_for_is_made_and_timed_though_a_kept_index_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "CACHE", tmp_path)
    url = bench.prepare_database(6, 7)

    first, reused, build = bench.embedded_for(url, 6, 7, DAY)
    first.close()
    assert not reused and build is not None and build[0] == 6
    kept, reused, build = bench.embedded_for(url, 6, 7, DAY)
    kept.close()
    assert reused and build is None
    fresh, reused, build = bench.embedded_for(url, 6, 7, DAY, fresh=True)
    fresh.close()
    assert not reused and build is not None and build[0] == 6
    assert bench.embedded_for(url, 6, 7, DAY)[1]  # and kept again for the next run
