"""Recording a payout sent outside Stripe carries the amount the operator saw.

A payout a refund changed meanwhile is not recorded."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Payout, PayoutStatus
from tests.integration.test_payments import as_, market, paid_deposit, stripe_relay  # noqa: F401 - fixtures
from tests.stripe_proxy import StripeRelay
from tests.web import hidden_fields, submit, text_of


def _desk_fields(client: FlaskClient, payout: Payout) -> dict[str, str]:
    """The payout's record form as the operator's browser posts it, hidden fields included."""
    desk = text_of(client.get("/operator/payouts"))
    seen = re.search(
        rf'name="p{payout.id}-seen_amount"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="p{payout.id}-seen_amount"', desk
    )
    assert seen, "the record form carries the amount it shows"
    return {
        **hidden_fields(client, "/operator/payouts"),
        f"p{payout.id}-seen_amount": seen.group(1) or seen.group(2),
        f"p{payout.id}-method": "mobile_money",
        f"p{payout.id}-reference": "SGH7K2L9QX",
    }


def _kenyan_payout(client: FlaskClient, session: Session, market: dict[str, Any], relay: StripeRelay) -> Payout:  # noqa: F811
    as_(client, market["kenya_owner"].user.email)
    saved = submit(
        client,
        "/manage/payouts",
        {"method": "mobile_money", "provider": "M-Pesa", "account_name": "Machakos Sisal Weavers", "number": "+254 712 345 678"},
        action="/manage/payouts/details",
    )
    assert saved.status_code == 302
    payment = paid_deposit(client, session, relay, market, "kenya_order")
    return session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))


def test_a_payout_changed_since_the_page_was_opened_is_not_recorded(
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    payout = _kenyan_payout(client, session, market, stripe_relay)
    as_(client, market["operator"].email)
    fields = _desk_fields(client, payout)  # the operator reads $1,710.00 and sends it
    payout.amount = Decimal("1500.00")  # meanwhile a partial refund shrank the payout
    session.flush()

    answer = client.post(f"/operator/payouts/{payout.id}/record", data={**fields, f"p{payout.id}-sent_currency": "USD"})

    assert "This payout changed from $1,710.00 to $1,500.00 since you opened the page" in text_of(
        client.get(answer.headers["Location"])
    )
    session.expire_all()
    assert payout.status == PayoutStatus.PENDING and not payout.reference


def test_a_payout_as_the_page_showed_it_is_recorded(
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    payout = _kenyan_payout(client, session, market, stripe_relay)
    as_(client, market["operator"].email)

    answer = client.post(
        f"/operator/payouts/{payout.id}/record", data={**_desk_fields(client, payout), f"p{payout.id}-sent_currency": "USD"}
    )

    assert answer.status_code == 302
    session.expire_all()
    assert (payout.status, payout.reference) == (PayoutStatus.SENT, "SGH7K2L9QX")
