"""Search benchmark: 100,000 generated producer groups, both backends, side by side; or several sizes of the embedded one.

    make bench-search                 (one command: starts Elasticsearch, then runs this at 100,000 groups)
    python bench/search.py [--groups N] [--database-url URL] [--index-prefix NAME]
    python bench/search.py --groups 100000 --groups 300000      (the embedded backend's growth, sizes side by side)

With one --groups, prints index build rates and p50/p95 latency over a fixed mix of queries for Loom's Elasticsearch
backend end to end, the raw `es.search` call with the very same body (the floor), and the embedded
backend, with each one's ratio to the floor and Elasticsearch's to the embedded backend side by side,
the CPU time a search costs this process (Loom's own share on Elasticsearch: Loom's minus the raw call's; the embedded
backend's p50 and p95, which a loaded machine moves far less than its wall time),
the targets (issue 15: Elasticsearch p95 ≤ 50 ms at 100,000 groups, embedded p95 ≤ 50 ms at 10,000),
and the machine's load average while the queries ran (latency on a shared machine says little without it). The generated database
is cached in bench/.cache/ between runs, or built in the PostgreSQL
database --database-url names (kept while it holds the same groups; the test database, or one with
tables no benchmark made, is refused). The Elasticsearch indexes are made under --index-prefix (a new
random one by default; a prefix already in use is refused) and deleted at the end.

With --groups given more than once, only the embedded backend is measured (Elasticsearch is compared with it
one size a run; asking for it with several sizes is refused), each size from its own cached SQLite file
(--database-url and LOOM_BENCH_POSTGRES_URL are not used: a benchmark database holds one size). Each query of
the mix runs at every size in turn, the order turned by one at each query, so every size sees the same load from
whatever else runs on the machine; the sizes are compared query by query, not one run after the other. Prints
each size's p50/p95 by wall time and by this process's CPU, the growth between consecutive sizes (ratios of those
four figures, beside the ratio of the sizes), the targets of issue 19 (p95 ≤ 100 ms at 100,000 groups, p95 growing
no faster than the groups) and the load average.

The embedded index built from a cached SQLite database is kept in bench/.cache/ (embedded-N-seedS.db) with its key
beside it (.key): the index SCHEMA_VERSION, the groups and seed, the day the documents were counted from, and the
SHA-256 of the database's rows (but the page cache's generations, which a rebuild replaces) and of the code that
makes documents (marketplace/ and search/ but search/embedded.py, whose layout SCHEMA_VERSION names). A run whose
key matches reuses the index (building 300,000 groups takes minutes) and says so; any other rebuilds it. An index
built from PostgreSQL is not kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import os
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click
from sqlalchemy import make_url
from sqlalchemy.orm import Session

if __name__ == "__main__":  # run as a script, this file would shadow the `search` package: put the repository first instead
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.scratch import claim_index_prefix, claim_postgres, mark_filled, scratch_contents  # noqa: E402
from marketplace.bootstrap import wire_subscribers  # noqa: E402
from marketplace.cli import upgrade_database  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.demo import generate_groups  # noqa: E402
from marketplace.outbox import events  # noqa: E402
from marketplace.pagecache import PublicGeneration  # noqa: E402
from marketplace.producers.counts import recount  # noqa: E402
from marketplace.producers.importer import SourceRecord, import_groups  # noqa: E402
from search.elastic import ElasticsearchIndex  # noqa: E402
from search.embedded import SCHEMA_VERSION, EmbeddedIndex  # noqa: E402
from search.indexing import documents, group_count, rebuild  # noqa: E402
from search.query import CapacityNeed, Near, SearchQuery, Sort  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
PREBUILT_SAMPLE = 30_000


def prepare_database(groups: int, seed: int, url: str | None = None) -> str:
    """The URL of a database holding `groups` generated groups: `url` (PostgreSQL, a benchmark's own) or a cached SQLite file."""
    wire_subscribers(events.bus)  # without an app: the importer publishes producer_group.changed (its outbox rows go unused)
    if url is not None:
        contents = f"bench/search.py groups={groups} seed={seed}"
        if scratch_contents(url) == contents:
            click.echo(f"Using the groups already in {make_url(url).database}")
            return url
        claim_postgres(url, contents="")
        upgrade_database(url)
        engine = make_engine(url)
        records = (SourceRecord([i + 1], g, unit="group") for i, g in enumerate(generate_groups(groups, seed=seed)))
        with (
            Session(engine) as session,
            click.progressbar(length=groups, label="Generating and importing groups", show_pos=True) as bar,
        ):
            import_groups(session, records, progress=bar.update)
        with engine.begin() as connection:
            recount(connection)  # the app's commit hook keeps the counts; this import runs without the app
        engine.dispose()
        mark_filled(url, contents)
        return url
    path = CACHE / f"groups-{groups}-seed{seed}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        click.echo(f"Using the cached database {path.name}")
        return url
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    partial_url = f"sqlite:///{partial}"
    upgrade_database(partial_url)
    engine = make_engine(partial_url)
    started = time.perf_counter()
    records = (SourceRecord([i + 1], g, unit="group") for i, g in enumerate(generate_groups(groups, seed=seed)))
    with (
        Session(engine) as session,
        click.progressbar(length=groups, label="Generating and importing groups", show_pos=True) as bar,
    ):
        report = import_groups(session, records, progress=bar.update)
    with engine.begin() as connection:
        recount(connection)  # the app's commit hook keeps the counts; this import runs without the app
    engine.dispose()
    partial.rename(path)
    click.echo(f"Imported {report.created:,} groups in {time.perf_counter() - started:.0f} s")
    return url


def query_mix(today: dt.date) -> list[tuple[str, SearchQuery]]:
    by = today + dt.timedelta(weeks=16)
    nairobi, accra, lima, dhaka = (
        Near(-1.2921, 36.8219, 300),
        Near(5.6037, -0.1870, 700),
        Near(-12.0464, -77.0428, 1200),
        Near(23.8103, 90.4125, 500),
    )
    return [
        ("text", SearchQuery(text="sisal baskets")),
        ("text", SearchQuery(text="alpaca sweaters")),
        ("text", SearchQuery(text="shea butter")),
        ("text", SearchQuery(text="block printed napkins")),
        ("text", SearchQuery(text="recycled brass jewelry")),
        ("text", SearchQuery(text="baskte")),
        ("text", SearchQuery(text="kantha throws")),
        ("text", SearchQuery(text="felt ornaments nepal")),
        ("text+facets", SearchQuery(text="baskets", countries=("KE",), certifications=("wfto",))),
        ("text+facets", SearchQuery(text="scarves", categories=("textiles",), certifications=("wfto",))),
        ("text+facets", SearchQuery(text="jute", materials=("jute",), countries=("BD", "IN"))),
        ("text+facets", SearchQuery(text="coffee", certifications=("organic", "fairtrade"))),
        ("text+facets", SearchQuery(categories=("jewelry",), materials=("recycled brass",), sort=Sort.RATING)),
        ("capacity", SearchQuery(text="baskets", capacity=CapacityNeed(2000, by))),
        ("capacity", SearchQuery(categories=("textiles.scarves",), capacity=CapacityNeed(500, by), max_lead_time=45)),
        ("capacity", SearchQuery(capacity=CapacityNeed(10000, by), categories=("bags",), sort=Sort.LEAD_TIME)),
        ("capacity", SearchQuery(text="soap", capacity=CapacityNeed(5000, by), max_moq=500, price_max=5)),
        ("geo", SearchQuery(text="baskets", near=nairobi, sort=Sort.DISTANCE)),
        ("geo", SearchQuery(near=accra, categories=("personal-care",))),
        ("geo", SearchQuery(text="alpaca", near=lima, sort=Sort.DISTANCE)),
        ("geo", SearchQuery(near=dhaka, capacity=CapacityNeed(1000, by), sort=Sort.DISTANCE)),
        ("deep page", SearchQuery(text="weavers", size=20)),
    ]


def timed(function) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Run `function`; return its wall-clock time and this process's CPU time for it, both in ms."""
    started, cpu = time.perf_counter(), time.process_time()
    function()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _target(backend: str, p95: float, groups: int, at: int, limit: float = 50) -> str:
    """Say whether `backend`'s p95 meets `limit` ms at `at` groups; a run at another size is only reported, not judged."""
    if groups != at:
        return f"{backend} p95 ≤ {limit:.0f} ms at {at:,} groups: not judged at {groups:,} (run --groups {at})"
    return f"{backend} p95 ≤ {limit:.0f} ms at {at:,} groups: {p95:.1f} ms, {'met' if p95 <= limit else 'not met'}"


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{a:.1f}" for a in averages)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's options; `groups` comes back as the sizes, ascending (default [100000]).

    Exits through `parser.error` (status 2) for a size given twice or below 1, an unknown backend, Elasticsearch or
    --database-url with several sizes. `backends` defaults to both with one size and to the embedded one with several;
    `database_url` to LOOM_BENCH_POSTGRES_URL with one size and to None (the cached SQLite files) with several.
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--groups",
        type=int,
        action="append",
        help="groups to generate (default 100000); more than once: the embedded backend at these sizes, side by side",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the query mix per backend (and per size)")
    parser.add_argument("--elasticsearch", default=os.environ.get("LOOM_TEST_ELASTICSEARCH_URL", "http://127.0.0.1:59200"))
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database of the benchmark's own (default: LOOM_BENCH_POSTGRES_URL, else a cached SQLite file; "
        "with several --groups, always the cached SQLite files)",
    )
    parser.add_argument(
        "--index-prefix", default=f"loom-bench-{uuid.uuid4().hex[:6]}", help="a new Elasticsearch index prefix (default: random)"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the embedded index even where a kept one matches (to time rebuilds; with several --groups, their growth)",
    )
    parser.add_argument(
        "--backends",
        help="elasticsearch,embedded (default with one --groups) or embedded alone (no server needed; the only one with several)",
    )
    args = parser.parse_args(argv)
    sizes = args.groups or [100_000]
    if len(set(sizes)) != len(sizes) or min(sizes) < 1:
        parser.error(f"--groups: each size once, at least 1 (got {', '.join(map(str, sizes))})")
    args.groups = sorted(sizes)
    several = len(sizes) > 1
    if args.backends is None:
        args.backends = "embedded" if several else "elasticsearch,embedded"
    backends = args.backends.split(",")
    if not backends or set(backends) - {"elasticsearch", "embedded"} or "embedded" not in backends:
        parser.error(f"--backends: elasticsearch,embedded or embedded (got {args.backends})")
    if several and "elasticsearch" in backends:
        parser.error("several --groups measure the embedded backend alone: compare Elasticsearch one size a run")
    if several and args.database_url:
        parser.error("several --groups use each size's cached SQLite file: a benchmark database holds one size")
    if not several and args.database_url is None:
        args.database_url = os.environ.get("LOOM_BENCH_POSTGRES_URL")
    return args


def alternation(sizes: int, rounds: int, queries: int) -> Iterator[tuple[int, int, int]]:
    """The order of a run over several sizes: (round, query position, size position) triples, all 0-based.

    Each query of each round runs at every size in turn, and the turn's first size moves on by one at each query
    (with two sizes: A B, B A, A B, …), so every size runs first as often as the others, give or take one.
    """
    step = 0
    for round_number in range(rounds):
        for position in range(queries):
            for offset in range(sizes):
                yield round_number, position, (step + offset) % sizes
            step += 1


@dataclass(frozen=True)
class Latency:
    """Percentiles of one size's searches, in ms: p50 and p95 by wall time, and by this process's CPU time."""

    p50: float
    p95: float
    cpu_p50: float
    cpu_p95: float

    @classmethod
    def of(cls, wall: list[float], cpu: list[float]) -> Latency:
        """Percentiles of non-empty lists of wall and CPU times in ms (ValueError when one is empty)."""
        if not wall or not cpu:
            raise ValueError("no searches timed")
        return cls(percentile(wall, 50), percentile(wall, 95), percentile(cpu, 50), percentile(cpu, 95))

    def __truediv__(self, other: Latency) -> Latency:
        """Each figure's ratio to `other`'s (ZeroDivisionError when one of `other`'s is 0)."""
        return Latency(self.p50 / other.p50, self.p95 / other.p95, self.cpu_p50 / other.cpu_p50, self.cpu_p95 / other.cpu_p95)


def growth(by_size: dict[int, Latency]) -> list[tuple[int, int, Latency]]:
    """Between each size and the next larger one: (smaller, larger, larger's figures ÷ smaller's), smallest first."""
    sizes = sorted(by_size)
    return [(small, large, by_size[large] / by_size[small]) for small, large in itertools.pairwise(sizes)]


def rebuild_growth(builds: dict[int, tuple[int, float] | None]) -> list[tuple[int, int, float]]:
    """Between each size and the next larger one, both rebuilt in this run (`builds`: size -> (groups indexed, seconds),
    None when reused): (smaller, larger, larger's seconds ÷ smaller's), smallest first."""
    sizes = sorted(builds)
    return [
        (small, large, built_large[1] / built_small[1])
        for small, large in itertools.pairwise(sizes)
        if (built_small := builds[small]) is not None and (built_large := builds[large]) is not None
    ]


def database_digest(url: str) -> str | None:
    """The SHA-256 (hex) of a cached SQLite database's rows, None for another database (whose index is not kept).

    Every table's rows in their order (a few seconds at 300,000 groups), but the page cache's generations, which each
    index rebuild writes anew (search.indexing.rebuild), and SQLite's own statistics: the file's bytes change with those.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    digest = hashlib.sha256()
    connection = sqlite3.connect(f"{Path(parsed.database).resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name != ? ORDER BY name",
            (PublicGeneration.__tablename__,),
        ).fetchall()
        for (table,) in tables:
            digest.update(f"{table}\n".encode())
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                digest.update(repr(row).encode())
    finally:
        connection.close()
    return digest.hexdigest()


def code_digest(root: Path = ROOT) -> str:
    """The SHA-256 (hex) of the code that turns groups into documents: every module of marketplace/ and search/ (their
    paths and bytes), but search/embedded.py, whose index layout SCHEMA_VERSION names, as it does for the app's index."""
    digest = hashlib.sha256()
    for path in sorted([*(root / "marketplace").rglob("*.py"), *(root / "search").rglob("*.py")]):
        if path != root / "search" / "embedded.py":
            digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def index_key(groups: int, seed: int, today: dt.date, database: str, code: str, schema_version: int = SCHEMA_VERSION) -> str:
    """What a kept embedded index must have been built from to be reused: its layout (`schema_version`), the groups
    and seed, the day its documents were counted from, the database file's and the document code's SHA-256."""
    return (
        f"embedded index SCHEMA_VERSION {schema_version}; groups {groups}; seed {seed}; documents for {today.isoformat()}; "
        f"database sha256 {database}; code sha256 {code}"
    )


def kept_index(groups: int, seed: int, key: str, cache: Path = CACHE, *, rebuild: bool = False) -> tuple[EmbeddedIndex, bool]:
    """The embedded index kept in `cache` for `groups` and `seed`, and whether it may be reused: its file is there
    and the key written beside it after its build is `key`, and `rebuild` does not ask for a new one. An index that
    may not be reused loses its key until a rebuild writes the new one (`keep_key`), so an interrupted rebuild is never
    taken for a finished one."""
    path = cache / f"embedded-{groups}-seed{seed}.db"
    key_file = path.with_name(path.name + ".key")
    reused = not rebuild and path.exists() and key_file.exists() and key_file.read_text() == key
    if not reused:
        key_file.unlink(missing_ok=True)
    return EmbeddedIndex(path), reused


def keep_key(index: EmbeddedIndex, key: str) -> None:
    """Write `key` beside `index`'s file, once it is built."""
    index.path.with_name(index.path.name + ".key").write_text(key)


def embedded_for(
    url: str, groups: int, seed: int, today: dt.date, *, fresh: bool = False
) -> tuple[EmbeddedIndex, bool, tuple[int, float] | None]:
    """The embedded index of the groups in `url`'s database for `today`: reused from bench/.cache when its key
    matches (a cached SQLite database only) and `fresh` is false, else rebuilt (kept there for the next run, or, from
    PostgreSQL, in a file of its own that the caller deletes: `index.path` names it).

    Returns the index, whether it was reused, and (groups indexed, seconds) when it was rebuilt.
    """
    CACHE.mkdir(exist_ok=True)
    database = database_digest(url)
    if database is None:
        index, key, reused = EmbeddedIndex(CACHE / f"search-bench-{uuid.uuid4().hex[:6]}.db"), None, False
    else:
        key = index_key(groups, seed, today, database, code_digest())
        index, reused = kept_index(groups, seed, key, rebuild=fresh)
    if reused:
        click.echo(f"Reusing the embedded index {index.path.name}: {key}")
        return index, True, None
    engine = make_engine(url)
    with Session(engine) as session:
        total = group_count(session)
        with click.progressbar(length=total, label=f"Rebuilding embedded, {groups:,} groups", show_pos=True) as bar:
            started = time.perf_counter()
            count = rebuild(session, index, today=today, progress=bar.update)
            seconds = time.perf_counter() - started
    engine.dispose()
    if key is not None:
        keep_key(index, key)
        click.echo(f"Built the embedded index {index.path.name} (kept for the next run): {key}")
    return index, False, (count, seconds)


def main() -> None:
    args = parse_args()
    if len(args.groups) > 1:
        compare_sizes(args.groups, args.seed, args.rounds, fresh=args.rebuild)
        return
    with_es = "elasticsearch" in args.backends.split(",")

    prefix = args.index_prefix
    elastic = ElasticsearchIndex.from_url(args.elasticsearch, prefix=prefix)
    if with_es:
        claim_index_prefix(elastic.client, prefix)  # before anything is built: the prefix* indexes are deleted at the end
    groups = args.groups[0]
    url = prepare_database(groups, args.seed, args.database_url)
    engine = make_engine(url)
    today = dt.date.today()

    with Session(engine) as session:
        total_groups = group_count(session)
        started = time.perf_counter()
        with click.progressbar(
            documents(session, today), length=total_groups, label="Building documents (not indexed)"
        ) as stream:
            built = sum(1 for _ in stream)
        doc_seconds = time.perf_counter() - started

    elastic.client = elastic.client.options(request_timeout=120)
    builds = {}
    embedded = None
    try:
        embedded, reused, embedded_build = embedded_for(url, groups, args.seed, today, fresh=args.rebuild)
        if with_es:
            # The operator's path: `loom search rebuild`, from the database to a live index.
            with (
                Session(engine) as session,
                click.progressbar(length=total_groups, label="Rebuilding Elasticsearch", show_pos=True) as bar,
            ):
                started = time.perf_counter()
                count = rebuild(session, elastic, today=today, progress=bar.update)
                builds["Elasticsearch"] = (count, time.perf_counter() - started)
        if embedded_build is not None:
            builds["embedded"] = embedded_build

        if with_es:  # indexing alone, without building documents: a sample held in memory, into a throwaway index
            sample = ElasticsearchIndex(elastic.client, prefix=f"{prefix}-sample")
            with Session(engine) as session:
                prebuilt = list(itertools.islice(documents(session, today), PREBUILT_SAMPLE))
            started = time.perf_counter()
            sample.rebuild(iter(prebuilt), progress=None)
            builds["Elasticsearch, indexing alone"] = (len(prebuilt), time.perf_counter() - started)
            del prebuilt

        mix = query_mix(today)
        # Page 3 of a deep walk: the cursor comes from the backend itself.
        deep = {}
        for name, index in (("es", elastic), ("embedded", embedded)) if with_es else (("embedded", embedded),):
            cursor_query = mix[-1][1]
            for _ in range(2):
                cursor_query = SearchQuery(text=cursor_query.text, size=20, after=index.search(cursor_query).next_cursor)
            deep[name] = cursor_query
        timings: dict[str, list[float]] = {"loom": [], "raw": [], "embedded": []}
        cpu: dict[str, list[float]] = {"loom": [], "raw": [], "embedded": []}  # this process's CPU, steadier under load
        by_kind: dict[tuple[str, str], list[float]] = {}
        totals: dict[str, list[int]] = {"es": [], "embedded": []}
        tops: dict[str, list[list[int]]] = {"es": [], "embedded": []}  # each query's first ten groups
        # The floor sends the body Loom's search sends: for words that bind capability filters, the planned one.
        floors = [elastic.body(elastic.plan(deep.get("es") if kind == "deep page" else q)) for kind, q in mix] if with_es else []
        load_before = os.getloadavg()
        with click.progressbar(length=args.rounds + 1, label="Querying", show_pos=True) as bar:
            for round_number in range(args.rounds + 1):
                for position, (kind, query) in enumerate(mix):
                    es_query = deep.get("es") if kind == "deep page" else query
                    local_query = deep["embedded"] if kind == "deep page" else query
                    samples = {}
                    if with_es:
                        body = floors[position]
                        samples["raw"] = timed(lambda body=body: elastic.client.search(index=elastic.alias, **body))
                        samples["loom"] = timed(lambda q=es_query: elastic.search(q))
                    samples["embedded"] = timed(lambda q=local_query: embedded.search(q))
                    if round_number == 0:  # warm-up pass, and a check that both backends agree on counts and top hits
                        checked = (
                            (("es", elastic, es_query), ("embedded", embedded, local_query))
                            if with_es
                            else (("embedded", embedded, local_query),)
                        )
                        for name, index, q in checked:
                            result = index.search(replace(q, size=max(q.size, 10)))
                            totals[name].append(result.total)
                            tops[name].append([h.id for h in result.hits[:10]])
                        continue
                    for name, (ms, cpu_ms) in samples.items():
                        timings[name].append(ms)
                        cpu[name].append(cpu_ms)
                        by_kind.setdefault((kind, name), []).append(ms)
                bar.update(1)
        load_after = os.getloadavg()
    finally:
        if with_es:
            elastic.client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
        if embedded is not None and embedded.path.name.startswith("search-bench-"):  # from PostgreSQL: not kept
            for path in CACHE.glob(f"{embedded.path.name}*"):
                path.unlink()

    click.echo()
    click.echo(
        f"Search benchmark: {total_groups:,} producer groups, {len(mix)} queries × {args.rounds} rounds, {os.cpu_count()} cores"
    )
    click.echo()
    click.echo(f"{'index rebuild from the database':<34}{'groups':>10}{'seconds':>10}{'groups/s':>12}")
    for name, (count, seconds) in builds.items():
        click.echo(f"{name:<34}{count:>10,}{seconds:>10.1f}{count / seconds:>12,.0f}")
    click.echo(f"{'(documents alone, not indexed)':<34}{built:>10,}{doc_seconds:>10.1f}{built / doc_seconds:>12,.0f}")
    if reused:
        click.echo(f"embedded: the index kept in bench/.cache was reused ({embedded.path.name}, same key)")
    click.echo()
    if not with_es:  # the embedded backend alone: compare runs of two versions by these figures
        click.echo(f"{'latency (ms)':<34}{'p50':>8}{'p95':>8}")
        click.echo(
            f"{'Loom, embedded backend':<34}{percentile(timings['embedded'], 50):>8.1f}"
            f"{percentile(timings['embedded'], 95):>8.1f}"
        )
        for kind in dict.fromkeys(k for k, _ in mix):
            values = by_kind[(kind, "embedded")]
            click.echo(f"  {kind:<32}{percentile(values, 50):>8.1f}{percentile(values, 95):>8.1f}")
        click.echo(
            f"CPU in this process per search (ms): p50 {percentile(cpu['embedded'], 50):.1f}, "
            f"p95 {percentile(cpu['embedded'], 95):.1f} (steadier than wall time on a loaded machine: compare sizes by these too)"
        )
        click.echo(f"Totals: {totals['embedded']}")
        click.echo(
            f"Target (issue 19): {_target('embedded', percentile(timings['embedded'], 95), total_groups, 100_000, limit=100)}."
        )
        click.echo(
            f"Load average (1, 5, 15 min) on {os.cpu_count()} cores: {_load(load_before)} when the queries began, "
            f"{_load(load_after)} when they ended."
        )
        return
    raw50, raw95 = percentile(timings["raw"], 50), percentile(timings["raw"], 95)
    local50, local95 = percentile(timings["embedded"], 50), percentile(timings["embedded"], 95)
    click.echo(f"{'latency (ms)':<34}{'p50':>8}{'p95':>8}{'p50 ×raw':>10}{'p95 ×raw':>10}{'p50 ×emb':>10}{'p95 ×emb':>10}")
    for label, key in (
        ("raw es.search, same body (floor)", "raw"),
        ("Loom, Elasticsearch backend", "loom"),
        ("Loom, embedded backend", "embedded"),
    ):
        p50, p95 = percentile(timings[key], 50), percentile(timings[key], 95)
        click.echo(
            f"{label:<34}{p50:>8.1f}{p95:>8.1f}{p50 / raw50:>10.2f}{p95 / raw95:>10.2f}"
            f"{p50 / local50:>10.2f}{p95 / local95:>10.2f}"
        )
    raw_cpu, loom_cpu = statistics.median(cpu["raw"]), statistics.median(cpu["loom"])
    click.echo(
        f"CPU in this process per search (median ms): raw es.search {raw_cpu:.2f}, Loom on Elasticsearch {loom_cpu:.2f} "
        f"(Loom's own {loom_cpu - raw_cpu:.2f}), embedded {statistics.median(cpu['embedded']):.2f}."
    )
    click.echo(
        f"Embedded backend, CPU in this process per search (ms): p50 {percentile(cpu['embedded'], 50):.1f}, "
        f"p95 {percentile(cpu['embedded'], 95):.1f} (steadier than wall time on a loaded machine: compare sizes by these too)."
    )
    loom95 = percentile(timings["loom"], 95)
    click.echo()
    click.echo(
        f"Targets (issue 15): {_target('Loom on Elasticsearch', loom95, total_groups, 100_000)}; "
        f"{_target('embedded', local95, total_groups, 10_000)}."
    )
    click.echo(
        f"Target (issue 19): {_target('embedded', local95, total_groups, 100_000, limit=100)}; from 100,000 to "
        "300,000 groups its p95 should grow no more than 3×, and Elasticsearch stay within 1.1× of raw."
    )
    click.echo(
        f"Load average (1, 5, 15 min) on {os.cpu_count()} cores: {_load(load_before)} when the queries began, "
        f"{_load(load_after)} when they ended."
    )
    click.echo()
    click.echo(f"{'p50 by kind (ms)':<20}{'raw':>8}{'Loom ES':>9}{'embedded':>10}")
    for kind in dict.fromkeys(k for k, _ in mix):
        row = [percentile(by_kind[(kind, name)], 50) for name in ("raw", "loom", "embedded")]
        click.echo(f"{kind:<20}{row[0]:>8.1f}{row[1]:>9.1f}{row[2]:>10.1f}")
    agree = sum(a == b for a, b in zip(totals["es"], totals["embedded"], strict=True))
    click.echo()
    click.echo(f"Both backends found the same number of groups for {agree} of {len(mix)} queries.")
    pairs = list(zip(tops["es"], tops["embedded"], strict=True))
    same_order = sum(a == b for a, b in pairs)
    same_set = sum(set(a) == set(b) for a, b in pairs)
    overlap = sum(len(set(a) & set(b)) / max(len(a), len(b), 1) for a, b in pairs) / len(pairs)
    click.echo(
        f"Top 10: the same groups in the same order for {same_order} of {len(mix)} queries, the same groups for "
        f"{same_set}; {overlap:.0%} of the top 10 shared on average."
    )


def compare_sizes(sizes: list[int], seed: int, rounds: int, *, fresh: bool = False) -> None:
    """The embedded backend at each of `sizes` (ascending), query by query in alternation; prints tables (see the module)."""
    today = dt.date.today()
    indexes: dict[int, EmbeddedIndex] = {}
    builds: dict[int, tuple[int, float] | None] = {}  # (groups indexed, seconds), None when reused
    for groups in sizes:
        url = prepare_database(groups, seed)
        engine = make_engine(url)
        with Session(engine) as session:
            if (held := group_count(session)) != groups:
                raise click.ClickException(f"the database for {groups:,} groups holds {held:,}")
        engine.dispose()
        index, reused, build = embedded_for(url, groups, seed, today, fresh=fresh)
        indexes[groups], builds[groups] = index, build

    mix = query_mix(today)
    queries: dict[int, list[SearchQuery]] = {}
    for groups, index in indexes.items():  # page 3 of a deep walk: the cursor comes from each index itself
        deep = mix[-1][1]
        for _ in range(2):
            deep = SearchQuery(text=deep.text, size=20, after=index.search(deep).next_cursor)
        queries[groups] = [deep if kind == "deep page" else query for kind, query in mix]
    totals = {
        groups: [index.search(replace(q, size=max(q.size, 10))).total for q in queries[groups]]
        for groups, index in indexes.items()
    }
    wall: dict[int, list[float]] = {groups: [] for groups in sizes}
    cpu: dict[int, list[float]] = {groups: [] for groups in sizes}
    by_kind: dict[tuple[int, str], list[float]] = {}
    load_before = os.getloadavg()
    with click.progressbar(length=rounds + 1, label=f"Querying {len(sizes)} sizes in turn", show_pos=True) as bar:
        done = 0
        for round_number, position, at in alternation(len(sizes), rounds + 1, len(mix)):
            groups = sizes[at]
            ms, cpu_ms = timed(lambda index=indexes[groups], q=queries[groups][position]: index.search(q))
            if round_number > 0:  # the first round warms every index up
                wall[groups].append(ms)
                cpu[groups].append(cpu_ms)
                by_kind.setdefault((groups, mix[position][0]), []).append(cpu_ms)
            if round_number > done:
                bar.update(round_number - done)
                done = round_number
        bar.update(rounds + 1 - done)
    load_after = os.getloadavg()
    for index in indexes.values():
        index.close()

    figures = {groups: Latency.of(wall[groups], cpu[groups]) for groups in sizes}
    click.echo()
    click.echo(
        f"Embedded search, {len(sizes)} sizes side by side: {len(mix)} queries × {rounds} rounds at each, every query at "
        f"every size in turn, {os.cpu_count()} cores"
    )
    click.echo()
    click.echo(f"{'groups':>10}  {'embedded index':<34}")
    for groups in sizes:
        build = builds[groups]
        done = (
            "reused (kept in bench/.cache)" if build is None else f"built, {build[1]:.0f} s, {build[0] / build[1]:,.0f} groups/s"
        )
        click.echo(f"{groups:>10,}  {done}")
    for small, large, ratio in rebuild_growth(builds):
        judged = "met" if ratio <= large / small else "not met"
        click.echo(
            f"Rebuild from {small:,} to {large:,} groups: {ratio:.2f}× the time for {large / small:.2f}× the groups "
            f"(issue 19: no faster than the groups), {judged}."
        )
    click.echo()
    click.echo(f"{'latency (ms)':<14}{'wall p50':>10}{'wall p95':>10}{'CPU p50':>10}{'CPU p95':>10}")
    for groups in sizes:
        f = figures[groups]
        click.echo(f"{f'{groups:,}':<14}{f.p50:>10.1f}{f.p95:>10.1f}{f.cpu_p50:>10.1f}{f.cpu_p95:>10.1f}")
    click.echo()
    click.echo(f"{'growth':<22}{'groups':>8}{'wall p50':>10}{'wall p95':>10}{'CPU p50':>10}{'CPU p95':>10}")
    for small, large, ratio in growth(figures):
        click.echo(
            f"{f'{small:,} → {large:,}':<22}{large / small:>8.2f}{ratio.p50:>10.2f}{ratio.p95:>10.2f}"
            f"{ratio.cpu_p50:>10.2f}{ratio.cpu_p95:>10.2f}"
        )
    click.echo()
    click.echo("CPU p50 by kind (ms)" + "".join(f"{f'{groups:,}':>10}" for groups in sizes))
    for kind in dict.fromkeys(k for k, _ in mix):
        click.echo(f"  {kind:<18}" + "".join(f"{percentile(by_kind[(groups, kind)], 50):>10.1f}" for groups in sizes))
    click.echo()
    for groups in sizes:
        click.echo(f"Totals at {groups:,}: {totals[groups]}")
    if 100_000 in figures:
        click.echo(f"Target (issue 19): {_target('embedded', figures[100_000].p95, 100_000, 100_000, limit=100)}.")
    for small, large, ratio in growth(figures):
        judged = "met" if ratio.p95 <= large / small else "not met"
        click.echo(
            f"Target (issue 19): p95 from {small:,} to {large:,} groups grows no faster than the groups "
            f"(≤ {large / small:.2f}): {ratio.p95:.2f} by wall time, {judged}; {ratio.cpu_p95:.2f} by CPU."
        )
    click.echo(
        f"Load average (1, 5, 15 min) on {os.cpu_count()} cores: {_load(load_before)} when the queries began, "
        f"{_load(load_after)} when they ended."
    )


if __name__ == "__main__":
    main()
