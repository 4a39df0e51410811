"""Payments benchmark: how fast the Stripe webhook answers, against the floor of verifying a signature.

    python bench/payments.py [--events 500] [--database sqlite|postgresql] [--database-url URL]

SQLite runs in a temporary file. PostgreSQL runs in the database named by --database-url (default
LOOM_BENCH_POSTGRES_URL), which it empties first: it refuses the test database and any database
holding tables no benchmark made (see bench/scratch.py).

Stripe wants a 2xx quickly and retries otherwise. Each delivery is a signed POST through the whole
app (signature check, the event stored once, its effect in the same transaction); the floor is
a POST of the same body to a route that does nothing; `construct_event` alone is shown too. Prints p50/p95 per kind of delivery
and
the ratio to the floor: an empty POST through the same app (Flask, the test client, security headers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import click
import stripe

sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.scratch import claim_postgres  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Organization, OrganizationKind  # noqa: E402
from marketplace.billing.models import Invoice, InvoiceKind, Payment  # noqa: E402
from marketplace.cli import upgrade_database  # noqa: E402
from marketplace.db import db  # noqa: E402
from marketplace.orders.models import Order, OrderStatus  # noqa: E402
from marketplace.producers.models import ProducerGroup  # noqa: E402

SECRET = "whsec_bench"


def sign(payload: bytes) -> str:
    t = int(time.time())
    return f"t={t},v1={hmac.new(SECRET.encode(), f'{t}.'.encode() + payload, hashlib.sha256).hexdigest()}"


def setup(count: int) -> list[tuple[int, str]]:
    """`count` open deposit invoices, each with a checkout started: (payment id, checkout id)."""
    session = db.session
    group = ProducerGroup(
        organization=Organization(kind=OrganizationKind.PRODUCER, name="Bench weavers", country="KE"),
        name="Bench weavers",
        slug="bench-weavers",
        country="KE",
        listed=True,
    )
    buyer = Organization(kind=OrganizationKind.BUYER, name="Bench buyer", country="GB")
    session.add_all([group, buyer])
    session.flush()
    payments = []
    for n in range(count):
        order = Order(
            number=f"LM-B-{n:05d}",
            buyer_id=buyer.id,
            group_id=group.id,
            currency="USD",
            total=Decimal("1000.00"),
            ship_by=dt.date(2027, 3, 1),
            destination_country="GB",
            status=OrderStatus.CONFIRMED,
        )
        invoice = Invoice(
            order=order,
            group_id=group.id,
            sequence=n + 1,
            number=f"BENCH-{n + 1:05d}",
            kind=InvoiceKind.DEPOSIT,
            amount=Decimal("500.00"),
            currency="USD",
            issue_date=dt.date(2026, 12, 18),
            due_on=dt.date(2027, 1, 1),
        )
        payment = Payment(
            attempt=1, amount=Decimal("500.00"), currency="USD", idempotency_key=f"bench-{n}", checkout_ref=f"cs_bench_{n}"
        )
        invoice.payments.append(payment)
        session.add_all([order, invoice])
        session.flush()
        payments.append((payment.id, payment.checkout_ref))
    session.commit()
    return payments


def event(n: int, kind: str, obj: dict) -> bytes:
    return json.dumps(
        {
            "id": f"evt_bench_{kind}_{n}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()


def noop() -> tuple[str, int]:
    return "", 200


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOOM_BENCH_POSTGRES_URL"),
        help="the PostgreSQL database of the benchmark's own, emptied first (default: LOOM_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.database == "postgresql":
            url = args.database_url or sys.exit(
                "Name a PostgreSQL database of the benchmark's own: --database-url or LOOM_BENCH_POSTGRES_URL."
            )
            claim_postgres(url, contents="bench/payments.py")
        else:
            url = f"sqlite:///{folder}/bench.db"
        upgrade_database(url)
        app = create_app(
            {"DATABASE_URL": url, "INSTANCE_PATH": f"{folder}/instance", "SECRET_KEY": "bench", "STRIPE_WEBHOOK_SECRET": SECRET}
        )
        with app.app_context():
            payments = setup(args.events)
        completed = [
            event(
                n,
                "checkout.session.completed",
                {
                    "id": ref,
                    "object": "checkout.session",
                    "status": "complete",
                    "payment_status": "paid",
                    "payment_intent": f"pi_bench_{n}",
                    "metadata": {"loom_payment": str(pid)},
                },
            )
            for n, (pid, ref) in enumerate(payments)
        ]
        ignored = [event(n, "customer.created", {"id": f"cus_{n}", "object": "customer"}) for n in range(args.events)]
        kinds = {
            "checkout completed (pays, plans payout)": completed,
            "the same events again (duplicates)": completed,
            "a type Loom ignores (recorded)": ignored,
        }

        floor = []
        for body in completed:
            header = sign(body)
            started = time.perf_counter()
            stripe.Webhook.construct_event(body, header, SECRET)
            floor.append((time.perf_counter() - started) * 1000)

        from marketplace.web import csrf

        app.add_url_rule("/bench/noop", "bench_noop", csrf.exempt(noop), methods=["POST"])
        client = app.test_client()
        empty = []
        for body in completed:
            started = time.perf_counter()
            assert client.post("/bench/noop", data=body, content_type="application/json").status_code == 200
            empty.append((time.perf_counter() - started) * 1000)
        results: dict[str, list[float]] = {}
        with click.progressbar(
            length=args.events * len(kinds), label=f"Webhook deliveries ({args.database})", show_pos=True
        ) as bar:
            for label, bodies in kinds.items():
                times = []
                for body in bodies:
                    header = sign(body)
                    started = time.perf_counter()
                    response = client.post(
                        "/payments/stripe/webhook",
                        data=body,
                        content_type="application/json",
                        headers={"Stripe-Signature": header},
                    )
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        sys.exit(f"webhook answered {response.status_code}: {response.get_data(as_text=True)}")
                    bar.update(1)
                results[label] = times
        app.extensions["loom.db"]["engine"].dispose()

    f50, f95 = pct(empty, 50), pct(empty, 95)
    print(f"\nStripe webhook, {args.events} deliveries per kind, {args.database}, one process on this machine\n")
    print(f"{'latency (ms)':44}{'p50':>8}{'p95':>8}{'p50 ×floor':>12}{'p95 ×floor':>12}")
    print(f"{'empty POST through the same app (floor)':44}{f50:8.2f}{f95:8.2f}{1:12.1f}{1:12.1f}")
    print(
        f"{'construct_event alone':44}{pct(floor, 50):8.2f}{pct(floor, 95):8.2f}"
        f"{pct(floor, 50) / f50:12.2f}{pct(floor, 95) / f95:12.2f}"
    )
    for label, times in results.items():
        p50, p95 = pct(times, 50), pct(times, 95)
        print(f"{'Loom: ' + label:44}{p50:8.2f}{p95:8.2f}{p50 / f50:12.1f}{p95 / f95:12.1f}")
    total = sum(sum(t) for t in results.values()) / 1000
    print(
        f"\n{args.events * len(results)} deliveries in {total:.1f} s ({args.events * len(results) / total:,.0f}/s), "
        "every one answered 200."
    )


if __name__ == "__main__":
    main()
