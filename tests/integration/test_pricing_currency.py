"""The pricing helper speaks the group's currency: its wage hint, the wage it fills in and the exchange rate it offers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.sourcing.models import Rfq
from tests import factories
from tests.web import sign_in, submit, text_of

NEEDED_BY = dt.date.today() + dt.timedelta(weeks=12)


def _answer_page(client: FlaskClient, session: Session, *, country: str, group_currency: str, rfq_currency: str) -> str:
    buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
    group = factories.producer_group(session, name="Weavers", country=country, currency=group_currency)
    factories.capability(session, group, category="baskets.storage", currency=group_currency)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, buyer.user.email)
    fields = {
        "title": "Storage baskets",
        "spec": "Natural sisal, three sizes nested.",
        "category": "baskets.storage",
        "quantity": "300",
        "currency": rfq_currency,
        "needed_by": NEEDED_BY.isoformat(),
        "destination_country": "GB",
        "group": [group.slug],
        "send": "1",
    }
    assert submit(client, f"/rfqs/new?group={group.slug}", fields).status_code == 302
    rfq = session.scalar(select(Rfq))
    submit(client, "/login", {}, action="/logout")
    sign_in(client, admin.user.email)
    response = client.get(f"/manage/rfqs/{rfq.id}")
    assert response.status_code == 200
    return text_of(response)


def _value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


@pytest.mark.parametrize(
    ("country", "currency", "wage", "shown"),
    [
        ("KE", "KES", "155.61", "KES155.61"),  # 1.20 USD × 129.6747 KES for 1 USD (reference rate of 29 Sep 2026)
        ("IN", "INR", "86.48", "₹86.48"),  # 0.90 USD × 96.0853 INR for 1 USD
    ],
)
def test_the_wage_hint_and_the_wage_filled_in_are_in_the_groups_currency(
    client: FlaskClient, session: Session, country: str, currency: str, wage: str, shown: str
) -> None:
    page = _answer_page(client, session, country=country, group_currency=currency, rfq_currency=currency)
    assert _value(page, "hourly_wage") == wage
    assert f"A living wage here is about {shown} an hour; it is filled in below." in page
    assert "USD" not in page and "$" not in page, re.findall(r".{40}(?:USD|\$).{40}", page)


def test_a_group_pricing_in_shillings_for_a_dollar_request_gets_the_reference_rate_to_correct(
    client: FlaskClient, session: Session
) -> None:
    page = _answer_page(client, session, country="KE", group_currency="KES", rfq_currency="USD")
    assert _value(page, "hourly_wage") == "155.61"
    assert _value(page, "exchange_rate") == "129.6747"
    assert "The exchange rate below is the market rate of Sep 29, 2026: type the rate you really get." in page
    assert "KES for 1 USD" in page
