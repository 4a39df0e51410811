"""Loom's fee on invoices paid straight into a group's own account: charged to the group's fee ledger, netted from its
next Stripe payouts (never below zero, the rest carried over, never twice), billed by a statement the operator issues
and marks received; refunds of such payments are due from the group, which marks them sent, and the fee on the
refunded part is credited back. Figures: a 2,000.00 USD deposit at Loom's 5 % fee is a 100.00 USD fee."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.billing.models import (
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from marketplace.bootstrap import worker_for
from marketplace.db import write_transaction
from marketplace.orders.models import OrderStatus
from marketplace.outbox.models import OutboxMessage
from marketplace.secrets import SecretBox
from payments import fees, payouts, refunds
from payments.models import CollectingAccount, FeeEntry, FeeStatement, FeeStatementStatus, PayoutAccount
from payments.settings import Settings
from tests import factories
from tests.integration.test_payments import (  # noqa: F401
    as_,
    dashboard_refund,
    deliver,
    deposit,
    market,
    paid_deposit,
    stripe_event,
    stripe_object,
    stripe_relay,
)
from tests.stripe_proxy import StripeRelay
from tests.web import hidden_fields, submit, text_of

MARKETPLACE = "Loom Marketplace Ltd, IBAN GB33 BUKB 2020 1555 5555 55"


def _fields(client: FlaskClient, page: str, prefix: str) -> dict[str, str]:
    """The hidden tokens (CSRF, one-time submission) of the form with `prefix` on `page`, as a browser would post them."""
    html = client.get(page).get_data(as_text=True)
    found = dict(re.findall(rf'name="{re.escape(prefix)}(csrf_token|submission)"[^>]*value="([^"]+)"', html))
    assert "csrf_token" in found, f"no form {prefix} on {page}"
    return {f"{prefix}{name}": value for name, value in found.items()}


def _owed(session: Session, group_id: int) -> Decimal:
    return sum((amount for _invoice, amount in fees.owed_per_invoice(session, group_id)), Decimal(0))


@pytest.fixture
def portugal(
    app: Flask, session: Session, market: dict[str, Any], stripe_relay: StripeRelay, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:  # noqa: F811
    """The Portuguese group: Stripe Connect ready, and its own collecting account buyers pay into by bank transfer."""
    monkeypatch.setitem(app.config, "BANK_TRANSFER_INSTRUCTIONS", MARKETPLACE)
    group = market["portugal"]
    session.add(
        PayoutAccount(
            group_id=group.id, method=PayoutMethod.STRIPE_TRANSFER, stripe_account_id="acct_portugal", transfers_active=True
        )
    )
    box = SecretBox(app.config["SECRETS_KEY"])
    session.add(
        CollectingAccount(
            group_id=group.id,
            details_secret=box.seal("Millennium BCP\nArraiolos\nPT50 0033 0000 4471"),
            details_hint="Millennium BCP ···4471",
        )
    )
    session.commit()
    return market


def _paid_directly(client: FlaskClient, session: Session, market: dict[str, Any], order_key: str, reference: str) -> Payment:
    """The operator marks the deposit's bank transfer into the group's own account received."""
    invoice = deposit(session, market[order_key])
    as_(client, market["operator"].email)
    page = f"/operator/invoices/{invoice.id}"
    assert (
        submit(client, page, {"amount": str(invoice.amount), "reference": reference}, action=f"{page}/transfer").status_code
        == 302
    )
    session.expire_all()
    return session.scalar(select(Payment).where(Payment.invoice_id == invoice.id))


def _second_order(session: Session, market: dict[str, Any], quantity: int) -> None:
    market["second_order"] = factories.accepted_order(
        session, market["portugal"], market["buyer"], quantity=quantity, unit_price="40.00", category="textiles.rugs"
    )
    session.commit()


def test_a_fee_on_a_direct_payment_is_netted_once_from_the_next_stripe_payout_and_shown_as_a_line(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")
    assert direct.invoice.status == InvoiceStatus.PAID and direct.invoice.amount == Decimal("2000.00")
    assert _owed(session, group.id) == Decimal("100.00")  # 5 % of 2,000.00
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "Fees owed to Loom" in page and "You owe $100.00" in page
    assert f">{direct.invoice.number}</a>: $100.00" in page

    session.delete(session.get(CollectingAccount, group.id))  # the next order is paid by card, through Loom
    _second_order(session, portugal, quantity=50)  # 2,000.00: a deposit of 1,000.00, a fee of 50.00
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.gross, payout.fee, payout.fees_netted, payout.amount) == (
        Decimal("1000.00"),
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("850.00"),
    )
    assert _owed(session, group.id) == 0

    # The payout is planned again (a retried webhook, a reconcile run): nothing is netted twice.
    settings = Settings.from_config(app.config)
    with write_transaction(session):
        assert payouts.plan_payout(session, card.invoice, settings=settings).id == payout.id
        assert fees.net_into_payout(session, payout) == 0
    session.expire_all()
    assert (payout.amount, payout.fees_netted) == (Decimal("850.00"), Decimal("100.00"))
    assert session.scalar(select(func.count(FeeEntry.id)).where(FeeEntry.payout_id == payout.id)) == 1

    worker_for(app).drain()
    [transfer] = stripe_relay.calls("POST", "/v1/transfers")
    assert transfer.form["amount"] == ["85000"]  # what Stripe sends the group: 1,000.00 − 50.00 − 100.00
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert f"Loom fee for invoice {direct.invoice.number} paid directly: −$100.00" in page
    assert "Fees owed to Loom" not in page


def test_a_payout_never_goes_below_zero_the_rest_is_billed_by_a_statement_paid_by_bank_transfer(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # a fee of 100.00 owed
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=2)  # 80.00: a deposit of 40.00, a fee of 2.00, 38.00 for the group
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.amount, payout.fees_netted, payout.status, payout.reference) == (
        Decimal("0.00"),
        Decimal("38.00"),
        PayoutStatus.CONFIRMED,
        "netted",
    )
    worker_for(app).drain()
    assert stripe_relay.calls("POST", "/v1/transfers") == []  # nothing to send
    assert _owed(session, group.id) == Decimal("62.00")  # carried over

    as_(client, portugal["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert "<bdi>Arraiolos Rug Makers</bdi> owes $62.00" in desk
    prefix = f"g{group.id}USD-"
    tokens = _fields(client, "/operator/payouts", prefix)
    action = f"/operator/groups/{group.id}/fee-statement/USD"
    assert client.post(action, data=tokens).status_code == 302
    assert client.post(action, data=tokens).status_code == 302  # the same form twice: one statement
    [statement] = session.scalars(select(FeeStatement)).all()
    assert (statement.amount, statement.status) == (Decimal("62.00"), FeeStatementStatus.ISSUED)
    assert _owed(session, group.id) == 0  # on the statement now, not netted again
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    [billed] = [m for m in mails if statement.number in m["subject"]]
    assert MARKETPLACE in billed["body"] and f"Reference to quote: {statement.number}" in billed["body"]

    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "You owe $62.00" in page and MARKETPLACE in page and f"Reference to quote: <strong>{statement.number}</strong>" in page

    as_(client, portugal["operator"].email)
    prefix = f"s{statement.id}-"
    received = f"/operator/fee-statements/{statement.id}/received"
    today = group.organization.today().isoformat()
    wrong = {
        **_fields(client, "/operator/payouts", prefix),
        f"{prefix}amount": "60.00",
        f"{prefix}reference": "BUKB-88",
        f"{prefix}received_on": today,
    }
    client.post(received, data=wrong)
    session.expire_all()
    assert session.get(FeeStatement, statement.id).status == FeeStatementStatus.ISSUED  # refused: not the statement's amount
    right = {
        **_fields(client, "/operator/payouts", prefix),
        f"{prefix}amount": "62.00",
        f"{prefix}reference": "BUKB-88",
        f"{prefix}received_on": today,
    }
    assert client.post(received, data=right).status_code == 302
    session.expire_all()
    statement = session.get(FeeStatement, statement.id)
    assert (statement.status, statement.reference) == (FeeStatementStatus.RECEIVED, "BUKB-88")
    as_(client, portugal["portugal_admin"].user.email)
    assert "Fees owed to Loom" not in text_of(client.get("/manage/payouts"))


def test_a_refund_of_a_direct_payment_is_due_from_the_group_which_marks_it_sent_and_the_fee_is_credited_back(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")
    invoice_id = direct.invoice_id
    as_(client, portugal["operator"].email)
    page = f"/operator/invoices/{invoice_id}"
    assert submit(client, page, {"amount": "500.00", "reason": "25 rugs faded"}, action=f"{page}/refund").status_code == 302
    worker_for(app).drain()
    session.expire_all()
    [refund] = session.scalars(select(Refund)).all()
    assert refund.status == RefundStatus.PENDING and refund.amount == Decimal("500.00")
    assert stripe_relay.calls("POST", "/v1/refunds") == []  # Loom cannot move money it never held
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    [told] = [m for m in mails if "Refund due" in m["subject"]]
    assert told["to"] == portugal["portugal_admin"].user.email and "MB-5521" in told["body"] and "$500.00" in told["subject"]
    desk = text_of(client.get("/operator/payouts"))
    assert "Refunds due from groups" in desk and "Refunds to send by bank transfer" not in desk

    as_(client, portugal["portugal_admin"].user.email)
    payouts_page = text_of(client.get("/manage/payouts"))
    assert "Send $500.00 back to <bdi>Northwind Home</bdi>" in payouts_page and "<strong>MB-5521</strong>" in payouts_page
    order_page = text_of(client.get(f"/orders/{portugal['portugal_order'].id}"))
    assert "Refund due from you" in order_page and "(their reference MB-5521)" in order_page and "send $500.00 back" in order_page
    prefix = f"r{refund.id}-"
    action = f"/manage/payouts/refunds/{refund.id}/sent"
    today = group.organization.today().isoformat()
    wrong = client.post(
        action,
        data={
            **_fields(client, "/manage/payouts", prefix),
            f"{prefix}amount": "450.00",
            f"{prefix}reference": "MB-OUT-1",
            f"{prefix}sent_on": today,
        },
    )
    assert wrong.status_code == 422 and "$500.00 is due to the buyer" in text_of(wrong) and 'value="MB-OUT-1"' in text_of(wrong)
    sent = {
        **_fields(client, "/manage/payouts", prefix),
        f"{prefix}amount": "500.00",
        f"{prefix}reference": "MB-OUT-1",
        f"{prefix}sent_on": today,
    }
    assert client.post(action, data=sent).status_code == 302
    assert client.post(action, data=sent).status_code == 302  # sent twice: recorded once
    session.expire_all()
    refund = session.get(Refund, refund.id)
    assert refund.status == RefundStatus.SUCCEEDED and refund.sent_on == group.organization.today()
    assert refund.payment.invoice.status == InvoiceStatus.PAID  # 1,500.00 stays paid
    assert _owed(session, group.id) == Decimal("75.00")  # 100.00 − 25.00 given back: 5 % of what the group kept
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice_id))
    assert "recover" not in payout.note  # the group sent it itself: nothing to recover
    assert "Refunds you owe buyers" not in text_of(client.get("/manage/payouts"))

    # The order is called off: the rest (1,500.00, paid − refunded − on its way) is due from the group too.
    order = portugal["portugal_order"]
    submit(client, f"/orders/{order.id}", {"note": "The dye house closed."}, action=f"/orders/{order.id}/move/cancelled")
    worker_for(app).drain()
    session.expire_all()
    assert order.status == OrderStatus.CANCELLED
    rest = session.scalar(select(Refund).where(Refund.status == RefundStatus.PENDING))
    assert rest.amount == Decimal("1500.00")
    as_(client, portugal["operator"].email)  # the group told the Loom team: the operator records it
    prefix = f"r{rest.id}-"
    done = {
        **_fields(client, "/operator/payouts", prefix),
        f"{prefix}amount": "1500.00",
        f"{prefix}reference": "MB-OUT-2",
        f"{prefix}sent_on": today,
    }
    assert client.post(f"/operator/refunds/{rest.id}/group-sent", data=done).status_code == 302
    session.expire_all()
    payment = session.get(Payment, direct.id)
    assert payment.status == PaymentStatus.REFUNDED and payment.invoice.status == InvoiceStatus.REFUNDED
    assert _owed(session, group.id) == 0  # the whole fee given back: 100.00 − 25.00 − 75.00
    payloads = [json.dumps(m.payload) for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    assert any("was sent back to you by bank transfer" in p and portugal["buyer"].user.email in p for p in payloads)


def test_someone_elses_group_cannot_mark_a_refund_sent(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")
    with write_transaction(session):
        refund = refunds.request_refund(session, session.get(Payment, direct.id), reason="Damaged", amount=Decimal("10.00"))
    as_(client, portugal["kenya_admin"].user.email)  # another group's admin, with a valid form of its own
    prefix = f"r{refund.id}-"
    csrf = hidden_fields(client, "/manage/payouts")["csrf_token"]
    answer = client.post(
        f"/manage/payouts/refunds/{refund.id}/sent",
        data={
            f"{prefix}csrf_token": csrf,
            f"{prefix}submission": "a-fresh-token-of-kenya",
            f"{prefix}amount": "10.00",
            f"{prefix}reference": "X-1",
            f"{prefix}sent_on": portugal["kenya"].organization.today().isoformat(),
        },
    )
    assert answer.status_code == 404
    session.expire_all()
    assert session.get(Refund, refund.id).status == RefundStatus.PENDING


def test_a_pending_payout_refunded_below_its_netted_fees_stops_at_zero_and_the_rest_of_the_fee_is_owed_again(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # a fee of 100.00 owed
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=50)  # a card deposit of 1,000.00: 950.00 for the group, 100.00 netted
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.status, payout.amount, payout.fees_netted) == (PayoutStatus.PENDING, Decimal("850.00"), Decimal("100.00"))

    # Before the transfer goes out, 950.00 of the card payment goes back to the buyer (the invoice stays paid).
    dashboard_refund(client, stripe_relay, card, 95000)
    dashboard_refund(client, stripe_relay, card, 95000)  # the same refund reported twice
    session.expire_all()
    payout = session.get(Payout, payout.id)
    # The group keeps 50.00, less Loom's 5 %: 47.50 — all of it taken by the fee; 52.50 of the fee is released.
    assert (payout.gross, payout.fee, payout.fees_netted, payout.amount) == (
        Decimal("50.00"),
        Decimal("2.50"),
        Decimal("47.50"),
        Decimal("0.00"),
    )
    assert (payout.status, payout.reference) == (PayoutStatus.CONFIRMED, "netted")
    assert _owed(session, group.id) == Decimal("52.50")  # owed again: the next payout or a statement takes it
    keys = session.scalars(select(FeeEntry.key).where(FeeEntry.payout_id == payout.id).order_by(FeeEntry.id)).all()
    assert keys[0] == f"netted:{payout.id}:{direct.invoice_id}" and len(keys) == 2 and keys[1].startswith("released:")
    worker_for(app).drain()
    assert stripe_relay.calls("POST", "/v1/transfers") == []  # nothing to send, nothing negative sent
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert f"Loom fee for invoice {direct.invoice.number} paid directly: −$47.50" in page and "You owe $52.50" in page

    # The order is then cancelled and the rest refunded: the payout was never sent, so all the fee is owed again.
    as_(client, portugal["operator"].email)
    with write_transaction(session):
        refunds.request_refund(session, session.get(Payment, card.id), reason="Cancelled.")
    worker_for(app).drain()
    session.expire_all()
    assert session.get(Payment, card.id).status == PaymentStatus.REFUNDED
    payout = session.get(Payout, payout.id)
    assert (payout.amount, payout.fees_netted) == (Decimal("47.50"), Decimal("0.00"))
    assert _owed(session, group.id) == Decimal("100.00")


def test_a_fee_given_back_after_it_was_netted_is_added_to_the_next_stripe_payout_as_a_plus_line(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # 2,000.00 paid directly, fee 100.00
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=50)
    first = paid_deposit(client, session, stripe_relay, portugal, "second_order")  # 100.00 netted from its payout
    worker_for(app).drain()
    assert _owed(session, group.id) == 0

    # 500.00 of the direct payment goes back to the buyer from the group's own account: 25.00 of the fee is given back.
    with write_transaction(session):
        refund = refunds.request_refund(session, session.get(Payment, direct.id), reason="Faded", amount=Decimal("500.00"))
    as_(client, portugal["portugal_admin"].user.email)
    prefix = f"r{refund.id}-"
    sent = {
        **_fields(client, "/manage/payouts", prefix),
        f"{prefix}amount": "500.00",
        f"{prefix}reference": "MB-OUT-1",
        f"{prefix}sent_on": group.organization.today().isoformat(),
    }
    assert client.post(f"/manage/payouts/refunds/{refund.id}/sent", data=sent).status_code == 302
    session.expire_all()
    assert _owed(session, group.id) == Decimal("-25.00")  # Loom owes the group now

    _second_order(session, portugal, quantity=25)  # a card deposit of 500.00: 475.00 for the group, + 25.00
    second = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    payout = session.scalar(select(Payout).where(Payout.invoice_id == second.invoice_id))
    assert (payout.amount, payout.fees_netted) == (Decimal("500.00"), Decimal("-25.00"))
    assert _owed(session, group.id) == 0
    worker_for(app).drain()
    transfer = stripe_relay.calls("POST", "/v1/transfers")[-1]
    assert transfer.form["amount"] == ["50000"]
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert f"Loom fee given back for invoice {direct.invoice.number}: +$25.00" in page
    assert first.invoice_id != second.invoice_id


def test_the_operator_voids_a_statement_with_a_reason_its_fees_are_open_again_and_paid_ones_stay_listed(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # a fee of 100.00 owed
    as_(client, portugal["operator"].email)
    tokens = _fields(client, "/operator/payouts", f"g{group.id}USD-")
    assert client.post(f"/operator/groups/{group.id}/fee-statement/USD", data=tokens).status_code == 302
    [statement] = session.scalars(select(FeeStatement)).all()
    assert _owed(session, group.id) == 0

    prefix = f"v{statement.id}-"
    action = f"/operator/fee-statements/{statement.id}/void"
    client.post(action, data={**_fields(client, "/operator/payouts", prefix), f"{prefix}reason": "  "})
    session.expire_all()
    assert session.get(FeeStatement, statement.id).open  # refused: no reason
    void = {**_fields(client, "/operator/payouts", prefix), f"{prefix}reason": "Wrong bank details on it"}
    assert client.post(action, data=void).status_code == 302
    assert client.post(action, data=void).status_code == 302  # the same form twice: voided once
    session.expire_all()
    statement = session.get(FeeStatement, statement.id)
    assert not statement.open and statement.void_reason == "Wrong bank details on it"
    assert statement.voided_by_id == portugal["operator"].id and statement.voided_at is not None
    assert _owed(session, group.id) == Decimal("100.00")  # back in the open balance
    assert session.scalar(select(func.count(FeeEntry.id)).where(FeeEntry.key.like("voided:%"))) == 1
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    assert any(f"{statement.number} is cancelled" in m["subject"] and "Wrong bank details on it" in m["body"] for m in mails)
    received = f"/operator/fee-statements/{statement.id}/received"

    # A new statement is issued for the same 100.00 and paid: both pages list it with the bank's reference.
    tokens = _fields(client, "/operator/payouts", f"g{group.id}USD-")
    assert client.post(f"/operator/groups/{group.id}/fee-statement/USD", data=tokens).status_code == 302
    second = session.scalar(select(FeeStatement).where(FeeStatement.id != statement.id))
    assert second.amount == Decimal("100.00") and _owed(session, group.id) == 0
    prefix = f"s{second.id}-"
    paid = {
        **_fields(client, "/operator/payouts", prefix),
        f"{prefix}amount": "100.00",
        f"{prefix}reference": "BUKB-91",
        f"{prefix}received_on": group.organization.today().isoformat(),
    }
    assert client.post(f"/operator/fee-statements/{second.id}/received", data=paid).status_code == 302
    assert client.post(received, data=paid).status_code == 302  # the voided one cannot be marked received
    session.expire_all()
    assert session.get(FeeStatement, statement.id).status == FeeStatementStatus.ISSUED and _owed(session, group.id) == 0
    operator = f"<bdi>{portugal['operator'].name}</bdi>"
    session.expire_all()
    second = session.get(FeeStatement, second.id)
    assert second.received_by_id == portugal["operator"].id and second.received_at is not None
    desk = text_of(client.get("/operator/payouts"))
    assert f"statement {second.number}, $100.00, paid on" in desk and "(bank reference BUKB-91)" in desk
    assert f" · marked received by {operator} on " in desk and f"Issued by {operator} on " in desk
    voided = re.search(rf"statement {statement.number}, \$100.00. Voided by {re.escape(operator)} on ([^:<]+): (.+?)</li>", desk)
    assert voided and voided.group(2).startswith("<bdi>Wrong bank details on it</bdi>"), desk
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "Past fee statements" in page and f"Statement {second.number}, $100.00: paid on" in page
    assert (
        f"Statement {statement.number}, $100.00: cancelled by Loom; do not pay it. Voided by {operator} on {voided.group(1)}: "
        "<bdi>Wrong bank details on it</bdi>"
    ) in page


def test_a_fee_is_netted_from_a_mobile_money_payout_the_operator_records_and_shown_on_its_record(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = market["kenya"]  # Stripe does not pay out to Kenya: the operator sends its payouts by M-Pesa
    box = SecretBox(app.config["SECRETS_KEY"])
    session.add(
        PayoutAccount(
            group_id=group.id,
            method=PayoutMethod.MOBILE_MONEY,
            details_secret=box.seal("M-Pesa\nMachakos Sisal Weavers\n+254 712 345 678"),
            details_hint="M-Pesa ···5678",
        )
    )
    session.add(
        CollectingAccount(group_id=group.id, details_secret=box.seal("Equity\nMachakos\n0180"), details_hint="Equity ···0180")
    )
    market["direct_order"] = factories.accepted_order(session, group, market["buyer"], quantity=100, unit_price="9.00")
    session.commit()
    direct = _paid_directly(client, session, market, "direct_order", "EQ-3301")  # 450.00 into the group's account
    assert _owed(session, group.id) == Decimal("22.50")  # 5 % of 450.00

    session.delete(session.get(CollectingAccount, group.id))  # the next deposit is paid by card, through Loom
    session.commit()
    card = paid_deposit(client, session, stripe_relay, market, "kenya_order")  # 1,800.00: 90.00 fee, 1,710.00 due
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.method, payout.status, payout.fee, payout.fees_netted, payout.amount) == (
        PayoutMethod.MOBILE_MONEY,
        PayoutStatus.PENDING,
        Decimal("90.00"),
        Decimal("22.50"),
        Decimal("1687.50"),
    )
    assert _owed(session, group.id) == 0
    with write_transaction(session):  # planned again (a retried webhook): nothing netted twice
        assert fees.net_into_payout(session, payout) == 0

    as_(client, market["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert "$1,687.50 to <bdi>Machakos Sisal Weavers</bdi>" in desk
    assert f"Loom fee for invoice {direct.invoice.number} paid directly: −$22.50" in desk
    recorded = submit(
        client,
        "/operator/payouts",
        {
            f"p{payout.id}-method": "mobile_money",
            f"p{payout.id}-reference": "SGH7K2L9QX",
            f"p{payout.id}-sent_currency": "KES",
            f"p{payout.id}-exchange_rate": "129.50",
        },
        action=f"/operator/payouts/{payout.id}/record",
    )
    assert recorded.status_code == 302
    session.expire_all()
    payout = session.get(Payout, payout.id)
    assert (payout.status, payout.sent_amount, payout.sent_currency) == (PayoutStatus.SENT, Decimal("218531.25"), "KES")
    as_(client, market["kenya_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert f"Loom fee for invoice {direct.invoice.number} paid directly: −$22.50" in page and "Fees owed to Loom" not in page


def test_a_mobile_money_payout_never_goes_below_zero_and_the_rest_of_the_fee_is_carried(
    app: Flask,
    client: FlaskClient,
    session: Session,
    market: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = market["kenya"]
    box = SecretBox(app.config["SECRETS_KEY"])
    session.add(
        CollectingAccount(group_id=group.id, details_secret=box.seal("Equity\nMachakos\n0180"), details_hint="Equity ···0180")
    )
    session.commit()
    _paid_directly(client, session, market, "kenya_order", "EQ-3301")  # 1,800.00 into the group's account: 90.00 owed
    session.delete(session.get(CollectingAccount, group.id))
    market["small_order"] = factories.accepted_order(session, group, market["buyer"], quantity=10, unit_price="9.00")
    session.commit()
    card = paid_deposit(client, session, stripe_relay, market, "small_order")  # 45.00: 2.25 fee, 42.75 for the group
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.method, payout.amount, payout.fees_netted, payout.status, payout.reference) == (
        PayoutMethod.MOBILE_MONEY,
        Decimal("0.00"),
        Decimal("42.75"),
        PayoutStatus.CONFIRMED,
        "netted",
    )
    assert _owed(session, group.id) == Decimal("47.25")  # 90.00 − 42.75: carried to the next payout or a statement
    as_(client, market["operator"].email)
    assert "to <bdi>Machakos Sisal Weavers</bdi>" not in text_of(client.get("/operator/payouts"))  # nothing to send


def test_a_sent_payout_refunded_below_its_netted_fees_puts_the_rest_of_the_fees_back_on_the_ledger_once(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    direct = _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # a fee of 100.00 owed
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=50)  # a card deposit of 1,000.00: 850.00 sent, 100.00 netted
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    worker_for(app).drain()
    session.expire_all()
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert (payout.status, payout.amount, payout.fees_netted) == (PayoutStatus.SENT, Decimal("850.00"), Decimal("100.00"))
    assert _owed(session, group.id) == 0

    # After the transfer went out, 950.00 goes back to the buyer: the group's share is 47.50 (50.00 less 5 %), so only
    # 47.50 of the fee stays netted; 52.50 is owed again, and the 850.00 sent is to recover.
    dashboard_refund(client, stripe_relay, card, 95000)
    dashboard_refund(client, stripe_relay, card, 95000)  # the same refund reported twice
    session.expire_all()
    payout = session.get(Payout, payout.id)
    assert _owed(session, group.id) == Decimal("52.50")
    assert payout.note == (
        "To recover $850.00 from the group: part of the invoice was refunded after this payout was sent. "
        "$52.50 of Loom's fees netted from it are owed again."
    )
    keys = session.scalars(select(FeeEntry.key).where(FeeEntry.payout_id == payout.id).order_by(FeeEntry.id)).all()
    assert len(keys) == 2 and keys[1].startswith(f"released:{payout.id}:{direct.invoice_id}:")
    as_(client, portugal["portugal_admin"].user.email)
    page = text_of(client.get("/manage/payouts"))
    assert "You owe $52.50" in page and f">{direct.invoice.number}</a>: $52.50" in page
    assert f"Loom fee for invoice {direct.invoice.number} paid directly: −$47.50" in page and "To recover $850.00" in page
    as_(client, portugal["operator"].email)
    desk = text_of(client.get("/operator/payouts"))
    assert (
        "<bdi>Arraiolos Rug Makers</bdi> owes $52.50" in desk
        and "$52.50 of Loom&#39;s fees netted from it are owed again" in desk
    )

    # The rest goes back too: nothing of the invoice is the group's, so the whole fee is owed again, still only once.
    dashboard_refund(client, stripe_relay, card, 5000)
    session.expire_all()
    assert _owed(session, group.id) == Decimal("100.00")
    assert session.get(Payout, payout.id).note.startswith("To recover $850.00 from the group: the buyer was refunded in full")


def test_a_small_refund_after_sending_is_recovered_net_of_the_fees_netted_and_releases_nothing(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    _paid_directly(client, session, portugal, "portugal_order", "MB-5521")
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=50)
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    worker_for(app).drain()
    dashboard_refund(client, stripe_relay, card, 10000)  # 100.00 back: the group's share is 855.00 − 100.00 netted
    session.expire_all()
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert payout.note == "To recover $95.00 from the group: part of the invoice was refunded after this payout was sent."
    assert _owed(session, group.id) == 0


def test_a_sent_transfer_stripe_reports_reversed_puts_all_the_fees_netted_from_it_back_on_the_ledger_once(
    app: Flask,
    client: FlaskClient,
    session: Session,
    portugal: dict[str, Any],
    stripe_relay: StripeRelay,  # noqa: F811
) -> None:
    group = portugal["portugal"]
    _paid_directly(client, session, portugal, "portugal_order", "MB-5521")  # a fee of 100.00 owed
    session.delete(session.get(CollectingAccount, group.id))
    _second_order(session, portugal, quantity=50)
    card = paid_deposit(client, session, stripe_relay, portugal, "second_order")
    worker_for(app).drain()
    session.expire_all()
    payout = session.scalar(select(Payout).where(Payout.invoice_id == card.invoice_id))
    assert payout.status == PayoutStatus.SENT and _owed(session, group.id) == 0

    # The transfer is reversed in the Stripe dashboard: the 850.00 is back with Loom, so the 100.00 was never taken.
    reversed_transfer = {
        **stripe_object(stripe_relay, f"/v1/transfers/{payout.reference}"),
        "id": payout.reference,
        "reversed": True,
    }
    assert deliver(client, stripe_event("transfer.reversed", reversed_transfer)).json["outcome"] == "payout reversed"
    assert deliver(client, stripe_event("transfer.updated", reversed_transfer)).json["outcome"] == "payout unchanged"
    session.expire_all()
    assert session.get(Payout, payout.id).status == PayoutStatus.REVERSED
    assert _owed(session, group.id) == Decimal("100.00")  # owed again: the next payout or a statement takes it
    keys = session.scalars(select(FeeEntry.key).where(FeeEntry.key.like(f"released:{payout.id}:%"))).all()
    assert len(keys) == 1 and keys[0].endswith(":reversed")
