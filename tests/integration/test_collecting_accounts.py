"""A producer group's own collecting account: its owners (only) give it, encrypted at rest and told by e-mail; its
invoices then ask buyers to pay into it instead of the marketplace's account, and a transfer the operator marks
received settles the invoice with no payout to send (the group already holds the money)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.billing.models import Invoice, InvoiceStatus, Payout, PayoutMethod, PayoutStatus
from marketplace.outbox.models import OutboxMessage
from payments.collecting import payout_and_account
from payments.models import CollectingAccount
from tests import factories
from tests.integration.test_query_counts import counted
from tests.web import sign_in, submit, text_of

MARKETPLACE = "Loom Marketplace Ltd, IBAN GB33 BUKB 2020 1555 5555 55"
ACCOUNT = {
    "bank": "Equity Bank",
    "account_name": "Machakos Sisal Weavers Cooperative",
    "number": "0180 2993 4471 23",
    "other": "Branch: Machakos, SWIFT EQBLKENA",
}


@pytest.fixture
def parties(app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)  # cards off: bank transfer is the way to pay
    monkeypatch.setitem(app.config, "BANK_TRANSFER_INSTRUCTIONS", MARKETPLACE)
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, name="Machakos Sisal Weavers")
    parties = {
        "buyer": buyer,
        "group": group,
        "owner": factories.member_of(session, group, role=Role.OWNER),
        "admin": factories.member_of(session, group, role=Role.ADMIN),
        "operator": factories.user(session, operator=True),
        "order": factories.accepted_order(session, group, buyer),
    }
    session.commit()
    return parties


def _as(client: FlaskClient, email: str) -> None:
    client.post("/logout", data={})
    sign_in(client, email)


def test_owners_set_the_account_buyers_pay_into_and_the_payment_settles_with_no_payout(
    client: FlaskClient, session: Session, parties: dict
) -> None:
    deposit = session.scalar(select(Invoice).where(Invoice.order_id == parties["order"].id))
    _as(client, parties["buyer"].user.email)
    assert MARKETPLACE in text_of(client.get(f"/invoices/{deposit.id}"))  # none set yet: the marketplace's account

    _as(client, parties["admin"].user.email)  # an admin is not an owner: told so, and refused
    page = text_of(client.get("/manage/payouts"))
    assert (
        "Only an owner of the group can set or change this account" in page and 'action="/manage/payouts/collecting"' not in page
    )
    refused = submit(client, "/manage/payouts", ACCOUNT, action="/manage/payouts/collecting")
    assert refused.status_code == 403 and session.get(CollectingAccount, parties["group"].id) is None

    _as(client, parties["owner"].user.email)
    bad = submit(client, "/manage/payouts", {**ACCOUNT, "number": "12-3"}, action="/manage/payouts/collecting")
    assert bad.status_code == 422 and 'value="Machakos Sisal Weavers Cooperative"' in text_of(bad)  # nothing typed is lost
    typed = {**ACCOUNT, "other": "Branch: Machakos,\nSWIFT EQBLKENA"}  # a line break posted by hand stays one line
    assert submit(client, "/manage/payouts", typed, action="/manage/payouts/collecting").status_code == 302
    account = session.get(CollectingAccount, parties["group"].id)
    assert account.details_hint == "Equity Bank ···7123"
    assert "0180" not in account.details_secret and "Equity" not in account.details_secret  # sealed at rest
    assert "Equity Bank ···7123" in text_of(client.get("/manage/payouts"))
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    told = [m for m in mails if "Buyers now pay you into a new account" in json.dumps(m)]
    assert {m["to"] for m in told} == {parties["owner"].user.email, parties["admin"].user.email}  # every member of the group

    _as(client, parties["buyer"].user.email)
    invoice_page = text_of(client.get(f"/invoices/{deposit.id}"))
    assert (
        "0180 2993 4471 23" in invoice_page
        and "Branch: Machakos, SWIFT EQBLKENA" in invoice_page
        and MARKETPLACE not in invoice_page
    )
    assert f"Reference to quote: <strong>{deposit.number}</strong>" in invoice_page

    _as(client, parties["operator"].email)
    page = f"/operator/invoices/{deposit.id}"
    assert "pay into its own account, <strong>Equity Bank ···7123</strong>" in text_of(client.get(page))
    marked = submit(client, page, {"amount": str(deposit.amount), "reference": "EQ-77120"}, action=f"{page}/transfer")
    assert marked.status_code == 302
    session.expire_all()
    assert session.get(Invoice, deposit.id).status == InvoiceStatus.PAID
    payout = session.scalar(select(Payout).where(Payout.invoice_id == deposit.id))
    assert (payout.status, payout.reference, payout.amount + payout.fee) == (
        PayoutStatus.CONFIRMED,
        "direct",
        Decimal(deposit.amount),
    )
    assert f"/operator/payouts/{payout.id}/record" not in text_of(client.get("/operator/payouts"))  # nothing to send

    _as(client, parties["owner"].user.email)
    assert submit(client, "/manage/payouts", {}, action="/manage/payouts/collecting/remove").status_code == 302
    assert session.get(CollectingAccount, parties["group"].id) is None
    assert "Your invoices ask buyers to pay into the marketplace's account" in text_of(client.get("/manage/payouts"))


def test_the_invoice_page_reads_the_payout_and_the_account_in_one_statement(
    session: Session, parties: dict, connection: Connection
) -> None:
    group = parties["group"]
    deposit = session.scalar(select(Invoice).where(Invoice.order_id == parties["order"].id))
    another = factories.accepted_order(session, group, parties["buyer"], quantity=10)
    other_deposit = session.scalar(select(Invoice).where(Invoice.order_id == another.id))
    with counted(connection) as seen:
        assert payout_and_account(session, deposit) == (None, None)
    assert len(seen) == 1
    account = CollectingAccount(group_id=group.id, details_secret="sealed", details_hint="Equity Bank ···7123")
    payout = Payout(
        group_id=group.id,
        order_id=deposit.order_id,
        invoice_id=deposit.id,
        method=PayoutMethod.BANK_TRANSFER,
        amount=Decimal("10"),
        currency=deposit.currency,
    )
    session.add_all([account, payout])
    session.flush()
    assert payout_and_account(session, deposit) == (payout, account)
    assert payout_and_account(session, other_deposit) == (None, account)  # the group's account, no payout of its own
