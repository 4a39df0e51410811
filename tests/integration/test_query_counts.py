"""Each main page runs a small, fixed number of SQL statements: the same on SQLite and PostgreSQL, and
the same for a group with one capability or many, a directory of two groups or twenty, so an N+1 load
cannot creep back unnoticed. Stripe's checkout-completed webhook likewise."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role
from marketplace.billing.models import Invoice, Payout
from marketplace.db import utcnow
from marketplace.orders import services as order_services
from marketplace.orders.models import Order
from marketplace.producers.capacity import week_start
from marketplace.producers.models import CapacityWindow, Certification, Photo, PriceTier, ProducerGroup, Product
from payments.checkout import begin_payment
from payments.settings import Settings
from payments.webhooks import Context, process_event
from tests import factories
from tests.web import sign_in

# Transaction bookkeeping of the test's rolled-back connection, not work a page asks for.
_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def counted(connection: Connection) -> Iterator[list[str]]:
    """Record each SQL statement run on `connection` inside the block (savepoints left out)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def statements_of(client: FlaskClient, connection: Connection, url: str) -> list[str]:
    with counted(connection) as seen:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return seen


def grow(session: Session, group: ProducerGroup, n: int) -> None:
    """Give the group `n` more of everything its profile shows: capabilities with weeks, certifications, products, photos."""
    monday = week_start(dt.date.today()) + dt.timedelta(weeks=1)
    for _ in range(n):
        capability = factories.capability(session, group, category="baskets.storage")
        session.add_all(
            CapacityWindow(capability=capability, week_start=monday + dt.timedelta(weeks=w), units_available=50) for w in range(2)
        )
        k = len(group.certifications) + len(group.products)
        scheme = ("wfto", "fairtrade", "gots", "organic", "oeko-tex", "fsc", "craftmark", "b-corp")[len(group.certifications) % 8]
        session.add(Certification(group=group, scheme=scheme, reference=f"R-{k}"))
        product = Product(
            group=group,
            sku=f"SKU-{k}",
            title="Storage basket",
            category="baskets.storage",
            moq=10,
            lead_time_days=20,
            currency="USD",
            price_tiers=[
                PriceTier(min_quantity=10, unit_price=Decimal("9.00")),
                PriceTier(min_quantity=50, unit_price=Decimal("8.00")),
            ],
        )
        session.add(product)
        session.flush()
        for product_id in (None, product.id):
            session.add(
                Photo(
                    group_id=group.id,
                    product_id=product_id,
                    path=f"photos/p{k}.png",
                    content_type="image/png",
                    width=40,
                    height=30,
                )
            )
    session.commit()
    session.expire_all()


def more_groups(session: Session, n: int) -> None:
    for i in range(n):
        group = factories.producer_group(session, verified=i % 2 == 0)
        factories.capability(session, group)
        session.add(Certification(group=group, scheme="fairtrade", reference=f"F-{i}"))
    session.commit()


@pytest.fixture
def market(session: Session) -> dict[str, Any]:
    buyer = factories.buyer(session)
    group = factories.producer_group(session, name="Kitui Sisal Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    grow(session, group, 1)
    order = factories.accepted_order(session, group, buyer, quantity=40)
    session.commit()
    return {"buyer": buyer, "group": group, "admin": admin, "order": order}


def advance(session: Session, market: dict[str, Any]) -> None:
    """Add trace events, progress reports and an invoice's worth of history to the order."""
    admin: Membership = market["admin"]
    order: Order = market["order"]
    for percent in (10, 40, 70):
        order_services.post_progress(session, admin, order.id, percent=percent, note=f"{percent} % made.", photo_path=None)
    session.commit()


# Statements each page may run, whatever the size of what it shows.
BUDGET = {
    "home": 2,
    "directory": 2,
    "profile": 2,
    "search": 1,
    "api_groups": 2,
    "api_group": 4,
    "api_search": 1,
    "order": 3,
    "invoice": 4,
    # the signed-in pages: the user with memberships and organizations (1); the order page: the order with both parties, its
    # lines, progress and invoices (1, marketplace.orders.services.order_page), its trace (read once) with its story (1); the
    # invoice: with its order, lines and group (1), payments (1), the payout with the group's collecting account (1); the profile:
    # its group with its capabilities and their weeks, certifications, products with tiers and photos, and gallery photos, side by
    # side with its measured record, ratings and newest reviews (1, marketplace.discovery.profile); the API's list and the
    # directory: a page of cards with their total, their capabilities' categories and certifications, and on the directory their
    # cover photos too (1, marketplace.producers.cards.with_details); home: its cards with their details and covers, and the kept
    # counts (1); the API's group: the group with its certifications (1), capabilities with their weeks (1), products with their
    # price tiers (1)
}
# The pages the anonymous page cache keeps (marketplace.pagecache) read the public generation first (1, counted
# above; the search pages, the search index's generation, their one statement); served again from the cache, they run
# that one statement alone.
CACHED = {"home", "directory", "profile", "api_groups", "api_group", "search", "api_search"}


def test_public_pages_run_a_fixed_number_of_statements(
    client: FlaskClient, session: Session, connection: Connection, market: dict[str, Any]
) -> None:
    slug = market["group"].slug
    pages = {
        "home": "/",
        "directory": "/groups?country=KE",
        "profile": f"/groups/{slug}",
        "search": "/search?q=basket&units=10&by=2027-06-01",
        "api_groups": "/api/v1/groups?country=KE",
        "api_group": f"/api/v1/groups/{slug}",
        "api_search": "/api/v1/search?q=basket",
    }
    before = {name: statements_of(client, connection, url) for name, url in pages.items()}
    grow(session, market["group"], 3)
    more_groups(session, 5)
    after = {name: statements_of(client, connection, url) for name, url in pages.items()}

    for name in pages:
        assert len(after[name]) == len(before[name]), (name, before[name], after[name])
        assert len(after[name]) == BUDGET[name], (name, after[name])
    again = {name: statements_of(client, connection, url) for name, url in pages.items()}
    for name in pages:
        assert len(again[name]) == (1 if name in CACHED else BUDGET[name]), (name, again[name])


def test_order_and_invoice_pages_run_a_fixed_number_of_statements(
    client: FlaskClient, session: Session, connection: Connection, market: dict[str, Any]
) -> None:
    order: Order = market["order"]
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    sign_in(client, market["buyer"].user.email)
    pages = {"order": f"/orders/{order.id}", "invoice": f"/invoices/{invoice.id}"}
    before = {name: statements_of(client, connection, url) for name, url in pages.items()}
    advance(session, market)
    after = {name: statements_of(client, connection, url) for name, url in pages.items()}

    for name in pages:
        assert len(after[name]) == len(before[name]), (name, before[name], after[name])
        assert len(after[name]) == BUDGET[name], (name, after[name])
    trace_reads = [s for s in after["order"] if "trace_event" in s]
    assert len(trace_reads) == 1, trace_reads  # the chain is read once, then shown, checked and told in words


def test_a_checkout_completed_webhook_runs_a_fixed_number_of_statements(
    session: Session, connection: Connection, market: dict[str, Any]
) -> None:
    order: Order = market["order"]
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    payment = begin_payment(session, market["buyer"], invoice.id, now=utcnow())
    payment.checkout_ref = "cs_counted"
    session.commit()
    session.expunge_all()  # as in a request of its own: nothing loaded yet
    settings = Settings.from_config(
        {"BASE_URL": "https://loom.test", "PLATFORM_FEE_PERCENT": 8, "STRIPE_PAYOUT_COUNTRIES": ("PT",)}
    )
    event = {
        "id": "evt_counted",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "cs_counted",
                "object": "checkout.session",
                "status": "complete",
                "payment_status": "paid",
                "payment_intent": "pi_counted",
            }
        },
    }

    with counted(connection) as seen:
        outcome = process_event(session, event, Context(settings))
        session.flush()
    with counted(connection) as again:
        process_event(session, event, Context(settings))

    assert outcome.endswith("pending → succeeded")
    assert session.scalar(select(Payout).where(Payout.invoice_id == invoice.id)) is not None
    # The event stored, the payment with all that settling reads (2), invoice and payment updated together,
    # the ERP link, the payout planned (3), the group's fee ledger looked up for fees to net (1: none, nothing locked),
    # buyer and group told (a look-up and an e-mail each), the outcome recorded.
    assert len(seen) == 16, seen
    assert len(again) == 1, again
