"""A Stripe transfer to a group's account in another currency shows the amount that arrived and Stripe's own rate,
read from the destination payment's balance transaction; when Stripe gives no rate, the page says Stripe converts it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Payout, PayoutMethod, PayoutStatus
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from payments import payouts, rates
from payments.gateway import StripeGateway
from payments.models import PayoutAccount
from tests.integration.test_payments import (  # noqa: F401 - fixtures
    as_,
    deliver,
    market,
    paid_deposit,
    stripe_event,
    stripe_object,
    stripe_relay,
)
from tests.stripe_proxy import StripeRelay
from tests.web import text_of

# A destination payment's balance transaction as Stripe answers it for a transfer of 1,900.00 USD into a EUR account
# (the object's documented shape, docs.stripe.com/api/balance_transactions/object; stripe-mock's fixture has no rate).
RECORDED_BALANCE_TRANSACTION = {
    "id": "txn_1Q2r3sPtAbCdEfGh",
    "object": "balance_transaction",
    "amount": 175085,
    "currency": "eur",
    "exchange_rate": 0.921500,
    "fee": 0,
    "fee_details": [],
    "net": 175085,
    "reporting_category": "charge",
    "source": "py_1Q2r3sPtAbCdEfGh",
    "status": "pending",
    "type": "payment",
    "available_on": 1764547200,
    "created": 1764460800,
}


class GatewayOfAConvertingAccount(StripeGateway):
    """stripe-mock, except that the group's account converts arriving money into euros, as Stripe does."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sk_test_loom", **kwargs)
        self.asked: list[tuple[str, str]] = []

    def destination_payment(self, payment_id: str, account_id: str) -> dict[str, Any]:
        self.asked.append((payment_id, account_id))
        payment = super().destination_payment(payment_id, account_id)  # the real call, so its shape is Stripe's
        return {**payment, "balance_transaction": RECORDED_BALANCE_TRANSACTION}


def _stripe_group(session: Session, market: dict[str, Any]) -> None:  # noqa: F811 - the fixture's value
    market["portugal"].currency = "EUR"  # the group works in euros; its order is in dollars
    session.add(
        PayoutAccount(
            group_id=market["portugal"].id,
            method=PayoutMethod.STRIPE_TRANSFER,
            stripe_account_id="acct_portugal",
            transfers_active=True,
        )
    )
    session.commit()


def test_stripes_rate_is_read_from_the_destination_payment_and_shown_to_the_group(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    _stripe_group(session, market)
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    gateway = GatewayOfAConvertingAccount(api_base=stripe_relay.url, network_retries=0)

    assert payouts.send_transfer(session, lambda: gateway, payout.id).startswith("sent as tr_")
    session.expire_all()
    assert [account for _, account in gateway.asked] == ["acct_portugal"] and gateway.asked[0][0].startswith("py_")
    assert (payout.status, payout.sent_amount, payout.sent_currency, payout.exchange_rate) == (
        PayoutStatus.SENT,
        Decimal("1750.85"),
        "EUR",
        Decimal("0.9215"),
    )
    as_(client, market["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "arrived in your Stripe account as <strong>€1,750.85</strong>, at Stripe's rate of 1 USD = 0.9215 EUR" in page
    assert "Stripe converts it to your account" not in page


def test_without_a_rate_from_stripe_the_page_says_stripe_converts_it_on_arrival(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    _stripe_group(session, market)
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    gateway = StripeGateway("sk_test_loom", api_base=stripe_relay.url, network_retries=0)

    assert payouts.send_transfer(session, lambda: gateway, payout.id).startswith("sent as tr_")
    session.expire_all()
    [asked] = [s for s in stripe_relay.seen if s.method == "GET" and s.path.startswith("/v1/charges/py_")]
    assert "expand" in asked.path  # stripe-mock answered the destination payment, with exchange_rate null
    assert (payout.status, payout.sent_amount, payout.exchange_rate) == (PayoutStatus.SENT, None, None)
    assert _rate_reads(session) == []  # Stripe said: nothing was converted, nothing to read again
    as_(client, market["portugal_admin"].user.email)
    assert "Stripe converts it to your account's currency when it arrives" in text_of(client.get("/manage/payouts"))


def test_stripe_down_while_asking_for_the_rate_leaves_the_transfer_recorded(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    _stripe_group(session, market)
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))

    class GatewayDownAfterTheTransfer(StripeGateway):
        def destination_payment(self, payment_id: str, account_id: str) -> dict[str, Any]:
            stripe_relay.mode = "down"
            try:
                return super().destination_payment(payment_id, account_id)
            finally:
                stripe_relay.mode = "pass"

    gateway = GatewayDownAfterTheTransfer("sk_test_loom", api_base=stripe_relay.url, network_retries=0)
    assert payouts.send_transfer(session, lambda: gateway, payout.id).startswith("sent as tr_")
    session.expire_all()
    assert payout.status == PayoutStatus.SENT and payout.reference.startswith("tr_") and payout.exchange_rate is None
    assert _rate_reads(session) == [str(payout.id)]  # read again later, from the outbox


def _rate_reads(session: Session) -> list[str]:
    return list(session.scalars(select(OutboxMessage.key).where(OutboxMessage.topic == topics.READ_TRANSFER_RATE)))


def test_a_rate_stripe_had_not_booked_yet_is_read_again_from_the_outbox_and_filled_in_once(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    _stripe_group(session, market)
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))

    class GatewayNotBookedYet(StripeGateway):
        """The transfer is made, but its destination payment has no balance transaction yet."""

        def destination_payment(self, payment_id: str, account_id: str) -> dict[str, Any]:
            return {**super().destination_payment(payment_id, account_id), "balance_transaction": None}

    not_yet = GatewayNotBookedYet("sk_test_loom", api_base=stripe_relay.url, network_retries=0)
    assert payouts.send_transfer(session, lambda: not_yet, payout.id).startswith("sent as tr_")
    assert _rate_reads(session) == [str(payout.id)]
    with pytest.raises(rates.NotBookedYet):  # the outbox tries again later, with its back-off
        rates.fill_rate(session, lambda: not_yet, payout.id)
    session.expire_all()
    assert payout.exchange_rate is None

    converting = GatewayOfAConvertingAccount(api_base=stripe_relay.url, network_retries=0)
    assert rates.fill_rate(session, lambda: converting, payout.id) == "arrived as 1750.85 EUR at 0.9215"
    session.expire_all()
    assert (payout.sent_amount, payout.sent_currency, payout.exchange_rate) == (Decimal("1750.85"), "EUR", Decimal("0.9215"))
    assert [account for _, account in converting.asked] == ["acct_portugal"]
    assert rates.fill_rate(session, lambda: converting, payout.id) == "nothing to read"  # once
    as_(client, market["portugal_admin"].user.email)
    assert "arrived in your Stripe account as <strong>€1,750.85</strong>" in text_of(client.get("/manage/payouts"))


def _charge_updated(relay: StripeRelay, payout: Payout, balance_transaction: str | None) -> dict[str, Any]:
    """Stripe's `charge.updated` for the transfer's payment on the group's account, as a Connect webhook receives it: the
    event names the account; the charge (stripe-mock's shape) names its transfer and only the id of its balance
    transaction (docs.stripe.com/api/events/object, docs.stripe.com/api/charges/object)."""
    charge = {
        **stripe_object(relay, "/v1/charges/py_destination"),
        "id": f"py_destination_{payout.id}",
        "source_transfer": payout.reference,
        "balance_transaction": balance_transaction,
        "transfer_group": None,
    }
    event = stripe_event("charge.updated", charge)
    event["account"] = "acct_portugal"
    event["data"]["previous_attributes"] = {"balance_transaction": None}
    return event


def test_stripes_rate_is_recorded_from_the_charge_updated_webhook_once_and_the_outbox_read_then_finds_it(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _stripe_group(session, market)
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))

    class GatewayNotBookedYet(StripeGateway):
        def destination_payment(self, payment_id: str, account_id: str) -> dict[str, Any]:
            return {**super().destination_payment(payment_id, account_id), "balance_transaction": None}

    not_yet = GatewayNotBookedYet("sk_test_loom", api_base=stripe_relay.url, network_retries=0)
    assert payouts.send_transfer(session, lambda: not_yet, payout.id).startswith("sent as tr_")
    session.expire_all()
    assert payout.exchange_rate is None and _rate_reads(session) == [str(payout.id)]

    # Stripe has not booked it yet either when it first tells of the payment: nothing is asked, nothing recorded.
    answer = deliver(client, _charge_updated(stripe_relay, payout, None))
    assert (
        answer.status_code == 200 and answer.json["outcome"] == f"{payout.reference} not booked yet; read again from the outbox"
    )

    # Then Stripe books it and says so: the webhook reads the payment as the group's account, with Stripe's rate.
    real = StripeGateway.destination_payment
    asked: list[tuple[str, str]] = []

    def converting(self: StripeGateway, payment_id: str, account_id: str) -> dict[str, Any]:
        asked.append((payment_id, account_id))
        # The real call (Stripe's shape); stripe-mock's fixture names neither this transfer nor a rate, Stripe would.
        read = real(self, payment_id, account_id)
        return {**read, "source_transfer": payout.reference, "balance_transaction": RECORDED_BALANCE_TRANSACTION}

    monkeypatch.setattr(StripeGateway, "destination_payment", converting)
    event = _charge_updated(stripe_relay, payout, RECORDED_BALANCE_TRANSACTION["id"])
    answer = deliver(client, event)
    assert answer.status_code == 200 and answer.json["outcome"] == "arrived as 1750.85 EUR at 0.9215"
    assert asked == [(f"py_destination_{payout.id}", "acct_portugal")]
    session.expire_all()
    assert (payout.sent_amount, payout.sent_currency, payout.exchange_rate) == (Decimal("1750.85"), "EUR", Decimal("0.9215"))
    assert deliver(client, event).json["outcome"] == "duplicate: already processed"  # the same event again: once
    assert rates.fill_rate(session, lambda: not_yet, payout.id) == "nothing to read"  # the outbox fallback finds it done
    as_(client, market["portugal_admin"].user.email)
    assert "arrived in your Stripe account as <strong>€1,750.85</strong>" in text_of(client.get("/manage/payouts"))

    # A charge of the marketplace's own (no account, no transfer) is not read again.
    before = len(asked)
    own = stripe_event("charge.updated", stripe_object(stripe_relay, "/v1/charges/ch_own"))
    assert deliver(client, own).json["outcome"] == "not a transfer's payment on a group's account" and len(asked) == before
