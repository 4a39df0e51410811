"""Web benchmark: Loom's main pages against a minimal Flask page (the floor), under the same gunicorn.

    python bench/web.py [--sizes 72,10000] [--engines sqlite,postgresql] [--database-url URL]
                        [--slice-seconds 3] [--slices 3] [--clients 16] [--fresh] [--page NAME …]   (or: make bench-web)

Every server runs gunicorn with 2 sync workers on 127.0.0.1. For each size, the demo marketplace
(`loom seed-demo --groups N`) is loaded and indexed (embedded backend) on each engine, a server started
for each, then every page is loaded by `--clients` clients in slices that take turns between the floor
and the page on each engine, in an order that turns from slice to slice (floor, SQLite, PostgreSQL;
PostgreSQL, SQLite, floor; …), so all of them see the same load from whatever else runs on the
machine: the engines are compared slice by slice, not one run after the other. Prints req/s, p50/p95
(ms) and each page's time per request as a multiple of the floor's (floor req/s ÷ page req/s).

The pages are the public ones (`pages`) and an order page as its buyer sees it, signed in (`ORDER_PAGE`: the demo's
buyer@demo.loom and the first of their orders, a session cookie made by the app with the servers' secret key, nothing
written): signed-in pages are never cached, so it renders on every request with or without `--fresh`.

SQLite databases are cached in bench/.cache/. PostgreSQL uses the database --database-url names
(default LOOM_BENCH_POSTGRES_URL), kept while it holds the same demo; the test database, or one
with tables no benchmark made, is refused (bench/scratch.py). Only loopback traffic; every client
stops at the end of its slice or after --max-requests requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # run as a script, bench/search.py would shadow the `search` package

import psycopg  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import make_url, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scratch import claim_postgres, mark_filled, scratch_contents  # noqa: E402
from marketplace.accounts.models import Membership, User  # noqa: E402
from marketplace.cli import alembic_config  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.orders.models import Order  # noqa: E402
from marketplace.producers.models import ProducerGroup  # noqa: E402
from marketplace.secrets import new_key  # noqa: E402

BIN = Path(sys.executable).parent
CACHE = ROOT / "bench" / ".cache"
SEED = 2026
RATELIMIT_STORAGE = "memory://"  # set from --ratelimit-storage


ORDER_PAGE = "order (signed in)"


def pages(slug: str, today: dt.date) -> dict[str, str]:
    by = (today + dt.timedelta(weeks=16)).isoformat()
    return {
        "home": "/",
        "profile": f"/groups/{slug}",
        "search": "/search?q=baskets",
        "search, units+date": f"/search?q=baskets&units=500&by={by}",
        "API search": "/api/v1/search?q=baskets",
        "API groups": "/api/v1/groups",
        # A category's directory and a category in a country: their pages walk the kept listing and read their totals
        # from the kept counts, where they probed every group and counted the matching ones (issue 19). Each shows a full
        # page at every size (the demo's 72 groups hold 30 making textiles, 6 baskets in Kenya), so sizes compare alike.
        "directory, category": "/groups?category=textiles",
        "API groups, KE+category": "/api/v1/groups?country=KE&category=baskets&per_page=6",
    }


PORTS: range | None = None  # --ports: where the servers may listen (None: any free port the system gives)


def free_port() -> int:
    """A free loopback port, from --ports when given (so parallel benchmarks on one machine keep apart)."""
    for candidate in PORTS or (0,):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return s.getsockname()[1]
    sys.exit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def loom(env: dict[str, str], *args: str) -> None:
    """Run a `loom` command with the benchmark's environment; stop the benchmark if it fails."""
    done = subprocess.run([str(BIN / "loom"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"loom {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def environment(url: str, folder: Path, search_path: Path, port: int) -> dict[str, str]:
    # PYTHONPATH: the servers and `loom` commands run the code of this tree, whatever the virtualenv has installed.
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOOM_DATABASE_URL": url,
        "LOOM_SECRET_KEY": "bench-secret-key",
        "LOOM_SECRETS_KEY": new_key(),
        "LOOM_SESSION_COOKIE_SECURE": "false",
        "LOOM_REMEMBER_COOKIE_SECURE": "false",
        "LOOM_BASE_URL": f"http://127.0.0.1:{port}",
        "LOOM_MAIL_DIR": str(folder / "mail"),
        "LOOM_UPLOAD_DIR": str(folder / "uploads"),
        "LOOM_SEARCH_BACKEND": "embedded",
        "LOOM_SEARCH_EMBEDDED_PATH": str(search_path),
        # The clients share one address: the API's per-address limit would answer most of them 429.
        "LOOM_RATE_LIMIT_API": "1000000 per minute",
        # Two workers count limits together only in a shared store (marketplace/limits.py). `memory://` is also costly
        # here: the `limits` library's in-process store starts a new expiry timer thread on most requests.
        "LOOM_RATELIMIT_STORAGE_URI": RATELIMIT_STORAGE,
    }


def prepare(engine: str, size: int, postgres_url: str | None, folder: Path) -> str:
    """The URL of a database holding the demo marketplace with `size` groups, seeded now or kept from an earlier run."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    contents = f"bench/web.py seed-demo groups={size} seed={SEED} schema={head}"
    if engine == "postgresql":
        assert postgres_url is not None
        if scratch_contents(postgres_url) == contents:
            return postgres_url
        claim_postgres(postgres_url, contents="")
        url = postgres_url
    else:
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"web-{size}-seed{SEED}-schema{head}.db"
        if path.exists():
            return f"sqlite:///{path}"
        for stale in CACHE.glob(f"{path.stem}.partial*"):
            stale.unlink()
        url = f"sqlite:///{path.with_suffix('.partial')}"
    print(f"  seeding {size:,} groups on {engine} …", file=sys.stderr, flush=True)
    env = environment(url, folder, folder / "unused-search.db", 0)
    started = time.perf_counter()
    loom(env, "db", "upgrade")
    loom(env, "seed-demo", "--groups", str(size), "--seed", str(SEED))
    print(f"  seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if engine == "postgresql":
        # Statistics now, as a database in use has them: otherwise autovacuum gathers them while the pages are measured,
        # and every plan made before is made again (it did, in the middle of the 10,000 groups' profile).
        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as admin:
            admin.autocommit = True
            admin.execute("VACUUM ANALYZE")
        mark_filled(url, contents)
        return url
    Path(url.removeprefix("sqlite:///")).rename(path)
    return f"sqlite:///{path}"


# Run with the servers' environment: the session cookie Flask-Login keeps for a sign-in, signed with their secret key.
_SIGN_IN = """
import sys
from marketplace import create_app
app = create_app()
client = app.test_client()
with client.session_transaction() as browser:
    browser["_user_id"] = sys.argv[1]
    browser["_fresh"] = True
cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
print(f"{cookie.key}={cookie.value}")
"""


def signed_in_order(url: str, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The path of the demo buyer's first order and the headers that sign them in (a session cookie) on a server of `env`.

    Exits if the demo has no such buyer or order.
    """
    db = make_engine(url)
    with Session(db) as session:
        buyer = session.scalar(select(User).where(User.email == "buyer@demo.loom"))
        order_id = (
            session.scalar(
                select(Order.id)
                .join(Membership, Membership.organization_id == Order.buyer_id)
                .where(Membership.user_id == buyer.id)
                .order_by(Order.id)
                .limit(1)
            )
            if buyer
            else None
        )
        user_id = buyer.get_id() if buyer else ""
    db.dispose()
    if order_id is None:
        sys.exit(f"{url}: the demo has no order of buyer@demo.loom to show signed in")
    done = subprocess.run([str(BIN / "python"), "-c", _SIGN_IN, user_id], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"signing in the demo buyer failed:\n{done.stderr[-2000:]}")
    return f"/orders/{order_id}", {"Cookie": done.stdout.strip()}


@contextmanager
def gunicorn(app: str, env: dict[str, str], port: int, log: Path, *extra: str) -> Iterator[int]:
    """Serve `app` with gunicorn (2 sync workers) on 127.0.0.1:`port` until the block ends."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *extra, app],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            for _ in range(300):
                try:
                    if get(port, "/")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError(f"gunicorn did not start {app}; see {log}")
            yield port
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _client(
    port: int, path: str, headers: dict[str, str], deadline: float, max_requests: int, out: list[tuple[float, int]]
) -> None:
    for _ in range(max_requests):
        if time.monotonic() >= deadline:
            return
        started = time.perf_counter()
        try:
            status, _ = get(port, path, headers)
        except OSError:
            status = 599
        out.append(((time.perf_counter() - started) * 1000, status))


def load(task: tuple[int, str, dict[str, str], float, int, int]) -> list[tuple[float, int]]:
    """One load process: `threads` clients GET `path` (with `headers`) until `seconds` pass; each request's (ms, status)."""
    port, path, headers, seconds, threads, max_requests = task
    deadline = time.monotonic() + seconds
    results: list[list[tuple[float, int]]] = [[] for _ in range(threads)]
    workers = [threading.Thread(target=_client, args=(port, path, headers, deadline, max_requests, r)) for r in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [sample for r in results for sample in r]


class Side:
    """What one side (a page, or the floor alongside it) measured over its slices."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.errors = 0
        self.seconds = 0.0
        self.slice_rates: list[float] = []  # req/s of each slice, in the order they ran

    def add(self, samples: list[tuple[float, int]], seconds: float) -> None:
        answered = [ms for ms, status in samples if status == 200]
        self.samples += answered
        self.errors += sum(status != 200 for _, status in samples)
        self.seconds += seconds
        self.slice_rates.append(len(answered) / seconds if seconds else 0.0)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.samples, n=100)[p - 1] if len(self.samples) > 1 else float("nan")


def slice_ratios(slower: Side, faster: Side) -> list[float]:
    """Time per request of `slower` ÷ `faster` in each round of slices (the k-th slice of one against the k-th of the
    other, run next to each other so both saw the same load), for the spread behind the ratio of their totals.

    A round where either side answered nothing is left out.
    """
    return [f / s for s, f in zip(slower.slice_rates, faster.slice_rates, strict=True) if s and f]


def ratio_with_spread(slower: Side, faster: Side) -> str:
    """`slower`'s time per request ÷ `faster`'s over all slices, with the lowest and highest round's ratio in brackets."""
    overall = faster.rate / slower.rate if slower.rate else float("inf")
    rounds = slice_ratios(slower, faster)
    return f"{overall:.2f} ({min(rounds):.2f}–{max(rounds):.2f})" if len(rounds) > 1 else f"{overall:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--sizes", default="72,10000", help="numbers of demo groups, comma-separated")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOOM_BENCH_POSTGRES_URL"),
        help="a PostgreSQL database of the benchmark's own (default: LOOM_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--slice-seconds", type=float, default=3.0)
    parser.add_argument("--slices", type=int, default=3, help="slices per side and page")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-processes", type=int, default=2, help="processes the clients are spread over")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per client and slice, a bound besides the time")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        help=f'a page to measure, its name as printed (such as "profile" or "{ORDER_PAGE}"); repeat it for more (default: all)',
    )
    parser.add_argument("--ports", default="", help="a range of ports for the servers, such as 58100-58199 (default: any free)")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="page cache and kept search matches off (LOOM_PAGE_CACHE=false, LOOM_SEARCH_KEEP_MATCHES=false): every "
        "request renders, every search matches afresh",
    )
    redis = os.environ.get("LOOM_BENCH_REDIS_URL") or os.environ.get("LOOM_TEST_REDIS_URL")
    parser.add_argument(
        "--ratelimit-storage",
        default=f"{redis.rstrip('/')}/15" if redis else "memory://",
        help="where the servers count rate limits, as a deployment of several workers would: Redis "
        "(default: database 15 of LOOM_BENCH_REDIS_URL or LOOM_TEST_REDIS_URL, started by dev/services), else memory://",
    )
    args = parser.parse_args()
    global RATELIMIT_STORAGE
    RATELIMIT_STORAGE = args.ratelimit_storage
    if args.fresh:
        os.environ["LOOM_PAGE_CACHE"] = "false"  # the servers' environment is built from this one
        # The embedded index would page the same search from the matched set its reader kept: a cache too.
        os.environ["LOOM_SEARCH_KEEP_MATCHES"] = "false"
    global PORTS
    if args.ports:
        low, _, high = args.ports.partition("-")
        PORTS = range(int(low), int(high or low) + 1)
    engines = [e for e in args.engines.split(",") if e]
    if "postgresql" in engines and not args.database_url:
        print(
            "postgresql: skipped (name a database of the benchmark's own: --database-url or LOOM_BENCH_POSTGRES_URL)",
            file=sys.stderr,
        )
        engines.remove("postgresql")
    sizes = [int(s) for s in args.sizes.split(",")]
    names = [*pages("", dt.date.today()), ORDER_PAGE]
    unknown = [name for name in args.page if name not in names]
    if unknown:
        parser.error(f"no page named {', '.join(map(repr, unknown))}; the pages: {', '.join(names)}")
    chosen = [name for name in names if not args.page or name in args.page]
    threads = max(args.clients // args.load_processes, 1)
    rows: list[tuple[str, int, str, Side, Side]] = []
    today = dt.date.today()
    with (
        tempfile.TemporaryDirectory(prefix="loom-bench-web-") as tmp,
        multiprocessing.get_context("fork").Pool(args.load_processes) as pool,
    ):
        folder = Path(tmp)

        def run(port: int, path: str, headers: dict[str, str], side: Side) -> None:
            started = time.monotonic()
            task = (port, path, headers, args.slice_seconds, threads, args.max_requests)
            batches = pool.map(load, [task] * args.load_processes)
            side.add([s for batch in batches for s in batch], time.monotonic() - started)

        floor_env = {**os.environ, "PYTHONPATH": str(ROOT / "bench")}
        with gunicorn("floor:app", floor_env, free_port(), folder / "floor.log") as floor_port:
            for size in sizes:
                with ExitStack() as servers:
                    # By engine: its server's port and each page's path and headers.
                    served: dict[str, tuple[int, dict[str, tuple[str, dict[str, str]]]]] = {}
                    for engine in engines:
                        url = prepare(engine, size, args.database_url, folder)
                        search_path = folder / f"search-{engine}-{size}.db"
                        port = free_port()
                        env = environment(url, folder, search_path, port)
                        print(f"  indexing {size:,} groups ({engine}) …", file=sys.stderr, flush=True)
                        loom(env, "search", "rebuild")
                        db = make_engine(url)
                        with Session(db) as session:  # a demo group with products, certifications and orders
                            slug = session.scalar(select(ProducerGroup.slug).order_by(ProducerGroup.external_ref).limit(1))
                        db.dispose()
                        paths = {name: (path, {}) for name, path in pages(slug, today).items()}
                        if ORDER_PAGE in chosen:
                            paths[ORDER_PAGE] = signed_in_order(url, env)
                        servers.enter_context(
                            gunicorn("marketplace:create_app()", env, port, folder / f"loom-{engine}-{size}.log")
                        )
                        served[engine] = (port, paths)
                    for name in chosen:
                        floor = Side()
                        # The floor and the page on every engine, in an order that turns each slice, so all see the same load.
                        sides: list[tuple[int, str, dict[str, str], Side]] = [(floor_port, "/", {}, floor)]
                        measured: dict[str, Side] = {}
                        for engine, (port, paths) in served.items():
                            path, headers = paths[name]
                            status, body = get(port, path, headers)
                            if status != 200 or (headers and b'action="/logout"' not in body):
                                sys.exit(f"{engine}: {name} ({path}) answered {status}: {body[:500]!r}")
                            measured[engine] = Side()
                            sides.append((port, path, headers, measured[engine]))
                        for n in range(args.slices):
                            turned = sides[n % len(sides) :] + sides[: n % len(sides)]
                            for target_port, target_path, target_headers, side in turned if n % 2 == 0 else reversed(turned):
                                run(target_port, target_path, target_headers, side)
                        for engine, page in measured.items():
                            rows.append((engine, size, name, page, floor))
                        print(
                            f"  {size:,} {name}: "
                            + ", ".join(f"{engine} {page.rate:,.0f} req/s" for engine, page in measured.items())
                            + f", floor {floor.rate:,.0f}; load average {os.getloadavg()[0]:.1f}",
                            file=sys.stderr,
                            flush=True,
                        )

    page_cache = (
        "off, kept search matches off"
        if os.environ.get("LOOM_PAGE_CACHE", "").lower() in ("false", "0")
        else "on (anonymous GETs: marketplace.pagecache)"
    )
    print(
        f"\nWeb benchmark: gunicorn, 2 sync workers each; {args.clients} clients; {args.slices} slices of "
        f"{args.slice_seconds:g} s per side, "
        f"alternating; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; page cache {page_cache}; "
        f"rate limits in {RATELIMIT_STORAGE}\n"
    )
    print(
        f"{'engine':<11}{'groups':>7}  {'page':<20}{'req/s':>7}{'p50':>7}{'p95':>7}{'errors':>7}  "
        f"{'floor req/s':>11}{'p50':>6}{'p95':>6}  {'×floor':>6}"
    )
    for engine, size, name, page, floor in sorted(rows, key=lambda row: (engines.index(row[0]), sizes.index(row[1]))):
        ratio = floor.rate / page.rate if page.rate else float("inf")
        print(
            f"{engine:<11}{size:>7,}  "
            f"{name:<20}{page.rate:>7,.0f}{page.percentile(50):>7.1f}{page.percentile(95):>7.1f}{page.errors:>7}  "
            f"{floor.rate:>11,.0f}{floor.percentile(50):>6.1f}{floor.percentile(95):>6.1f}  {ratio:>6.1f}"
        )
    times = {(e, s, n): f.rate / p.rate for e, s, n, p, f in rows if p.rate}
    names = list(dict.fromkeys(n for _, _, n, _, _ in rows))
    if len(engines) == 2:
        # The floor cancels out: (floor ÷ PostgreSQL) ÷ (floor ÷ SQLite) is SQLite's rate ÷ PostgreSQL's.
        by_page = {(e, s, n): p for e, s, n, p, _ in rows}
        print("\nPostgreSQL ÷ SQLite, time per request (in brackets: the lowest and highest of the rounds of slices):")
        for size in sizes:
            print(
                f"  {size:>7,} groups: "
                + ", ".join(
                    f"{n} {ratio_with_spread(by_page[('postgresql', size, n)], by_page[('sqlite', size, n)])}" for n in names
                )
            )
    if len(sizes) > 1:
        print(f"\n{sizes[-1]:,} ÷ {sizes[0]:,} groups, time per request relative to the floor:")
        for engine in engines:
            print(
                f"  {engine:<11}: "
                + ", ".join(f"{n} {times[(engine, sizes[-1], n)] / times[(engine, sizes[0], n)]:.2f}" for n in names)
            )


if __name__ == "__main__":
    main()
