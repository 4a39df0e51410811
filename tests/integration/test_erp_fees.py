"""Loom's fee on money paid straight into a group's own account is booked in the group's Odoo: a posted vendor bill
from the partner "Loom", no tax, paid through Odoo's Register Payment wizard as the fee is netted or a statement is
paid, a credit note matched with it when the fee is given back — exactly once, whatever is retried.

Runs on every version and protocol of the Odoo double, and against a real Odoo when LOOM_TEST_ODOO_URL is set (each
run's keys carry its own tag, see test_erp_sync). The figures read back from Odoo are the contract: amount_total,
amount_residual, state and payment_state, as real Odoo 17, 18 and 19 compute them.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from erp_connector.amounts import TaxMapping
from erp_connector.client import OdooClient
from erp_connector.fee_bills import LOOM_REF, FeePosition, bill_ref, sync_fee
from erp_connector.sync import keyed
from marketplace.billing.models import Invoice, InvoiceKind, Payout, PayoutMethod, PayoutStatus
from marketplace.billing.services import issue_invoice
from marketplace.bootstrap import worker_for
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from payments import fees
from tests import factories
from tests.integration.test_erp_money import link
from tests.integration.test_erp_sync import Odoo, _tagged, make_order, odoo  # noqa: F401 - the same Odoo targets and run tag

FIELDS = ["id", "move_type", "state", "payment_state", "amount_total", "amount_tax", "amount_residual", "partner_id", "ref"]
TABLE: list[tuple[str, str, float, float, str, str]] = []  # (target, step, total, residual, state, payment_state)


def _target(odoo: Odoo) -> str:
    return f"{odoo.double.version if odoo.double else os.environ.get('LOOM_TEST_ODOO_VERSION', 'real')}-{odoo.protocol}"


def _invoice(session: Session, group, number: str, amount: str = "2000.00") -> Invoice:  # type: ignore[no-untyped-def]
    order = make_order(session, group, factories.buyer(session), number, [("SKU-FEE", 100, "20.00")])
    return issue_invoice(session, order, kind=InvoiceKind.DEPOSIT, amount=Decimal(amount))


def _position(charged: str, *, credited: str = "0", settled: str = "0", version: int = 1) -> FeePosition:
    return FeePosition("USD", Decimal(charged), Decimal(credited), Decimal(settled), version, dt.date(2027, 3, 2))


def _bills(client: OdooClient, invoice: Invoice) -> list[dict]:
    ref = bill_ref(client, invoice)
    return client.search_read("account.move", [["ref", "=", ref], ["move_type", "=", "in_invoice"]], FIELDS)


def _credit_notes(client: OdooClient, invoice: Invoice) -> list[dict]:
    domain = [["ref", "ilike", f"{bill_ref(client, invoice)} credit"], ["move_type", "=", "in_refund"]]
    return client.search_read("account.move", domain, FIELDS)


def _read(client: OdooClient, move_id: int) -> dict:
    [row] = client.execute("account.move", "read", [move_id], fields=FIELDS)
    return row


def _supplier_payments(client: OdooClient, partner: int) -> list[dict]:
    rows = client.search_read(
        "account.payment", [["partner_id", "=", partner]], ["amount", "payment_type", "partner_type", "state"]
    )
    return [r for r in rows if r["partner_type"] == "supplier"]


def _note(odoo: Odoo, step: str, row: dict) -> None:
    TABLE.append((_target(odoo), step, row["amount_total"], row["amount_residual"], row["state"], row["payment_state"]))


def test_a_fee_charged_is_a_posted_vendor_bill_from_loom_with_no_tax_made_once(app: Flask, session: Session, odoo: Odoo) -> None:
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    invoice = _invoice(session, group, "LM-F-BILL")

    bill_id = sync_fee(session, client, group.id, invoice, _position("19.53"))

    bill = _read(client, bill_id)
    _note(odoo, "charged 19.53", bill)
    assert (bill["move_type"], bill["state"], bill["payment_state"]) == ("in_invoice", "posted", "not_paid")
    assert (bill["amount_total"], bill["amount_tax"], bill["amount_residual"]) == (19.53, 0.0, 19.53)
    assert bill["ref"] == keyed(client, f"LOOM-FEE-{invoice.number}")
    [partner] = client.search_read("res.partner", [["ref", "=", keyed(client, LOOM_REF)]], ["id", "name", "is_company"])
    assert (partner["name"], partner["is_company"], bill["partner_id"][0]) == ("Loom", True, partner["id"])
    [line] = client.search_read(
        "account.move.line", [["move_id", "=", bill_id], ["display_type", "=", "product"]], ["name", "price_unit", "tax_ids"]
    )
    assert (line["name"], line["price_unit"], line["tax_ids"]) == (f"Loom marketplace fee on invoice {invoice.number}", 19.53, [])

    # Again (a retry, a second delivery), and for another invoice: no second bill, no second partner "Loom".
    assert sync_fee(session, client, group.id, invoice, _position("19.53")) == bill_id
    other = _invoice(session, group, "LM-F-BILL2")
    sync_fee(session, client, group.id, other, _position("5.00"))
    assert len(_bills(client, invoice)) == 1
    assert len(client.search_read("res.partner", [["ref", "=", keyed(client, LOOM_REF)]], ["id"])) == 1


def test_a_vendor_bill_line_without_a_product_gets_no_tax_and_a_bill_needs_its_date(odoo: Odoo) -> None:
    """What a fresh Odoo does with a bill line of no product and no taxes given: no tax (not the 15 % purchase tax an
    invoice line of a product gets). Loom still sends an empty tax list, so a default set on an account changes nothing."""
    client = odoo.client()
    [partner] = client.create("res.partner", [{"name": keyed(client, "Some vendor"), "is_company": True}])
    [bill] = client.create(
        "account.move",
        [
            {
                "move_type": "in_invoice",
                "partner_id": partner,
                "invoice_date": "2027-03-02",
                "invoice_line_ids": [[0, 0, {"name": "fee", "quantity": 1, "price_unit": 100.0}]],
            }
        ],
    )
    row = _read(client, bill)
    assert (row["amount_total"], row["amount_tax"], row["state"]) == (100.0, 0.0, "draft")
    # And a bill cannot be posted without its date (Odoo: "The Bill/Refund date is required to validate this document").
    [undated] = client.create(
        "account.move",
        [
            {
                "move_type": "in_invoice",
                "partner_id": partner,
                "invoice_line_ids": [[0, 0, {"name": "fee", "quantity": 1, "price_unit": 1.0, "tax_ids": [[6, 0, []]]}]],
            }
        ],
    )
    from erp_connector.client import OdooCallError

    with pytest.raises(OdooCallError, match="Bill/Refund date is required"):
        client.press("account.move", "action_post", [undated])


def test_what_the_group_pays_of_the_fee_is_registered_once_until_nothing_is_left(
    app: Flask, session: Session, odoo: Odoo
) -> None:
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    invoice = _invoice(session, group, "LM-F-PAY")
    bill_id = sync_fee(session, client, group.id, invoice, _position("100.00"))

    # 60.00 netted from a payout: the wizard pays 60.00 of the bill; the same position again pays nothing more.
    sync_fee(session, client, group.id, invoice, _position("100.00", settled="60.00", version=2))
    sync_fee(session, client, group.id, invoice, _position("100.00", settled="60.00", version=2))
    bill = _read(client, bill_id)
    _note(odoo, "60.00 netted", bill)
    assert (bill["amount_residual"], bill["payment_state"]) == (40.0, "partial")
    partner = bill["partner_id"][0]
    assert [(p["amount"], p["payment_type"]) for p in _supplier_payments(client, partner)] == [(60.0, "outbound")]

    # A stale copy (an earlier position delivered late) changes nothing.
    assert sync_fee(session, client, group.id, invoice, _position("100.00", version=1)) is None

    # The rest paid on a statement: residual 0, paid (never in_payment in Community).
    sync_fee(session, client, group.id, invoice, _position("100.00", settled="100.00", version=3))
    bill = _read(client, bill_id)
    _note(odoo, "40.00 on a statement", bill)
    assert (bill["amount_total"], bill["amount_residual"], bill["state"], bill["payment_state"]) == (100.0, 0.0, "posted", "paid")
    payments = _supplier_payments(client, partner)
    assert sorted(p["amount"] for p in payments) == [40.0, 60.0]
    # As real Odoo answers: posted on 17, paid on 18, and on 19 a payment to a vendor stays in_process.
    assert {p["state"] for p in payments} == {{17: "posted", 18: "paid"}.get(client.server.major, "in_process")}


def test_a_netting_released_before_the_payout_was_sent_cancels_looms_payment_and_pays_what_stayed(
    app: Flask, session: Session, odoo: Odoo
) -> None:
    """60.00 netted from a pending payout, then a refund shrinks that payout and releases 30.00: the group owes 70.00."""
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    invoice = _invoice(session, group, "LM-F-RELEASE")
    bill_id = sync_fee(session, client, group.id, invoice, _position("100.00", settled="60.00", version=2))
    assert _read(client, bill_id)["amount_residual"] == 40.0

    sync_fee(session, client, group.id, invoice, _position("100.00", settled="30.00", version=3))
    sync_fee(session, client, group.id, invoice, _position("100.00", settled="30.00", version=3))

    bill = _read(client, bill_id)
    _note(odoo, "30.00 of 60.00 released", bill)
    assert (bill["amount_total"], bill["amount_residual"], bill["payment_state"]) == (100.0, 70.0, "partial")
    payments = _supplier_payments(client, bill["partner_id"][0])
    assert sorted((p["amount"], p["state"] in ("cancel", "canceled")) for p in payments) == [(30.0, False), (60.0, True)]


def test_a_fee_given_back_is_a_credit_note_matched_with_the_bill(app: Flask, session: Session, odoo: Odoo) -> None:
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    invoice = _invoice(session, group, "LM-F-CREDIT")
    bill_id = sync_fee(session, client, group.id, invoice, _position("100.00"))

    # A quarter of the invoice refunded to the buyer: 25.00 of the fee given back.
    sync_fee(session, client, group.id, invoice, _position("100.00", credited="25.00", version=2))
    sync_fee(session, client, group.id, invoice, _position("100.00", credited="25.00", version=2))
    [note] = _credit_notes(client, invoice)
    bill = _read(client, bill_id)
    _note(odoo, "25.00 credited", bill)
    assert (note["amount_total"], note["amount_tax"], note["state"], note["amount_residual"]) == (25.0, 0.0, "posted", 0.0)
    assert note["payment_state"] == "paid"
    assert (bill["amount_residual"], bill["payment_state"]) == (75.0, "partial")

    sync_fee(session, client, group.id, invoice, _position("100.00", credited="25.00", settled="75.00", version=3))
    bill = _read(client, bill_id)
    _note(odoo, "75.00 netted", bill)
    assert (bill["amount_residual"], bill["payment_state"]) == (0.0, "paid")  # a payment among what matched it: paid

    # A fee given back whole, before anything was paid: the bill reads `reversed`, as a bill its credit note cancels.
    whole = _invoice(session, group, "LM-F-WHOLE")
    whole_id = sync_fee(session, client, group.id, whole, _position("50.00"))
    sync_fee(session, client, group.id, whole, _position("50.00", credited="50.00", version=2))
    row = _read(client, whole_id)
    _note(odoo, "50.00 charged, all credited", row)
    assert (row["amount_residual"], row["payment_state"]) == (0.0, "reversed")


def test_the_fee_ledger_books_each_change_in_the_groups_odoo_through_the_outbox(app: Flask, session: Session, odoo: Odoo) -> None:
    """Charged, netted from a Stripe payout, billed by a statement that is voided, billed again and paid: the bill follows."""
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    invoice = _invoice(session, group, "LM-F-LEDGER")
    operator = factories.user(session, email="operator@loom.test")
    session.commit()

    fees.charge_direct_fee(session, invoice, Decimal("100.00"))
    session.commit()
    assert worker_for(app).drain().dead == 0  # the invoice's own sync, and the fee's
    [bill] = _bills(client, invoice)
    assert (bill["amount_total"], bill["amount_residual"], bill["state"]) == (100.0, 100.0, "posted")

    # The group's next card payment: a pending Stripe payout of 30.00 nets 30.00 of the fee.
    other = _invoice(session, group, "LM-F-CARD", amount="31.58")
    payout = Payout(
        group_id=group.id,
        order_id=other.order_id,
        invoice_id=other.id,
        method=PayoutMethod.STRIPE_TRANSFER,
        amount=Decimal("30.00"),
        fee=Decimal("1.58"),
        currency="USD",
        idempotency_key=f"fee-test-{other.number}",
    )
    session.add(payout)
    session.flush()
    assert fees.net_into_payout(session, payout) == Decimal("30.00")
    session.commit()
    assert payout.status == PayoutStatus.CONFIRMED  # netted to zero: nothing to send
    assert worker_for(app).drain().dead == 0
    assert _read(client, bill["id"])["amount_residual"] == 70.0

    statement = fees.issue_statement(session, operator.id, group.id, "USD", instructions="IBAN", base_url="https://loom.test")
    operator = factories.user(session, operator=True)
    fees.void_statement(session, operator.id, statement.id, reason="wrong amount", base_url="https://loom.test")
    worker_for(app).drain()
    assert _read(client, bill["id"])["amount_residual"] == 70.0  # issued and voided: nothing paid, still owed
    again = fees.issue_statement(session, operator.id, group.id, "USD", instructions="IBAN", base_url="https://loom.test")
    fees.mark_statement_received(
        session,
        operator.id,
        again.id,
        amount=Decimal("70.00"),
        reference="BANK-123",
        received_on=group.organization.today(),
        base_url="https://loom.test",
    )
    worker_for(app).drain()
    after = _read(client, bill["id"])
    assert (after["amount_residual"], after["payment_state"]) == (0.0, "paid")
    assert len(_bills(client, invoice)) == 1

    # The last message delivered again (a worker that died after Odoo answered): nothing is paid twice.
    session.expire_all()
    last = session.query(OutboxMessage).filter_by(topic="erp.sync_fee").order_by(OutboxMessage.id.desc()).first()
    assert last.status == OutboxStatus.DONE
    enqueue(session, topics.SYNC_FEE, invoice.id, dict(last.payload))
    session.commit()
    assert worker_for(app).drain().done == 1
    assert sorted(p["amount"] for p in _supplier_payments(client, bill["partner_id"][0])) == [30.0, 70.0]


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> object:
    yield
    if TABLE:
        rows = ["| Odoo | step | amount_total | amount_residual | state | payment_state |", "|---|---|---|---|---|---|"]
        rows += [f"| {t} | {s} | {total:.2f} | {left:.2f} | {state} | {paid} |" for t, s, total, left, state, paid in TABLE]
        text = "\n".join(rows)
        print("\n" + text)
        if os.environ.get("LOOM_FEE_TABLE"):
            with open(os.environ["LOOM_FEE_TABLE"], "a", encoding="utf-8") as out:
                out.write(text + "\n")
        TABLE.clear()
