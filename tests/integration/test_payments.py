"""Paying invoices, paying groups out and refunding, against stripe-mock (through a fault-injecting relay)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from marketplace.billing.services import set_sales_tax
from marketplace.billing.taxes import TaxRule
from marketplace.bootstrap import worker_for
from marketplace.cli import main
from marketplace.orders.models import OrderStatus
from marketplace.outbox.models import OutboxMessage
from payments import payouts
from payments.gateway import StripeGateway
from payments.models import PayoutAccount, StripeEvent
from payments.refunds import request_refund
from tests import factories
from tests.stripe_proxy import StripeRelay
from tests.web import hidden_fields, sign_in, submit, text_of

WEBHOOK_SECRET = "whsec_loom_test_secret"


@pytest.fixture
def stripe_relay(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeRelay]:
    upstream = os.environ.get("LOOM_TEST_STRIPE_URL")
    if not upstream:
        pytest.fail("LOOM_TEST_STRIPE_URL is not set: run the tests with `make test`, which starts stripe-mock")
    relay = StripeRelay(upstream)
    for key, value in {
        "STRIPE_SECRET_KEY": "sk_test_loom",
        "STRIPE_API_BASE": relay.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_NETWORK_RETRIES": 0,
        "STRIPE_TIMEOUT_SECONDS": 5.0,
        "PLATFORM_FEE_PERCENT": 5.0,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield relay
    relay.close()


@pytest.fixture
def market(session: Session) -> dict[str, Any]:
    """A buyer, a Kenyan group (recorded payouts) and a Portuguese group (Stripe Connect), each with a confirmed order."""
    buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
    kenya = factories.producer_group(session, name="Machakos Sisal Weavers", country="KE")
    portugal = factories.producer_group(session, name="Arraiolos Rug Makers", country="PT")
    market = {
        "buyer": buyer,
        "kenya": kenya,
        "portugal": portugal,
        "kenya_admin": factories.member_of(session, kenya, role=Role.ADMIN),
        "kenya_owner": factories.member_of(session, kenya, role=Role.OWNER),
        "portugal_admin": factories.member_of(session, portugal, role=Role.ADMIN),
        "operator": factories.user(session, operator=True),
    }
    market["kenya_order"] = factories.accepted_order(session, kenya, buyer, quantity=400, unit_price="9.00")
    market["portugal_order"] = factories.accepted_order(
        session, portugal, buyer, quantity=100, unit_price="40.00", category="textiles.rugs"
    )
    session.commit()
    return market


def deposit(session: Session, order) -> Invoice:  # type: ignore[no-untyped-def]
    return session.scalar(select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == "deposit"))


def as_(client: FlaskClient, email: str) -> FlaskClient:
    submit(client, "/login", {}, action="/logout")
    sign_in(client, email)
    return client


def pay(client: FlaskClient, invoice: Invoice):  # type: ignore[no-untyped-def]
    return submit(client, f"/invoices/{invoice.id}", {}, action=f"/invoices/{invoice.id}/pay")


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's signing scheme: HMAC-SHA256 of "<t>.<body>" with the endpoint's secret."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + payload, hashlib.sha256).hexdigest()}"


def deliver(client: FlaskClient, event: dict[str, Any], **sign_args: Any):  # type: ignore[no-untyped-def]
    payload = json.dumps(event).encode()
    return client.post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, **sign_args)},
    )


_event_ids = iter(range(1, 10**6))


def stripe_event(kind: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    return {
        "id": f"evt_test_{next(_event_ids)}_{int(time.time() * 1000)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }


def stripe_object(relay: StripeRelay, path: str) -> dict[str, Any]:
    """The object as stripe-mock serves it (Stripe's real shape), to build events from."""
    return requests.get(f"{relay.upstream}{path}", auth=("sk_test_loom", ""), timeout=10).json()


def new_intent(relay: StripeRelay, payment: Payment) -> dict[str, Any]:
    """A PaymentIntent made at stripe-mock for the payment (a fresh id each time), with the metadata Loom sets."""
    made = requests.post(
        f"{relay.upstream}/v1/payment_intents",
        auth=("sk_test_loom", ""),
        timeout=10,
        data={"amount": int(payment.amount * 100), "currency": payment.currency.lower()},
    ).json()
    return {**made, "metadata": {"loom_payment": str(payment.id), "loom_invoice": str(payment.invoice_id)}}


def completed_checkout(relay: StripeRelay, payment: Payment, **changes: Any) -> dict[str, Any]:
    """The checkout.session.completed object Stripe sends once the buyer has paid."""
    checkout = stripe_object(relay, f"/v1/checkout/sessions/{payment.checkout_ref}")
    return {
        **checkout,
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": new_intent(relay, payment)["id"],
        "metadata": {"loom_payment": str(payment.id), "loom_invoice": str(payment.invoice_id)},
        **changes,
    }


def paid_deposit(client: FlaskClient, session: Session, relay: StripeRelay, market: dict[str, Any], order_key: str) -> Payment:
    """The buyer pays the order's deposit and Stripe reports the checkout complete."""
    invoice = deposit(session, market[order_key])
    as_(client, market["buyer"].user.email)
    assert pay(client, invoice).status_code == 303
    payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice.id))
    assert deliver(client, stripe_event("checkout.session.completed", completed_checkout(relay, payment))).status_code == 200
    session.expire_all()
    return payment


def paid_in_another_tab(client: FlaskClient, session: Session, relay: StripeRelay, first: Payment) -> tuple[Payment, str]:
    """An older checkout page of the same invoice, left open in another tab, is paid too; returns it and what Loom did."""
    second = Payment(
        invoice_id=first.invoice_id,
        attempt=2,
        amount=first.amount,
        currency=first.currency,
        idempotency_key=f"k-second-tab-{first.id}",
        checkout_ref=f"cs_test_second_tab_{first.id}",
    )
    session.add(second)
    session.commit()
    checkout = {
        "id": second.checkout_ref,
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": new_intent(relay, second)["id"],
        "metadata": {"loom_payment": str(second.id)},
    }
    return second, deliver(client, stripe_event("checkout.session.completed", checkout)).get_json()["outcome"]


# --- the buyer pays ---------------------------------------------------------------------------------------


def test_buyer_pays_the_deposit_on_stripe_checkout_and_a_double_click_starts_one_payment(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    invoice = deposit(session, market["kenya_order"])
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount == Decimal("1800.00")
    as_(client, market["buyer"].user.email)
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200 and "Pay $1,800.00 by card" in text_of(page)

    first, second = pay(client, invoice), pay(client, invoice)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location and first.location.startswith("https://checkout.stripe.com/")
    [payment] = session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert payment.status == PaymentStatus.PENDING and payment.checkout_ref.startswith("cs_")
    [create] = stripe_relay.calls("POST", "/v1/checkout/sessions")
    assert create.idempotency_key == payment.idempotency_key
    assert create.form["line_items[0][price_data][unit_amount]"] == ["180000"]
    assert create.form["payment_intent_data[transfer_group]"] == [market["kenya_order"].number]
    assert create.form["metadata[loom_payment]"] == [str(payment.id)]
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.OPEN  # only Stripe's word makes it paid


def test_only_the_buyer_pays_and_other_organizations_see_nothing(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    invoice = deposit(session, market["kenya_order"])
    stranger = factories.buyer(session, name="Casa Verde")
    session.commit()
    as_(client, stranger.user.email)
    assert client.get(f"/invoices/{invoice.id}").status_code == 404
    as_(client, market["kenya_admin"].user.email)
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200 and "by card" not in text_of(page)  # the group sees its invoice, without a pay button
    assert pay(client, invoice).status_code == 404
    assert stripe_relay.calls("POST", "/v1/checkout/sessions") == []


def test_stripe_unreachable_at_payment_time_charges_nothing_and_the_retry_sends_the_same_key(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    invoice = deposit(session, market["kenya_order"])
    as_(client, market["buyer"].user.email)
    stripe_relay.mode = "down"
    response = pay(client, invoice)
    assert response.status_code == 302
    assert "not answering right now, so nothing was charged" in text_of(client.get(response.location))
    [payment] = session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert payment.status == PaymentStatus.PENDING and payment.checkout_ref is None
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.OPEN

    stripe_relay.mode = "pass"
    assert pay(client, invoice).status_code == 303
    tries = stripe_relay.calls("POST", "/v1/checkout/sessions")
    assert len(tries) == 2 and tries[0].idempotency_key == tries[1].idempotency_key == payment.idempotency_key
    assert session.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice.id)) == 1


def test_a_crash_between_stripes_answer_and_the_commit_is_retried_with_the_same_key(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    invoice = deposit(session, market["kenya_order"])
    as_(client, market["buyer"].user.email)

    def crash_once(db_session: Session, flush_context: Any, instances: Any) -> None:
        if any(isinstance(o, Payment) and o.checkout_ref for o in db_session.dirty):
            event.remove(Session, "before_flush", crash_once)
            raise RuntimeError("the process died after Stripe answered")

    event.listen(Session, "before_flush", crash_once)
    app.testing, propagate = False, app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert pay(client, invoice).status_code == 500
    finally:
        app.testing, app.config["PROPAGATE_EXCEPTIONS"] = True, propagate
        if event.contains(Session, "before_flush", crash_once):
            event.remove(Session, "before_flush", crash_once)
    [payment] = session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert payment.checkout_ref is None  # Stripe made a session; Loom lost the answer

    assert pay(client, invoice).status_code == 303
    tries = stripe_relay.calls("POST", "/v1/checkout/sessions")
    # Stripe replays the first answer for a repeated key (stripe-mock does not keep state, so the key is what we can check).
    assert len(tries) == 2 and tries[0].idempotency_key == tries[1].idempotency_key
    session.refresh(payment)
    assert payment.checkout_ref is not None
    assert session.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice.id)) == 1


# --- webhooks ---------------------------------------------------------------------------------------------


def test_checkout_completed_marks_the_invoice_paid_once_and_plans_a_recorded_payout_for_kenya(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    assert payment.status == PaymentStatus.SUCCEEDED and payment.invoice.status == InvoiceStatus.PAID
    [payout] = session.scalars(select(Payout).where(Payout.invoice_id == payment.invoice_id)).all()
    assert (payout.method, payout.status, payout.fee, payout.amount) == (
        PayoutMethod.MOBILE_MONEY,
        PayoutStatus.PENDING,
        Decimal("90.00"),
        Decimal("1710.00"),
    )
    assert (
        session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "payments.transfer_payout"))
        == 0
    )

    # The same event again (Stripe retries until it sees a 2xx) changes nothing.
    again = session.scalars(select(StripeEvent)).one()
    replay = stripe_event("checkout.session.completed", completed_checkout(stripe_relay, payment))
    replay["id"] = again.id
    response = deliver(client, replay)
    assert response.status_code == 200 and response.get_json()["outcome"].startswith("duplicate")
    assert session.scalar(select(func.count()).select_from(Payout)) == 1
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_reordered_events_never_move_a_paid_invoice_back(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    invoice = deposit(session, market["kenya_order"])
    as_(client, market["buyer"].user.email)
    pay(client, invoice)
    payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice.id))
    now = int(time.time())
    intent = new_intent(stripe_relay, payment)
    declined = {**intent, "status": "requires_payment_method", "last_payment_error": {"message": "Your card was declined."}}
    succeeded = {**intent, "status": "succeeded", "last_payment_error": None}
    # The buyer's first card was declined (t-60), the second went through (t-30); Stripe delivers them the other way round.
    assert deliver(client, stripe_event("payment_intent.succeeded", succeeded, created=now - 30)).status_code == 200
    late = deliver(client, stripe_event("payment_intent.payment_failed", declined, created=now - 60))
    assert late.status_code == 200 and "ignored" in late.get_json()["outcome"]
    session.expire_all()
    assert payment.status == PaymentStatus.SUCCEEDED and invoice.status == InvoiceStatus.PAID

    # A failure then a newer processing event (another attempt by bank debit) is followed; older news is not.
    other = deposit(session, market["portugal_order"])
    pay(client, other)
    second = session.scalar(select(Payment).where(Payment.invoice_id == other.id))
    intent2 = new_intent(stripe_relay, second)
    deliver(client, stripe_event("payment_intent.processing", {**intent2, "status": "processing"}, created=now - 10))
    deliver(
        client,
        stripe_event(
            "payment_intent.payment_failed",
            {**intent2, "status": "requires_payment_method", "last_payment_error": {"message": "Declined"}},
            created=now - 20,
        ),
    )
    session.expire_all()
    assert second.status == PaymentStatus.PROCESSING and other.status == InvoiceStatus.PROCESSING


def test_unknown_events_are_recorded_and_ignored(client: FlaskClient, session: Session, stripe_relay: StripeRelay) -> None:
    response = deliver(client, stripe_event("customer.created", {"id": "cus_123", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"].startswith("ignored")
    assert session.scalars(select(StripeEvent)).one().type == "customer.created"


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "stale timestamp", "no header", "body changed"],
)
def test_webhooks_with_a_bad_signature_are_refused_and_change_nothing(
    case: str, client: FlaskClient, session: Session, stripe_relay: StripeRelay
) -> None:
    event_ = stripe_event("customer.created", {"id": "cus_123", "object": "customer"})
    payload = json.dumps(event_).encode()
    header = {
        "wrong secret": sign(payload, secret="whsec_someone_else"),
        "stale timestamp": sign(payload, timestamp=int(time.time()) - 3600),
        "no header": "",
        "body changed": sign(payload.replace(b"cus_123", b"cus_999")),
    }[case]
    response = client.post(
        "/payments/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_webhooks_are_refused_while_no_secret_is_configured(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)
    response = client.post("/payments/stripe/webhook", data=b"{}", content_type="application/json")
    assert response.status_code == 503 and "LOOM_STRIPE_WEBHOOK_SECRET" in response.get_json()["detail"]


# --- payouts ---------------------------------------------------------------------------------------------


def test_a_group_where_stripe_pays_out_onboards_and_receives_a_transfer_under_the_orders_transfer_group(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    as_(client, market["portugal_admin"].user.email)
    assert "Set up payouts with Stripe" in text_of(client.get("/manage/payouts"))
    started = submit(client, "/manage/payouts", {}, action="/manage/payouts/stripe")
    assert started.status_code == 303 and started.location.startswith("https://")  # Stripe's hosted onboarding
    [created] = stripe_relay.calls("POST", "/v1/accounts")
    assert created.form["type"] == ["express"] and created.form["country"] == ["PT"] and created.idempotency_key
    assert client.get("/manage/payouts/stripe/return").status_code == 302
    account = session.get(PayoutAccount, market["portugal"].id)
    assert account.stripe_account_id.startswith("acct_") and account.ready  # stripe-mock reports the transfers capability active

    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    assert (payout.method, payout.status, payout.amount, payout.fee) == (
        PayoutMethod.STRIPE_TRANSFER,
        PayoutStatus.PENDING,
        Decimal("1900.00"),
        Decimal("100.00"),
    )
    worker_for(app).drain()
    session.expire_all()
    assert payout.status == PayoutStatus.SENT and payout.reference.startswith("tr_")
    [transfer] = stripe_relay.calls("POST", "/v1/transfers")
    assert transfer.form["amount"] == ["190000"] and transfer.form["destination"] == [account.stripe_account_id]
    assert (
        transfer.form["transfer_group"] == [market["portugal_order"].number]
        and transfer.idempotency_key == payout.idempotency_key
    )
    assert transfer.form["source_transaction"][0].startswith("ch_")
    as_(client, market["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "$1,900.00" in page and payout.reference in page


def test_a_kenyan_group_gives_mobile_money_details_the_operator_records_the_payout_and_the_group_confirms(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay, engine
) -> None:  # type: ignore[no-untyped-def]
    as_(client, market["kenya_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "Stripe does not pay out to Kenya" in page and "Only an owner of the group can set or change where payouts go" in page
    refused = client.post(
        "/manage/payouts/details",
        data={
            **hidden_fields(client, "/manage/payouts"),
            "method": "mobile_money",
            "provider": "M-Pesa",
            "account_name": "Someone Else",
            "number": "+254 700 000 001",
        },
    )
    assert refused.status_code == 403 and session.get(PayoutAccount, market["kenya"].id) is None
    as_(client, market["kenya_owner"].user.email)
    bad = submit(
        client,
        "/manage/payouts",
        {"method": "mobile_money", "provider": "M-Pesa", "account_name": "", "number": "07"},
        action="/manage/payouts/details",
    )
    assert bad.status_code == 422
    saved = submit(
        client,
        "/manage/payouts",
        {"method": "mobile_money", "provider": "M-Pesa", "account_name": "Machakos Sisal Weavers", "number": "+254 712 345 678"},
        action="/manage/payouts/details",
    )
    assert saved.status_code == 302
    account = session.get(PayoutAccount, market["kenya"].id)
    assert account.details_hint == "M-Pesa ···5678" and "712" not in account.details_secret  # encrypted at rest

    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    as_(client, market["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert "$1,710.00 to <bdi>Machakos Sisal Weavers</bdi>" in desk and "+254 712 345 678" in desk
    recorded = submit(
        client,
        "/operator/payouts",
        {f"p{payout.id}-method": "mobile_money", f"p{payout.id}-reference": "SGH7K2L9QX"},
        action=f"/operator/payouts/{payout.id}/record",
    )
    assert recorded.status_code == 302
    session.expire_all()
    assert (
        payout.status == PayoutStatus.SENT and payout.reference == "SGH7K2L9QX" and payout.recorded_by_id == market["operator"].id
    )

    as_(client, market["kenya_admin"].user.email)
    assert submit(client, "/manage/payouts", {}, action=f"/manage/payouts/{payout.id}/confirm").status_code == 302
    session.expire_all()
    assert payout.status == PayoutStatus.CONFIRMED and payout.confirmed_by_id == market["kenya_admin"].user_id
    # Another group cannot confirm it.
    as_(client, market["portugal_admin"].user.email)
    assert submit(client, "/manage/payouts", {}, action=f"/manage/payouts/{payout.id}/confirm").status_code == 404


# --- refunds ---------------------------------------------------------------------------------------------


def test_cancelling_a_paid_order_refunds_the_buyer_and_reverses_the_groups_transfer(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    session.add(
        PayoutAccount(
            group_id=market["portugal"].id,
            method=PayoutMethod.STRIPE_TRANSFER,
            stripe_account_id="acct_portugal",
            transfers_active=True,
        )
    )
    session.commit()
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    worker_for(app).drain()
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    assert payout.status == PayoutStatus.SENT

    as_(client, market["portugal_admin"].user.email)
    order = market["portugal_order"]
    submit(client, f"/orders/{order.id}", {"note": "Our wool supplier failed us."}, action=f"/orders/{order.id}/move/cancelled")
    worker_for(app).drain()
    session.expire_all()
    assert order.status == OrderStatus.CANCELLED
    [refund] = session.scalars(select(Refund)).all()
    assert (
        refund.status == RefundStatus.SUCCEEDED and refund.amount == Decimal("2000.00") and refund.provider_ref.startswith("re_")
    )
    assert payment.status == PaymentStatus.REFUNDED and payment.invoice.status == InvoiceStatus.REFUNDED
    assert payout.status == PayoutStatus.REVERSED
    [refund_call] = stripe_relay.calls("POST", "/v1/refunds")
    assert refund_call.form["payment_intent"] == [payment.provider_ref] and refund_call.idempotency_key == refund.idempotency_key
    assert len(stripe_relay.calls("POST", f"/v1/transfers/{payout.reference}/reversals")) == 1


def test_cancelling_an_unpaid_order_voids_its_invoice_and_a_late_payment_is_refunded(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    order = market["kenya_order"]
    invoice = deposit(session, order)
    as_(client, market["buyer"].user.email)
    pay(client, invoice)  # the buyer opened Stripe's page, then the order was called off
    submit(client, f"/orders/{order.id}", {"note": "We found stock elsewhere."}, action=f"/orders/{order.id}/move/cancelled")
    session.expire_all()
    assert invoice.status == InvoiceStatus.VOID
    payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice.id))
    deliver(client, stripe_event("checkout.session.completed", completed_checkout(stripe_relay, payment)))
    worker_for(app).drain()
    session.expire_all()
    assert payment.status == PaymentStatus.REFUNDED and invoice.status == InvoiceStatus.REFUNDED
    assert session.scalar(select(func.count()).select_from(Payout)) == 0  # nothing was paid out for it


def test_reconcile_repairs_what_a_lost_webhook_left_behind_and_trusts_stripe_over_nothing(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    # A refund Stripe accepted whose refund.updated webhook never came.
    refund = Refund(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        provider_ref="re_lost_webhook",
        idempotency_key="k-lost",
    )
    # A checkout still open at Stripe: reconcile must not call it paid.
    other = deposit(session, market["portugal_order"])
    session.add(refund)
    session.commit()
    as_(client, market["buyer"].user.email)
    pay(client, other)

    result = CliRunner().invoke(main, ["payments", "reconcile", "--days", "2"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "repaired" in result.output
    session.expire_all()
    assert refund.status == RefundStatus.SUCCEEDED and payment.status == PaymentStatus.REFUNDED
    assert other.status == InvoiceStatus.OPEN
    assert stripe_relay.calls("GET", "/v1/refunds/re_lost_webhook") and stripe_relay.calls("GET", "/v1/checkout/sessions/")

    stripe_relay.mode = "down"
    down = CliRunner().invoke(main, ["payments", "reconcile"], obj=ScriptInfo(create_app=lambda: app))
    assert down.exit_code == 1 and "did not answer" in down.output


def test_account_updates_are_reread_from_stripe_because_they_race_each_other(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    session.add(
        PayoutAccount(group_id=market["portugal"].id, method=PayoutMethod.STRIPE_TRANSFER, stripe_account_id="acct_portugal")
    )
    session.commit()
    # An older update (transfers still inactive) delivered last: Stripe's current account decides.
    stale = {**stripe_object(stripe_relay, "/v1/accounts/acct_portugal"), "capabilities": {"transfers": "inactive"}}
    response = deliver(client, stripe_event("account.updated", stale, created=int(time.time()) - 600))
    assert response.status_code == 200 and "can receive transfers" in response.get_json()["outcome"]
    assert stripe_relay.calls("GET", "/v1/accounts/acct_portugal")
    session.expire_all()
    assert session.get(PayoutAccount, market["portugal"].id).ready


def test_an_invoice_paid_twice_returns_the_second_payment_and_keeps_the_groups_payout(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    first = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    second, outcome = paid_in_another_tab(client, session, stripe_relay, first)
    assert "second payment of a paid invoice" in outcome
    worker_for(app).drain()
    session.expire_all()
    assert second.status == PaymentStatus.REFUNDED and first.status == PaymentStatus.SUCCEEDED
    assert first.invoice.status == InvoiceStatus.PAID
    payout = session.scalars(select(Payout)).one()
    assert payout.status == PayoutStatus.PENDING and payout.amount == Decimal("1710.00")
    [refund] = stripe_relay.calls("POST", "/v1/refunds")
    assert refund.form["payment_intent"] == [second.provider_ref]


# --- refunds by balance ----------------------------------------------------------------------------------


def dashboard_refund(client: FlaskClient, relay: StripeRelay, payment: Payment, cents: int) -> None:
    """A refund made by hand in the Stripe dashboard, as Stripe reports it (refund.created)."""
    session_refund = {
        **stripe_object(relay, "/v1/refunds/re_dashboard"),
        "id": f"re_dashboard_{payment.id}_{cents}",
        "amount": cents,
        "currency": payment.currency.lower(),
        "payment_intent": payment.provider_ref,
        "status": "succeeded",
        "metadata": {},
    }
    assert deliver(client, stripe_event("refund.created", session_refund)).status_code == 200


def test_a_partial_dashboard_refund_then_a_cancellation_refunds_the_rest_and_only_then_reverses_the_payout(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    assert payment.amount == Decimal("1800.00")
    dashboard_refund(client, stripe_relay, payment, 30000)  # 300.00 given back by hand
    session.expire_all()
    assert payment.invoice.status == InvoiceStatus.PAID and payment.status == PaymentStatus.SUCCEEDED
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    assert (payout.status, payout.gross, payout.fee, payout.amount) == (
        PayoutStatus.PENDING,
        Decimal("1500.00"),
        Decimal("75.00"),
        Decimal("1425.00"),
    )

    as_(client, market["kenya_admin"].user.email)
    order = market["kenya_order"]
    submit(client, f"/orders/{order.id}", {"note": "Drought: no sisal this season."}, action=f"/orders/{order.id}/move/cancelled")
    session.expire_all()
    assert payout.status == PayoutStatus.PENDING and payout.note.startswith("Held")  # not reversed before the money is back
    worker_for(app).drain()
    session.expire_all()
    [call] = stripe_relay.calls("POST", "/v1/refunds")
    assert call.form["amount"] == ["150000"]  # the rest, never the whole 1,800 again
    refunds = session.scalars(select(Refund).order_by(Refund.id)).all()
    assert [(r.amount, r.status) for r in refunds] == [
        (Decimal("300.00"), RefundStatus.SUCCEEDED),
        (Decimal("1500.00"), RefundStatus.SUCCEEDED),
    ]
    assert call.idempotency_key == refunds[1].idempotency_key
    assert payment.status == PaymentStatus.REFUNDED and payment.invoice.status == InvoiceStatus.REFUNDED
    assert payout.status == PayoutStatus.REVERSED


def test_a_failed_refund_is_shown_to_the_operator_who_tries_it_again_under_a_new_key(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    with session.begin_nested():
        refund = request_refund(session, session.get(Invoice, payment.invoice_id).payments[0], reason="Cancelled.")
        refund.provider_ref = "re_will_fail"
    session.commit()
    failed = {
        **stripe_object(stripe_relay, "/v1/refunds/re_will_fail"),
        "id": "re_will_fail",
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
        "amount": 180000,
        "payment_intent": payment.provider_ref,
        "metadata": {"loom_refund": str(refund.id)},
    }
    assert deliver(client, stripe_event("refund.failed", failed)).status_code == 200
    session.expire_all()
    assert refund.status == RefundStatus.FAILED and payment.status == PaymentStatus.SUCCEEDED

    as_(client, market["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert "Refunds that failed" in desk and "expired_or_canceled_card" in desk
    response = submit(client, "/operator/payouts", {}, action=f"/operator/refunds/{refund.id}/retry")
    assert response.status_code == 302
    worker_for(app).drain()
    session.expire_all()
    retried = session.scalars(select(Refund).where(Refund.id != refund.id)).one()
    assert retried.amount == Decimal("1800.00") and retried.status == RefundStatus.SUCCEEDED
    assert retried.idempotency_key != refund.idempotency_key
    assert payment.status == PaymentStatus.REFUNDED
    assert "Refunds that failed" not in text_of(client.get("/operator/payouts"))


def test_the_operator_refunds_part_of_a_paid_invoice_with_a_reason_and_the_groups_payout_shrinks(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    as_(client, market["operator"].email)
    invoice_id = payment.invoice_id
    too_much = submit(
        client,
        f"/operator/invoices/{invoice_id}",
        {"amount": "1800.01", "reason": "Damaged"},
        action=f"/operator/invoices/{invoice_id}/refund",
    )
    assert too_much.status_code == 422 and "At most $1,800.00" in text_of(too_much)
    no_reason = submit(
        client,
        f"/operator/invoices/{invoice_id}",
        {"amount": "200", "reason": ""},
        action=f"/operator/invoices/{invoice_id}/refund",
    )
    assert no_reason.status_code == 422
    form = {
        **hidden_fields(client, f"/operator/invoices/{invoice_id}"),
        "amount": "200.00",
        "reason": "20 baskets arrived crushed",
    }
    done = client.post(f"/operator/invoices/{invoice_id}/refund", data=form)
    assert done.status_code == 302
    again = client.post(f"/operator/invoices/{invoice_id}/refund", data=form)  # the same form sent twice: one refund
    assert again.status_code == 302
    worker_for(app).drain()
    session.expire_all()
    [refund] = session.scalars(select(Refund)).all()
    assert refund.amount == Decimal("200.00") and refund.status == RefundStatus.SUCCEEDED and "crushed" in refund.reason
    assert stripe_relay.calls("POST", "/v1/refunds")[0].form["amount"] == ["20000"]
    assert payment.status == PaymentStatus.SUCCEEDED and payment.invoice.status == InvoiceStatus.PAID
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice_id))
    assert (payout.gross, payout.fee, payout.amount) == (Decimal("1600.00"), Decimal("80.00"), Decimal("1520.00"))


def test_cancelling_an_order_paid_twice_refunds_both_payments_once_each(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    first = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    second, _ = paid_in_another_tab(client, session, stripe_relay, first)
    as_(client, market["kenya_admin"].user.email)
    order = market["kenya_order"]
    submit(client, f"/orders/{order.id}", {"note": "Drought."}, action=f"/orders/{order.id}/move/cancelled")
    worker_for(app).drain()
    session.expire_all()
    calls = stripe_relay.calls("POST", "/v1/refunds")
    assert sorted(c.form["payment_intent"][0] for c in calls) == sorted([first.provider_ref, second.provider_ref])
    assert all(c.form["amount"] == ["180000"] for c in calls)
    assert first.status == PaymentStatus.REFUNDED and second.status == PaymentStatus.REFUNDED
    assert first.invoice.status == InvoiceStatus.REFUNDED
    assert session.scalars(select(Payout)).one().status == PayoutStatus.REVERSED


# --- Stripe's 24-hour idempotency window ------------------------------------------------------------------


def test_a_retried_checkout_is_rebuilt_from_the_attempt_not_from_whoever_clicks_again(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    colleague = factories.buyer(session, name="unused", role=Role.ADMIN, email="colleague@example.org")
    colleague.organization_id = market["buyer"].organization_id
    session.commit()
    invoice = deposit(session, market["kenya_order"])
    as_(client, market["buyer"].user.email)
    stripe_relay.mode = "down"
    pay(client, invoice)
    stripe_relay.mode = "pass"
    as_(client, "colleague@example.org")
    assert pay(client, invoice).status_code == 303
    first, second = stripe_relay.calls("POST", "/v1/checkout/sessions")
    assert first.idempotency_key == second.idempotency_key
    assert first.form == second.form and second.form["customer_email"] == [market["buyer"].user.email]


class GatewayThatMadeTheTransferBefore(StripeGateway):
    """Stripe as it is two days after a transfer whose answer was lost: the key is forgotten, the transfer is there."""

    def __init__(self, earlier: dict[str, Any], **kwargs: Any) -> None:
        super().__init__("sk_test_loom", **kwargs)
        self.earlier = earlier

    def transfers_in_group(self, transfer_group: str) -> list[dict[str, Any]]:
        listed = super().transfers_in_group(transfer_group)  # the real call, so its shape is Stripe's
        return [self.earlier, *listed]


def test_a_transfer_retried_after_stripe_forgot_its_key_is_found_by_its_metadata_not_made_twice(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    session.add(
        PayoutAccount(
            group_id=market["portugal"].id,
            method=PayoutMethod.STRIPE_TRANSFER,
            stripe_account_id="acct_portugal",
            transfers_active=True,
        )
    )
    session.commit()
    payment = paid_deposit(client, session, stripe_relay, market, "portugal_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    earlier = {
        **stripe_object(stripe_relay, "/v1/transfers/tr_earlier"),
        "id": "tr_made_two_days_ago",
        "transfer_group": market["portugal_order"].number,
        "metadata": {"loom_payout": str(payout.id)},
    }
    gateway = GatewayThatMadeTheTransferBefore(earlier, api_base=stripe_relay.url, network_retries=0)
    outcome = payouts.send_transfer(session, lambda: gateway, payout.id)  # it ends its read and commits its record itself
    assert outcome == "sent as tr_made_two_days_ago"
    assert payout.status == PayoutStatus.SENT and payout.reference == "tr_made_two_days_ago"
    assert stripe_relay.calls("GET", "/v1/transfers") and not stripe_relay.calls("POST", "/v1/transfers")


def test_every_transfer_and_refund_is_looked_up_before_it_is_made(
    app: Flask, client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    session.add(
        PayoutAccount(
            group_id=market["portugal"].id,
            method=PayoutMethod.STRIPE_TRANSFER,
            stripe_account_id="acct_portugal",
            transfers_active=True,
        )
    )
    session.commit()
    paid_deposit(client, session, stripe_relay, market, "portugal_order")
    worker_for(app).drain()
    as_(client, market["portugal_admin"].user.email)
    order = market["portugal_order"]
    submit(client, f"/orders/{order.id}", {"note": "Flooded workshop."}, action=f"/orders/{order.id}/move/cancelled")
    worker_for(app).drain()
    paths = [(s.method, s.path.split("?")[0]) for s in stripe_relay.seen]
    assert paths.index(("GET", "/v1/transfers")) < paths.index(("POST", "/v1/transfers"))
    assert paths.index(("GET", "/v1/refunds")) < paths.index(("POST", "/v1/refunds"))


def test_changed_payout_details_hold_recorded_payouts_tell_the_owners_and_the_operator_lifts_the_hold(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    as_(client, market["kenya_owner"].user.email)
    details = {
        "method": "mobile_money",
        "provider": "M-Pesa",
        "account_name": "Machakos Sisal Weavers",
        "number": "+254 712 345 678",
    }
    assert submit(client, "/manage/payouts", details, action="/manage/payouts/details").status_code == 302
    account = session.get(PayoutAccount, market["kenya"].id)
    assert account.held_until is None  # the first details: nothing to hold
    outbox_before = session.scalar(select(func.count()).select_from(OutboxMessage))
    changed = submit(
        client,
        "/manage/payouts",
        {**details, "provider": "Airtel Money", "number": "+254 733 000 111"},
        action="/manage/payouts/details",
    )
    assert changed.status_code == 302
    session.expire_all()
    assert account.held_until is not None and account.details_hint == "Airtel Money ···0111"
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send").order_by(OutboxMessage.id)).all()[-2:]
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) > outbox_before
    assert any("Your payout details were changed" in json.dumps(m.payload) for m in mails)

    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    as_(client, market["operator"].email)
    assert "held until" in text_of(client.get("/operator/payouts"))
    held = submit(
        client,
        "/operator/payouts",
        {f"p{payout.id}-method": "mobile_money", f"p{payout.id}-reference": "SGH7K2L9QX"},
        action=f"/operator/payouts/{payout.id}/record",
    )
    assert held.status_code == 302 and "payouts are held until" in text_of(client.get(held.location))
    session.expire_all()
    assert payout.status == PayoutStatus.PENDING
    assert submit(client, "/operator/payouts", {}, action=f"/operator/groups/{market['kenya'].id}/lift-hold").status_code == 302
    recorded = submit(
        client,
        "/operator/payouts",
        {f"p{payout.id}-method": "mobile_money", f"p{payout.id}-reference": "SGH7K2L9QX"},
        action=f"/operator/payouts/{payout.id}/record",
    )
    assert recorded.status_code == 302
    session.expire_all()
    assert payout.status == PayoutStatus.SENT


def test_a_payout_sent_in_the_groups_currency_records_the_rate_and_the_amount_that_arrived(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    as_(client, market["kenya_owner"].user.email)
    saved = submit(
        client,
        "/manage/payouts",
        {"method": "mobile_money", "provider": "M-Pesa", "account_name": "Machakos Sisal Weavers", "number": "+254 712 345 678"},
        action="/manage/payouts/details",
    )
    assert saved.status_code == 302
    payment = paid_deposit(client, session, stripe_relay, market, "kenya_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    as_(client, market["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert re.search(
        rf'name="p{payout.id}-sent_currency"[^>]*value="KES"', desk
    )  # a Kenyan group is paid in shillings unless it says otherwise
    fields = {
        f"p{payout.id}-method": "mobile_money",
        f"p{payout.id}-reference": "SGH7K2L9QX",
        f"p{payout.id}-sent_currency": "KES",
    }

    refused = submit(client, "/operator/payouts", fields, action=f"/operator/payouts/{payout.id}/record")
    assert "give the rate used (KES for 1 USD)" in text_of(client.get(refused.headers["Location"]))
    session.expire_all()
    assert payout.status == PayoutStatus.PENDING

    recorded = submit(
        client,
        "/operator/payouts",
        {**fields, f"p{payout.id}-exchange_rate": "129.50"},
        action=f"/operator/payouts/{payout.id}/record",
    )
    assert recorded.status_code == 302
    session.expire_all()
    assert (payout.status, payout.sent_currency, payout.exchange_rate, payout.sent_amount) == (
        PayoutStatus.SENT,
        "KES",
        Decimal("129.50"),
        Decimal("221445.00"),
    )  # $1,710.00 × 129.50, in shillings
    as_(client, market["kenya_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    from marketplace.money import format_money

    assert f"sent as <strong>{format_money(Decimal('221445.00'), 'KES')}</strong> at 1 USD = 129.50 KES" in page


def readable(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text as a person reads it: no markup, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text_of(response)))).replace(" ,", ",")


def test_a_group_that_adds_sales_tax_on_top_shows_it_is_paid_the_total_and_keeps_all_of_the_tax(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    """16 % VAT on top of 100 × $9.99: the buyer sees and pays $1,158.84 in two invoices; Loom's fee is on the price only."""
    set_sales_tax(session, market["kenya"].id, TaxRule("VAT", Decimal(16), included=False))
    order = factories.accepted_order(session, market["kenya"], market["buyer"], quantity=100, unit_price="9.99")
    assert (order.total, order.tax_amount, order.tax_name, order.tax_rate) == (Decimal("1158.84"), Decimal("159.84"), "VAT", 16)
    invoice = deposit(session, order)
    assert (invoice.amount, invoice.tax_amount) == (Decimal("579.42"), Decimal("79.92"))  # 499.50 + 16 %
    session.commit()

    as_(client, market["buyer"].user.email)
    page = readable(client.get(f"/orders/{order.id}"))
    assert "Before tax $999.00" in page and "VAT (16 %), added to the prices $159.84" in page
    assert "Total, tax included $1,158.84" in page
    bill = readable(client.get(f"/invoices/{invoice.id}"))
    assert "Before tax $499.50" in bill and "VAT (16 %), added to the prices $79.92" in bill and "Pay $579.42 by card" in bill

    payment = paid_deposit(client, session, stripe_relay, {**market, "taxed": order}, "taxed")
    [create] = stripe_relay.calls("POST", "/v1/checkout/sessions")
    assert create.form["line_items[0][price_data][unit_amount]"] == ["57942"]  # the buyer is charged the tax too
    payout = session.scalar(select(Payout).where(Payout.invoice_id == payment.invoice_id))
    assert (payout.fee, payout.amount) == (Decimal("24.98"), Decimal("554.44"))  # 5 % of 499.50; the group keeps the 79.92 of tax
    mails = {
        m.payload["subject"]: m.payload["body"]
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))
    }
    receipt = next(body for subject, body in mails.items() if subject.startswith(f"Receipt: invoice {invoice.number}"))
    paid_out = next(body for subject, body in mails.items() if subject.startswith(f"Invoice {invoice.number} paid"))
    assert "We received $579.42" in receipt and "It includes $79.92 of VAT (16 %)." in receipt
    assert "After Loom's fee of $24.98, $554.44 is yours" in paid_out and "It includes $79.92 of VAT (16 %)." in paid_out

    as_(client, market["kenya_admin"].user.email)
    for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED):
        submit(client, f"/orders/{order.id}", {"carrier": "Maersk"}, action=f"/orders/{order.id}/move/{to.value}")
    as_(client, market["buyer"].user.email)
    submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/move/{OrderStatus.DELIVERED.value}")
    session.expire_all()
    balance = session.scalar(select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == "balance"))
    assert (balance.amount, balance.tax_amount) == (Decimal("579.42"), Decimal("79.92"))
    assert balance.amount + invoice.amount == order.total


def test_the_quote_acceptance_page_shows_the_tax_on_top_and_the_deposit_stripe_then_charges(
    client: FlaskClient, session: Session, market: dict[str, Any], stripe_relay: StripeRelay
) -> None:
    """333 × $9.99 with 16 % VAT on top: the page before the click shows what the order and its deposit invoice will be."""
    import datetime as dt

    from marketplace.orders.models import Order
    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus

    group, buyer = market["kenya"], market["buyer"]
    set_sales_tax(session, group.id, TaxRule("VAT", Decimal(16), included=False))
    today = group.organization.today()
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Sisal storage baskets",
        category="baskets.storage",
        quantity=333,
        currency="USD",
        needed_by=today + dt.timedelta(weeks=12),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal("9.99"),
        currency="USD",
        quantity=333,
        lead_time_days=20,
        valid_until=today + dt.timedelta(days=10),
        status=QuoteStatus.SUBMITTED,
    )
    session.add_all([rfq, quote])
    session.commit()

    as_(client, buyer.user.email)
    # The compare table the buyer comes from shows the same total, tax included, and what of it is tax.
    [row] = re.findall(r'<tr>\s*<td data-label="Group">.*?</tr>', text_of(client.get(f"/rfqs/{rfq.id}")), re.S)
    row = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row)))
    assert "$3,858.94 for 333 (before tax $3,326.67 + VAT 16 %)" in row, row
    page = readable(client.get(f"/quotes/{quote.id}/accept"))
    # 333 × 9.99 = 3,326.67; 16 % of it 532.27; half of each now: 1,663.34 + 266.13 (Odoo's down payment, rounded per line).
    assert "Unit price $9.99" in page and "Before tax $3,326.67" in page
    assert "VAT (16 %), added to the prices $532.27" in page and "Total, tax included $3,858.94" in page
    assert "You pay a deposit of $1,929.47 (50 %) now; the balance of $1,929.47 is invoiced when the goods arrive." in page
    assert "Confirm the order and the $1,929.47 deposit" in page

    accepted = submit(client, f"/quotes/{quote.id}/accept", {})
    assert accepted.status_code == 302, readable(accepted)
    order = session.scalar(select(Order).where(Order.quote_id == quote.id))
    assert (order.total, order.tax_amount) == (Decimal("3858.94"), Decimal("532.27"))  # what the page said the total was
    invoice = deposit(session, order)
    assert (invoice.amount, invoice.tax_amount) == (Decimal("1929.47"), Decimal("266.13"))  # the deposit the page promised
    payment = paid_deposit(client, session, stripe_relay, {**market, "taxed": order}, "taxed")
    [create] = stripe_relay.calls("POST", "/v1/checkout/sessions")
    assert create.form["line_items[0][price_data][unit_amount]"] == ["192947"]  # and what Stripe charges
    assert payment.amount == Decimal("1929.47")
    # Every other page that shows the order's or the invoice's amount shows the same figures, tax included.
    assert "$3,858.94" in readable(client.get("/orders"))
    as_(client, market["kenya_admin"].user.email)
    assert "$3,858.94" in readable(client.get("/orders"))
    payouts_page = readable(client.get("/manage/payouts"))
    assert "Paid by buyer Fee You get How Status Reference Dates" in payouts_page
    assert (
        f"{invoice.number} $1,929.47 $83.17 $1,846.30" in payouts_page
    )  # 5 % of $1,663.34; the $266.13 of VAT stays the group's
    # The fee rule as it is (5 % of the price before tax), not this payout's fee over its tax-included amount (4.3 %).
    assert (
        "less Loom's fee (5 % of the price before any sales tax, which stays yours), as soon as the money is in." in payouts_page
    )
    as_(client, market["operator"].email)
    desk = readable(client.get(f"/operator/orders/{order.id}"))
    assert "· $3,858.94 ·" in desk and re.search(rf"{invoice.number} · [\w ]+ · \$1,929\.47 ·", desk), desk
