"""Write-load benchmark: concurrent people posting messages and sending RFQs, on each server and engine.

    python bench/write_load.py [--clients 20] [--seconds 60] [--engines sqlite,postgresql] [--servers serve,gunicorn]

For each engine (a fresh SQLite file; the PostgreSQL database named by LOOM_BENCH_POSTGRES_URL, whose
schema is WIPED: the test database, or one holding tables no benchmark made, is refused) and each server (`loom serve`, with its
worker
thread; gunicorn with two workers of four threads, with `loom worker` beside it), it starts the
server on 127.0.0.1, signs in `--clients` buyers and lets each one, for `--seconds`, do what a
person does: open its RFQ page and post a message there, or open the new-RFQ page and send a
request to the group — every post with the page's CSRF and one-time tokens. The clock starts once all
have signed in (sign-ins are slow on purpose and are not counted). Only loopback traffic;
each client stops at the deadline or after `--max-posts` posts. Prints requests, 5xx and the p50/p95
of the posts (milliseconds) side by side; the aim is 0 server errors everywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.scratch import claim_postgres  # noqa: E402
from marketplace.accounts.models import Membership, Organization, OrganizationKind, Role, User  # noqa: E402
from marketplace.accounts.passwords import hash_password  # noqa: E402
from marketplace.cli import upgrade_database  # noqa: E402
from marketplace.db import make_engine, utcnow  # noqa: E402
from marketplace.producers.models import Capability, ProducerGroup  # noqa: E402
from marketplace.secrets import new_key  # noqa: E402
from marketplace.sourcing.models import Rfq, RfqRecipient, RfqStatus  # noqa: E402

PASSWORD = "bench password that is long enough"
HIDDEN = re.compile(
    r'<input[^>]*name="(csrf_token|submission)"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="(csrf_token|submission)"'
)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, clients: int) -> tuple[str, list[tuple[str, int]]]:
    """A migrated database with one basket group and `clients` buyers, each with an open RFQ to it."""
    if url.startswith("postgresql"):
        claim_postgres(url, contents="bench/write_load.py")
    upgrade_database(url)
    engine = make_engine(url)
    password_hash = hash_password(PASSWORD)
    people = []
    with Session(engine) as session:
        organization = Organization(kind=OrganizationKind.PRODUCER, name="Bench Weavers", country="KE")
        group = ProducerGroup(organization=organization, name="Bench Weavers", slug="bench-weavers", country="KE", listed=True)
        session.add(group)
        session.flush()
        session.add(
            Capability(
                group=group,
                category="baskets.storage",
                materials=["sisal"],
                techniques=["coiling"],
                moq=10,
                lead_time_days=21,
                price_min=5,
                price_max=9,
                currency="USD",
                weekly_capacity=500,
            )
        )
        for n in range(clients):
            buyer = Organization(kind=OrganizationKind.BUYER, name=f"Bench Buyer {n}", country="GB")
            user = User(
                email=f"buyer{n}@bench.example", name=f"Buyer {n}", password_hash=password_hash, email_confirmed_at=utcnow()
            )
            session.add(Membership(user=user, organization=buyer, role=Role.OWNER))
            rfq = Rfq(
                buyer=buyer,
                title="Baskets",
                category="baskets.storage",
                quantity=200,
                currency="USD",
                needed_by=dt.date.today() + dt.timedelta(weeks=10),
                destination_country="GB",
                status=RfqStatus.OPEN,
                recipients=[RfqRecipient(group_id=group.id)],
            )
            session.add(rfq)
            session.flush()
            people.append((user.email, rfq.id))
        session.commit()
        group_id = group.id
    engine.dispose()
    return str(group_id), people


@contextmanager
def server(kind: str, url: str, folder: Path, port: int) -> Iterator[str]:
    """Run `loom serve`, or gunicorn with `loom worker` beside it, on 127.0.0.1:`port` until the block ends."""
    env = {
        **os.environ,
        "LOOM_DATABASE_URL": url,
        "LOOM_SECRET_KEY": "bench-secret-key",
        "LOOM_SECRETS_KEY": new_key(),
        "LOOM_SESSION_COOKIE_SECURE": "false",
        "LOOM_REMEMBER_COOKIE_SECURE": "false",
        "LOOM_BASE_URL": f"http://127.0.0.1:{port}",
        "LOOM_MAIL_DIR": str(folder / "mail"),
        "LOOM_UPLOAD_DIR": str(folder / "uploads"),
        "LOOM_SEARCH_EMBEDDED_PATH": str(folder / "search.db"),
    }
    log = open(folder / f"{kind}.log", "w")  # noqa: SIM115 - closed below
    if kind == "serve":
        commands = [[str(BIN / "loom"), "serve", "--host", "127.0.0.1", "--port", str(port)]]
    else:
        commands = [
            [
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "marketplace:create_app()",
            ],
            [str(BIN / "loom"), "worker"],
        ]
    processes = [
        subprocess.Popen(c, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True) for c in commands
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{kind} did not start; see {folder / (kind + '.log')}")
        yield base
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@dataclass
class Tally:
    requests: int = 0
    server_errors: int = 0
    client_errors: int = 0
    client_statuses: Counter[int] = field(default_factory=Counter)  # which 4xx: a 409 or 429 reads differently from a 422
    post_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, ms: float | None) -> None:
        with self.lock:
            self.requests += 1
            if status >= 500:
                self.server_errors += 1
            elif status >= 400:
                self.client_errors += 1
                self.client_statuses[status] += 1
            if ms is not None:
                self.post_ms.append(ms)


def hidden(html: str) -> dict[str, str]:
    """The CSRF and one-time tokens of the page's first form, as a browser would post them."""
    fields: dict[str, str] = {}
    for match in HIDDEN.finditer(html):
        name, value = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        fields.setdefault(name, value)
    return fields


@dataclass
class Start:
    """The clock starts once every client has signed in: sign-ins (argon2, slow on purpose) are not write load."""

    signed_in: threading.Barrier
    deadline: float = 0.0


def person(base: str, email: str, rfq_id: int, group_id: str, start: Start, max_posts: int, tally: Tally) -> None:
    """One buyer: sign in, then alternately post a message on its RFQ and send a new RFQ, until the deadline."""
    web = requests.Session()

    def get(path: str) -> str:
        response = web.get(base + path, timeout=60)
        tally.add(response.status_code, None)
        return response.text

    def post(path: str, data: dict[str, str]) -> None:
        started = time.perf_counter()
        try:
            response = web.post(base + path, data=data, timeout=60, allow_redirects=False)
            status = response.status_code
        except requests.RequestException:
            status = 599  # no answer at all counts as a server error
        tally.add(status, (time.perf_counter() - started) * 1000)

    signed_in = web.post(
        base + "/login",
        data={**hidden(web.get(base + "/login", timeout=120).text), "email": email, "password": PASSWORD},
        timeout=120,
        allow_redirects=False,
    )  # not counted: the load measured is the writing that follows
    if signed_in.status_code != 302:
        tally.add(signed_in.status_code, None)
    start.signed_in.wait()
    deadline = start.deadline
    needed_by = (dt.date.today() + dt.timedelta(weeks=8)).isoformat()
    for n in range(max_posts):
        if time.monotonic() >= deadline:
            break
        if n % 2 == 0:
            page = f"/rfqs/{rfq_id}?group={group_id}"
            post(f"/rfqs/{rfq_id}/messages/{group_id}", {**hidden(get(page)), "body": f"Message {n} from {email}"})
        else:
            page = "/rfqs/new?group=bench-weavers"
            post(
                page,
                {
                    **hidden(get(page)),
                    "title": f"Baskets {n}",
                    "spec": "Round sisal baskets, three sizes nested.",
                    "category": "baskets.storage",
                    "quantity": "100",
                    "currency": "USD",
                    "needed_by": needed_by,
                    "destination_country": "GB",
                    "send": "1",
                    "confirmed": "1",
                },
            )


def run(kind: str, engine: str, url: str, folder: Path, clients: int, seconds: float, max_posts: int) -> Tally:
    group_id, people = prepare(url, clients)
    tally = Tally()
    with server(kind, url, folder, free_port()) as base:

        def clock_starts() -> None:  # run once, when every client has signed in, before any is let go
            start.deadline = time.monotonic() + seconds

        start = Start(threading.Barrier(len(people), action=clock_starts, timeout=600))
        threads = [
            threading.Thread(target=person, args=(base, email, rfq_id, group_id, start, max_posts, tally))
            for email, rfq_id in people
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)
    return tally


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-posts", type=int, default=10_000, help="per client, a bound besides the deadline")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--servers", default="serve,gunicorn")
    args = parser.parse_args()
    postgres = os.environ.get("LOOM_BENCH_POSTGRES_URL")
    rows = []
    with tempfile.TemporaryDirectory(prefix="loom-write-load-") as tmp:
        for engine in args.engines.split(","):
            for kind in args.servers.split(","):
                folder = Path(tmp) / f"{engine}-{kind}"
                folder.mkdir()
                if engine == "sqlite":
                    url = f"sqlite:///{folder / 'loom.db'}"
                elif postgres:
                    url = postgres
                else:
                    print("postgresql: skipped (set LOOM_BENCH_POSTGRES_URL to a database it may wipe)", file=sys.stderr)
                    continue
                print(f"{engine} / {kind}: {args.clients} clients for {args.seconds:g} s…", file=sys.stderr, flush=True)
                tally = run(kind, engine, url, folder, args.clients, args.seconds, args.max_posts)
                rows.append((engine, "loom serve" if kind == "serve" else "gunicorn 2×4", tally))
    print(
        f"\n{'engine':<11} {'server':<13} {'requests':>9} {'posts':>7} {'5xx':>5} {'4xx':>5} {'post p50 ms':>12} "
        f"{'post p95 ms':>12}"
    )
    for engine, server_name, t in rows:
        statuses = ", ".join(f"{n}×{code}" for code, n in sorted(t.client_statuses.items()))
        print(
            f"{engine:<11} {server_name:<13} {t.requests:>9} {len(t.post_ms):>7} {t.server_errors:>5} {t.client_errors:>5} "
            f"{percentile(t.post_ms, 50):>12.1f} {percentile(t.post_ms, 95):>12.1f}"
            f"{'   4xx: ' + statuses if t.client_statuses else ''}"
        )


if __name__ == "__main__":
    main()
