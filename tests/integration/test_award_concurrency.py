"""Two acceptances of one RFQ at the same moment make one order (PostgreSQL, real threads and transactions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts.models import Membership, Role
from marketplace.billing.models import Invoice
from marketplace.errors import Conflict
from marketplace.orders.models import Order
from marketplace.orders.services import accept_quote
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.postgres_only
TODAY = dt.date.today()


def _two_quotes(sessions: sessionmaker[Session]) -> tuple[int, list[int]]:
    """One buyer's open RFQ sent to two groups, each of which quoted; returns the buyer and the quotes."""
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
        groups = [factories.producer_group(session, name=name) for name in ("Machakos Sisal Weavers", "Kitui Basket Collective")]
        for group in groups:
            factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
        rfq = Rfq(
            buyer_id=buyer.organization_id,
            title="Baskets",
            category="baskets.storage",
            quantity=400,
            currency="USD",
            needed_by=TODAY + dt.timedelta(weeks=12),
            destination_country="GB",
            status=RfqStatus.OPEN,
            recipients=[RfqRecipient(group_id=g.id) for g in groups],
        )
        quotes = [
            Quote(
                rfq=rfq,
                group_id=g.id,
                unit_price=Decimal(price),
                currency="USD",
                quantity=400,
                lead_time_days=20,
                valid_until=TODAY + dt.timedelta(days=10),
                status=QuoteStatus.SUBMITTED,
            )
            for g, price in zip(groups, ("9.00", "8.50"), strict=True)
        ]
        session.add_all([rfq, *quotes])
        session.flush()
        return buyer.id, [q.id for q in quotes]


def _accept(membership_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    def use_case(session: Session) -> str:
        membership = session.get(Membership, membership_id)
        return accept_quote(session, membership, quote_id, today=TODAY, deposit_percent=50, base_url="https://loom.test").number

    return use_case


def _effects(sessions: sessionmaker[Session]) -> tuple[int, int, list[QuoteStatus]]:
    with sessions() as session:
        orders = session.scalar(select(func.count()).select_from(Order))
        invoices = session.scalar(select(func.count()).select_from(Invoice))
        statuses = sorted(session.scalars(select(Quote.status)))
        return orders, invoices, statuses


def test_two_admins_accepting_two_quotes_of_one_rfq_make_one_order(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    buyer_id, (first_quote, second_quote) = _two_quotes(sessions)

    first, second = race(sessions, _accept(buyer_id, first_quote), _accept(buyer_id, second_quote))

    assert isinstance(first, str) and first.startswith("LM-")
    assert isinstance(second, Conflict) and "This request is awarded; its quotes can no longer be accepted." in str(second)
    orders, invoices, statuses = _effects(sessions)
    assert (orders, invoices) == (1, 1)
    assert statuses == sorted([QuoteStatus.ACCEPTED, QuoteStatus.DECLINED])


def test_a_double_click_on_one_quote_makes_one_order_and_says_which(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    buyer_id, (quote_id, _) = _two_quotes(sessions)

    first, second = race(sessions, _accept(buyer_id, quote_id), _accept(buyer_id, quote_id))

    assert isinstance(first, str)
    assert isinstance(second, Conflict) and f"You already accepted this quote: it is order {first}." in str(second)
    orders, invoices, _ = _effects(sessions)
    assert (orders, invoices) == (1, 1)
