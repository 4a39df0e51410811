"""Page CPU benchmark: the CPU time each main page costs per request, in-process, against the floor page.

    python bench/page_cpu.py --database-url URL [--requests 300] [--rounds 3] [--fresh] [--page NAME ...]

For a machine shared with other work, where bench/web.py's wall-clock rates swing with the load: this
counts the process's own CPU time (`time.process_time`) over `--requests` requests per page through
Flask's test client (no server, no network), in rounds that alternate the pages, and prints the median
per request, the database's round trips per request (statements, BEGIN, COMMIT, ROLLBACK), and each page as a multiple of a
minimal Flask page
measured the same way. On PostgreSQL (a server on this machine) it also counts the CPU time the server's backends spend
for the page (`/proc/<pid>/schedstat` of each connection's `pg_backend_pid()`) and the sum of both: under gunicorn on a
shared machine the server takes its CPU from the same cores, so the sum is what compares with SQLite, where the
database works inside the process. The last page is an order page as its buyer sees it, signed in (the demo's
buyer@demo.loom, signed in through the session cookie, nothing written): signed-in pages are never cached.
The database is one bench/web.py seeded (its demo marketplace); its embedded search index is built in a
temporary folder first. Run it from two trees in turns to compare versions.
`--fresh` turns the anonymous page cache off (`LOOM_PAGE_CACHE=false`): every request renders its page; and the embedded
index's kept matches (`LOOM_SEARCH_KEEP_MATCHES=false`): every search matches afresh, not from the set its reader kept
for the same query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # run as a script, bench/search.py would shadow the `search` package

from flask import Flask  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.web import ORDER_PAGE, pages  # noqa: E402  (the pages bench/web.py loads)
from marketplace.accounts.models import Membership, User  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.orders.models import Order  # noqa: E402
from marketplace.producers.models import ProducerGroup  # noqa: E402
from marketplace.secrets import new_key  # noqa: E402


def floor_app() -> Flask:
    floor = Flask("floor")
    floor.add_url_rule("/", "floor", lambda: "ok")
    return floor


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", required=True, help="a database bench/web.py seeded (SQLite file or PostgreSQL)")
    parser.add_argument("--requests", type=int, default=300, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--fresh", action="store_true", help="page cache and kept search matches off: every request renders its page"
    )
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        help='a page to measure, its name as printed (such as "search, units+date"); repeat it for more (default: all; '
        "the floor always)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loom-bench-cpu-") as tmp:
        folder = Path(tmp)
        env = {
            "LOOM_DATABASE_URL": args.database_url,
            "LOOM_SECRET_KEY": "bench-secret-key",
            "LOOM_SECRETS_KEY": new_key(),
            "LOOM_SEARCH_BACKEND": "embedded",
            "LOOM_SEARCH_EMBEDDED_PATH": str(folder / "search.db"),
            "LOOM_MAIL_DIR": str(folder / "mail"),
            "LOOM_UPLOAD_DIR": str(folder / "uploads"),
            "LOOM_RATE_LIMIT_API": "1000000 per minute",
        }
        if args.fresh:
            env["LOOM_PAGE_CACHE"] = "false"
            env["LOOM_SEARCH_KEEP_MATCHES"] = "false"
        os.environ.update(env)
        built = subprocess.run(
            [str(Path(sys.executable).parent / "loom"), "search", "rebuild"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:
            sys.exit(built.stderr[-2000:])
        from marketplace import create_app

        app = create_app()
        engine = make_engine(args.database_url)
        with Session(engine) as session:
            slug = session.scalar(select(ProducerGroup.slug).order_by(ProducerGroup.external_ref).limit(1))
            buyer = session.scalar(select(User).where(User.email == "buyer@demo.loom"))
            order_id = session.scalar(
                select(Order.id)
                .join(Membership, Membership.organization_id == Order.buyer_id)
                .where(Membership.user_id == buyer.id)
                .order_by(Order.id)
                .limit(1)
            )
            buyer_cookie = buyer.get_id()
        engine.dispose()
        signed_in = app.test_client()
        with signed_in.session_transaction() as browser:  # as Flask-Login keeps a sign-in
            browser["_user_id"] = buyer_cookie
            browser["_fresh"] = True
        statements = [0]
        db_engine = app.extensions["loom.db"]["engine"]

        postgres = db_engine.dialect.name == "postgresql"

        def idle(dbapi_connection: Any) -> bool:
            return dbapi_connection.info.transaction_status.name == "IDLE"

        def one_more_statement(conn: Any, _cursor: object, statement: str, *_args: object) -> None:
            if statement == "BEGIN":
                return  # SQLite's BEGIN is counted by the "begin" event
            statements[0] += 1
            dbapi_connection = conn.connection.dbapi_connection
            if postgres and not dbapi_connection.autocommit and idle(dbapi_connection):
                statements[0] += 1  # psycopg sends BEGIN first

        def one_more_begin(_conn: object) -> None:
            if not postgres:
                statements[0] += 1

        def one_more_end(conn: Any) -> None:
            if not postgres or not idle(conn.connection.dbapi_connection):  # PostgreSQL: none outside a transaction
                statements[0] += 1

        backends: set[int] = set()

        @event.listens_for(db_engine, "connect")
        def note_backend(dbapi_connection: Any, _record: object) -> None:
            if postgres:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backends.add(cursor.fetchone()[0])
                dbapi_connection.rollback()

        def server_cpu() -> float:
            """The CPU time (ms) the server's backends for this process have run, from the kernel's schedstat."""
            total = 0
            for pid in backends:
                try:
                    total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
            return total / 1e6

        db_engine.dispose()  # connections made from here on note their backends

        # Round trips: each statement, and each BEGIN, COMMIT and ROLLBACK the server gets (on PostgreSQL, psycopg's BEGIN
        # before a statement outside autocommit, a COMMIT or ROLLBACK only of a transaction begun).
        event.listen(db_engine, "before_cursor_execute", one_more_statement)
        event.listen(db_engine, "begin", one_more_begin)
        event.listen(db_engine, "commit", one_more_end)
        event.listen(db_engine, "rollback", one_more_end)
        targets = (
            {"floor": (floor_app().test_client(), "/")}
            | {name: (app.test_client(), path) for name, path in pages(slug, dt.date.today()).items()}
            | {ORDER_PAGE: (signed_in, f"/orders/{order_id}")}
        )
        if args.page:
            chosen = {"floor", *args.page}
            if unknown := chosen - targets.keys():
                sys.exit(f"no such page: {', '.join(sorted(unknown))} (the pages: {', '.join(targets)})")
            targets = {name: target for name, target in targets.items() if name in chosen}
        for client, path in targets.values():
            for _ in range(20):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
        gc.collect()
        gc.freeze()  # as gunicorn.conf.py does
        cpu: dict[str, list[float]] = {name: [] for name in targets}
        server: dict[str, list[float]] = {name: [] for name in targets}
        per_request: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, (client, path) in targets.items():
                statements[0] = 0
                started, server_started = time.process_time(), server_cpu()
                for _ in range(args.requests):
                    client.get(path)
                cpu[name].append((time.process_time() - started) * 1000 / args.requests)
                server[name].append((server_cpu() - server_started) / args.requests)
                per_request[name] = statements[0] / args.requests
    floor = statistics.median(cpu["floor"])
    width = max(map(len, targets)) + 2
    print(
        f"\nPage CPU benchmark: {args.requests} requests × {args.rounds} rounds per page, in-process; load average "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    if not postgres:
        print(f"{'page':<{width}}{'CPU ms/request':>15}{'round trips':>12}{'×floor':>8}")
        for name in targets:
            value = statistics.median(cpu[name])
            print(f"{name:<{width}}{value:>15.3f}{per_request[name]:>12.1f}{value / floor:>8.1f}")
        return
    print(
        f"{'page':<{width}}{'CPU ms/request':>15}{'server ms':>10}{'sum ms':>8}{'round trips':>12}{'×floor':>8}{'sum ×floor':>11}"
    )
    for name in targets:
        value, on_server = statistics.median(cpu[name]), statistics.median(server[name])
        print(
            f"{name:<{width}}{value:>15.3f}{on_server:>10.3f}{value + on_server:>8.3f}{per_request[name]:>12.1f}"
            f"{value / floor:>8.1f}{(value + on_server) / floor:>11.1f}"
        )


if __name__ == "__main__":
    main()
