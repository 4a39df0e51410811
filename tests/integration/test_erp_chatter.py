"""What Odoo itself writes in the chatter of the moves Loom makes: the customer invoices of an order (deposit and
balance, paid) and Loom's fee vendor bill (paid). Runs on every version and protocol of the Odoo double, and against a
real Odoo when LOOM_TEST_ODOO_URL is set (see test_erp_sync): the same sequence of messages — subtype, body text — on
both, as real Odoo 17, 18 and 19 write them (measured on each; ids and dates are not compared).
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

from flask import Flask
from sqlalchemy.orm import Session

from erp_connector.amounts import TaxMapping
from erp_connector.client import OdooClient
from erp_connector.fee_bills import sync_fee
from erp_connector.invoicing import sync_invoice, sync_payment
from erp_connector.sync import sync_orders
from marketplace.billing.models import InvoiceKind
from marketplace.billing.services import issue_invoice
from tests import factories
from tests.integration.test_erp_fees import _credit_notes, _invoice, _position
from tests.integration.test_erp_money import _admin, link, pay
from tests.integration.test_erp_sync import Odoo, _tagged, make_order, odoo  # noqa: F401 - the same Odoo targets and run tag


def chatter(client: OdooClient, model: str, record: int) -> list[tuple[str, str, str]]:
    """Return the messages of a record, oldest first: (message_type, subtype name, body as text)."""
    rows = client.search_read(
        "mail.message", [["model", "=", model], ["res_id", "=", record]], ["body", "message_type", "subtype_id", "id"]
    )
    rows.sort(key=lambda r: r["id"])
    return [
        (
            r["message_type"],
            r["subtype_id"][1] if r["subtype_id"] else "",
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r["body"] or "")).strip(),
        )
        for r in rows
    ]


def test_odoo_writes_in_the_chatter_of_loom_s_invoices_and_fee_bill_what_real_odoo_writes(
    app: Flask, session: Session, odoo: Odoo
) -> None:
    client = odoo.client()
    group = factories.producer_group(session)
    link(app, session, odoo, group, TaxMapping())
    order = make_order(session, group, factories.buyer(session), "LM-CHAT", [("SKU-CHAT", 10, "20.00")])
    assert sync_orders(session, client, group.id, [order]).problems == {}
    moves = {}
    for kind, amount in ((InvoiceKind.DEPOSIT, Decimal("100.00")), (InvoiceKind.BALANCE, Decimal("100.00"))):
        invoice = issue_invoice(session, order, kind=kind, amount=amount)
        moves[kind.value] = sync_invoice(session, client, group.id, invoice)
        pay(session, invoice, invoice.amount)
        sync_payment(session, client, group.id, invoice)
    fee_invoice = _invoice(session, group, "LM-CHAT-FEE")
    moves["fee bill"] = sync_fee(session, client, group.id, fee_invoice, _position("10.00"))
    sync_fee(session, client, group.id, fee_invoice, _position("10.00", settled="10.00", version=2))
    # A fee partly given back: a credit note matched with its bill.
    credited = _invoice(session, group, "LM-CHAT-CREDIT")
    moves["credited bill"] = sync_fee(session, client, group.id, credited, _position("10.00"))
    sync_fee(session, client, group.id, credited, _position("10.00", credited="4.00", version=2))
    [credit_note] = _credit_notes(client, credited)
    moves["credit note"] = credit_note["id"]

    seen = {name: chatter(client, "account.move", move) for name, move in moves.items()}
    for name, move in (("payments of the invoices", moves["deposit"]), ("payment of the fee bill", moves["fee bill"])):
        [row] = client.execute("account.move", "read", [move], fields=["partner_id"])
        payments = sorted(
            r["id"] for r in client.search_read("account.payment", [["partner_id", "=", row["partner_id"][0]]], ["id"])
        )
        seen[name] = [message for payment in payments for message in chatter(client, "account.payment", payment)]
    assert seen == expected(odoo.double.version if odoo.double else client.server.major)

    # The tracked changes of state and payment_state (only an administrator may read tracking values): what each message
    # of a move changed, in order. Odoo tracks more fields (the number, the payment reference, 19's "Reviewed"): not these.
    if odoo.double is None and not os.environ.get("LOOM_TEST_ODOO_ADMIN_PASSWORD"):
        return
    admin = _admin(odoo)
    tracked = {name: tracking(admin, move) for name, move in moves.items()}
    posted = [["Status", "Draft", "Posted"]]
    paid = [["Payment Status", "Not Paid", "Paid"]]
    partly = [["Payment Status", "Not Paid", "Partially Paid"]]
    assert tracked == {
        "deposit": [posted, paid],
        "balance": [posted, paid],
        "fee bill": [posted, paid],
        "credited bill": [posted, partly],
        "credit note": [posted, paid],
    }


def tracking(admin: OdooClient, move: int) -> list[list[list[str]]]:
    """Return, for each message of a move with tracked changes of Status or Payment Status: [field label, old, new]."""
    messages = sorted(
        r["id"] for r in admin.search_read("mail.message", [["model", "=", "account.move"], ["res_id", "=", move]], ["id"])
    )
    values = admin.search_read(
        "mail.tracking.value",
        [["mail_message_id", "in", messages]],
        ["mail_message_id", "field_id", "old_value_char", "new_value_char"],
    )
    changes: dict[int, list[list[str]]] = {}
    for value in values:
        label = value["field_id"][1].removesuffix(" (Journal Entry)")
        if label in ("Status", "Payment Status"):
            changes.setdefault(value["mail_message_id"][0], []).append([label, value["old_value_char"], value["new_value_char"]])
    return [sorted(changes[m]) for m in messages if m in changes]


def expected(version: int) -> dict[str, list[tuple[str, str, str]]]:
    """What real Odoo 17, 18 and 19 wrote, measured on each over every protocol (account.move._creation_message,
    _creation_subtype and _track_subtype; mail's "<_description> created" for a payment)."""
    created = "" if version < 18 else "Invoice Created"  # 17 writes the subtype alone; 18 and 19 the text too
    invoice = [("notification", "Invoice Created", created), ("notification", "Validated", ""), ("notification", "Paid", "")]
    return {
        "deposit": invoice,
        "balance": invoice,
        "fee bill": [
            ("notification", "Note", "Vendor Bill Created"),
            ("notification", "Note", ""),  # posted: a purchase document's state is tracked as a note
            ("notification", "Paid", ""),
        ],
        # Matched with its credit note: payment_state went not_paid -> partial, a note.
        "credited bill": [
            ("notification", "Note", "Vendor Bill Created"),
            ("notification", "Note", ""),
            ("notification", "Note", ""),
        ],
        "credit note": [("notification", "Note", "Refund Created"), ("notification", "Note", ""), ("notification", "Paid", "")],
        "payments of the invoices": [("notification", "Note", "Payments created")] * 2,
        "payment of the fee bill": [("notification", "Note", "Payments created")],
    }
