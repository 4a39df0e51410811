"""Amounts through the whole flow keep the order's currency and its real decimals, and always add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.billing.models import InvoiceKind
from marketplace.billing.services import invoices_of
from marketplace.money import is_rounded
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from payments.gateway import to_minor
from tests import factories


@pytest.mark.parametrize(
    ("currency", "quantity", "unit_price", "deposit", "balance"),
    [
        ("UGX", 1, "250001", "125001", "125000"),  # the shilling the buyer was charged twice
        ("USD", 3, "0.05", "0.08", "0.07"),
        ("KES", 7, "333.33", "1166.66", "1166.65"),
        ("INR", 1, "999.99", "500.00", "499.99"),
        ("RWF", 3, "3333", "5000", "4999"),
    ],
)
def test_deposit_and_balance_invoices_add_up_to_the_order_in_its_own_decimals(
    session: Session, currency: str, quantity: int, unit_price: str, deposit: str, balance: str
) -> None:
    group = factories.producer_group(session, name=f"Kampala Bark Cloth {currency}", country="UG")
    group_admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer, quantity=quantity, unit_price=unit_price, currency=currency)
    today = dt.date.today()
    for who, to in (
        (group_admin, OrderStatus.IN_PRODUCTION),
        (group_admin, OrderStatus.READY),
        (group_admin, OrderStatus.SHIPPED),
        (buyer, OrderStatus.DELIVERED),
    ):
        orders.move(session, who, order.id, to, note="", today=today, base_url="https://loom.test", carrier="Maersk")
    invoices = invoices_of(session, order.id)
    assert [(i.kind, i.amount, i.currency) for i in invoices] == [
        (InvoiceKind.DEPOSIT, Decimal(deposit), currency),
        (InvoiceKind.BALANCE, Decimal(balance), currency),
    ]
    assert sum(i.amount for i in invoices) == order.total == Decimal(unit_price) * quantity
    assert all(is_rounded(i.amount, currency) for i in invoices)
    assert sum(to_minor(i.amount, currency) for i in invoices) == to_minor(order.total, currency)


def test_invoice_numbers_are_unique_even_when_two_groups_share_a_long_slug_prefix(session: Session) -> None:
    buyer = factories.buyer(session, role=Role.ADMIN)
    numbers = []
    for name in ("Kisumu Weavers Cooperative North", "Kisumu Weavers Cooperative South"):
        group = factories.producer_group(session, name=name)
        order = factories.accepted_order(session, group, buyer, quantity=10, unit_price="9.00")
        numbers += [i.number for i in invoices_of(session, order.id)]
    assert len(numbers) == 2 and len(set(numbers)) == 2, numbers


@pytest.mark.parametrize(
    ("country", "utc_moment", "local_date"),
    [
        ("KE", dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC), dt.date(2027, 1, 1)),  # 01:30 on 1 January in Nairobi (UTC+3)
        ("KE", dt.datetime(2026, 12, 31, 20, 59, tzinfo=dt.UTC), dt.date(2026, 12, 31)),
        ("IN", dt.datetime(2027, 3, 14, 18, 30, tzinfo=dt.UTC), dt.date(2027, 3, 15)),  # 00:00 in Kolkata (UTC+5:30)
        ("IN", dt.datetime(2027, 3, 14, 18, 29, tzinfo=dt.UTC), dt.date(2027, 3, 14)),
        (
            "GT",
            dt.datetime(2027, 1, 1, 5, 59, tzinfo=dt.UTC),
            dt.date(2026, 12, 31),
        ),  # 23:59 on New Year's Eve in Guatemala (UTC−6)
        ("GT", dt.datetime(2027, 1, 1, 6, 0, tzinfo=dt.UTC), dt.date(2027, 1, 1)),
    ],
)
def test_invoices_and_order_numbers_follow_the_groups_calendar(
    session: Session, monkeypatch: pytest.MonkeyPatch, country: str, utc_moment: dt.datetime, local_date: dt.date
) -> None:
    import marketplace.clock

    monkeypatch.setattr(marketplace.clock, "utcnow", lambda: utc_moment)
    group = factories.producer_group(session, name=f"Group in {country}", country=country)
    buyer = factories.buyer(session, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer, quantity=10, unit_price="9.00")
    [invoice] = invoices_of(session, order.id)
    assert invoice.issue_date == local_date and invoice.due_on == local_date + dt.timedelta(days=14)
    assert order.number.startswith(f"LM-{local_date.year}-")


def test_a_chosen_time_zone_wins_over_the_countrys(session: Session) -> None:
    group = factories.producer_group(session, name="Cusco Weavers", country="PE")
    assert group.organization.zone == "America/Lima"
    group.organization.time_zone = "Asia/Kolkata"
    moment = dt.datetime(2027, 3, 14, 18, 45, tzinfo=dt.UTC)
    assert group.organization.today(moment) == dt.date(2027, 3, 15)
