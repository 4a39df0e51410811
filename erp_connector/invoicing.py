"""Loom's invoices and the buyer's payments in a group's Odoo: posted customer invoices of exactly
Loom's amounts, in the order's currency and with the group's tax mapping, and the payment the buyer
really made (amount, currency, date) registered through Odoo's own wizard.

Before an invoice is posted its `amount_total` is read back and compared with what Loom expects;
after a payment, its `amount_residual`. A difference is a SyncMismatch with both numbers: the invoice
stays a draft in Odoo, the outbox message becomes a dead letter the group sees on its Odoo page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.amounts import ZERO, round_money, same_amount, show
from erp_connector.client import OdooClient, encode
from erp_connector.sync import (
    Bindings,
    SyncMismatch,
    buyer_ref,
    check_tax,
    currency_id,
    describe,
    keyed,
    mapping_for,
    note_marker,
    odoo_order_id,
    post_note,
    posted_notes,
)
from marketplace.billing.models import Invoice, InvoiceKind, InvoiceStatus, PaymentStatus, Payout, PayoutStatus, RefundStatus
from marketplace.money import format_money
from marketplace.orders.models import OrderLine


@dataclass(frozen=True)
class InvoiceLine:
    order_line: OrderLine | None  # None: a deposit, or a deposit deducted on the balance
    quantity: Decimal
    price_unit: Decimal
    name: str


def base_of(invoice: Invoice) -> Decimal:
    """Return the invoice's amount before a tax added on top (its amount as is with an included tax, or none)."""
    order = invoice.order
    on_top = order.tax_rate is not None and not order.tax_included
    return invoice.amount - invoice.tax_amount if on_top else invoice.amount


def invoice_lines(session: Session, invoice: Invoice) -> list[InvoiceLine]:
    """List the lines Loom sends for an invoice, the way Odoo's own down payments are invoiced.

    A deposit is one line of its amount (before a tax on top). The balance invoices every order line in
    full (so Odoo's invoiced quantities add up to the order), less one line per other invoice of the
    order that is not void. Every amount is exact in the currency, so Odoo's untaxed total is Loom's
    whatever its rounding, and its tax is Loom's (marketplace.billing.taxes.split_deposit makes the
    deposit's and the balance's taxes add up to the order's).
    """
    order = invoice.order
    if invoice.kind == InvoiceKind.DEPOSIT:
        return [InvoiceLine(None, Decimal(1), base_of(invoice), f"Deposit {order.deposit_percent} % of order {order.number}")]
    others = session.scalars(
        select(Invoice)
        .where(Invoice.order_id == order.id, Invoice.id != invoice.id, Invoice.status != InvoiceStatus.VOID)
        .order_by(Invoice.sequence)
    )
    lines = [InvoiceLine(line, Decimal(line.quantity), line.unit_price, line.description) for line in order.lines]
    lines += [
        InvoiceLine(None, Decimal(1), -base_of(other), f"Less {other.kind.value} invoice {other.number}") for other in others
    ]
    return lines


def sync_invoice(session: Session, client: OdooClient, group_id: int, invoice: Invoice) -> int | None:
    """Make the invoice exist once in Odoo as a posted customer invoice of Loom's amount whose lines invoice the sale lines;
    return its id.

    None, and nothing done, when the order was cancelled before it ever reached Odoo.

    Found by its binding, or by its natural key — the reference *and* the customer *and* the order it
    comes from (another order's invoice with the same reference is not this one). Raises SyncMismatch
    when Odoo's total differs from Loom's: the invoice is then left in draft.
    """
    order = invoice.order
    mapping = mapping_for(session, group_id)
    try:
        order_id = odoo_order_id(session, client, group_id, order)
    except SyncMismatch as error:
        raise SyncMismatch(f"Invoice {invoice.number} waits for its order. {error}") from error
    if order_id is None:
        return None  # the order was cancelled before it reached Odoo: its invoices have no place there
    wanted = {
        "invoice": {str(invoice.id)},
        "sku": {line.sku for line in order.lines},
        "buyer": {buyer_ref(order.buyer)},
        "currency": {invoice.currency},
    }
    bindings = Bindings(session, group_id, wanted)
    partner = bindings.get("buyer", buyer_ref(order.buyer))
    if partner is None:
        [row] = client.execute("sale.order", "read", [order_id], fields=["partner_id"])
        partner = row["partner_id"][0]
    currency = currency_id(client, bindings, invoice.currency)
    lines = invoice_lines(session, invoice)
    expected = invoice.amount  # Loom's total, tax included: what the buyer pays
    fields = ["id", "state", "amount_total", "currency_id"]
    known = bindings.get("invoice", str(invoice.id))
    rows = client.search_read(
        "account.move",
        [
            ["ref", "=", keyed(client, invoice.number)],
            ["move_type", "=", "out_invoice"],
            ["partner_id", "=", partner],
            ["invoice_origin", "=", keyed(client, order.number)],
        ],
        fields,
    )
    if known and not any(r["id"] == known for r in rows):
        known = None  # deleted in Odoo: make it again
    move = next((r for r in rows if r["id"] == known), rows[0] if rows else None)
    if move is None:
        try:
            check_tax(client, mapping, order)
        except SyncMismatch as error:
            raise SyncMismatch(f"Invoice {invoice.number}: {error}") from error
        sale_lines = client.search_read("sale.order.line", [["order_id", "=", order_id]], ["id", "product_id"])
        by_product = {row["product_id"][0]: row for row in sale_lines if row["product_id"]}
        taxes = [[6, 0, mapping.tax_ids]]
        values = []
        for x in lines:
            sale_line = by_product.get(bindings.get("sku", x.order_line.sku) or 0) if x.order_line else None
            values.append(
                [
                    0,
                    0,
                    encode(
                        {
                            "product_id": sale_line["product_id"][0] if sale_line else None,
                            "name": x.name,
                            "quantity": float(x.quantity),
                            "price_unit": float(x.price_unit),
                            "tax_ids": taxes,
                            "sale_line_ids": [[6, 0, [sale_line["id"]]]] if sale_line else [],
                        }
                    ),
                ]
            )
        [move_id] = client.create(
            "account.move",
            [
                encode(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner,
                        "ref": keyed(client, invoice.number),
                        "invoice_origin": keyed(client, order.number),
                        "currency_id": currency,
                        "invoice_date": invoice.issue_date.isoformat(),
                        "invoice_line_ids": values,
                    }
                )
            ],
        )
        [move] = client.execute("account.move", "read", [move_id], fields=fields)
    odoo_currency = move["currency_id"][1] if move.get("currency_id") else "?"
    if odoo_currency != invoice.currency or not same_amount(move["amount_total"], expected, invoice.currency):
        raise SyncMismatch(
            f"Invoice {invoice.number}: Odoo's total is {show(float(move['amount_total']), invoice.currency)}"
            f"{'' if odoo_currency == invoice.currency else ' (in ' + odoo_currency + ')'} but Loom's is "
            f"{show(expected, invoice.currency)} "
            f"(taxes: {describe(order)}). Loom left it as a draft in Odoo; check the tax mapping on Loom's Odoo page and "
            "the invoice in Odoo, then press Retry."
        )
    if move["state"] == "draft":
        client.execute("account.move", "action_post", [move["id"]])
    bindings.remember("invoice", str(invoice.id), "account.move", move["id"], durable=True)
    return move["id"]


def payment_facts(invoice: Invoice, payout: Payout | None) -> list[tuple[str, str]]:
    """List what the group's books should learn about an invoice's money, each keyed so it is told once."""
    facts: list[tuple[str, str]] = []
    for payment in invoice.payments:
        if payment.settled_at and payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            facts.append(
                (
                    f"{invoice.id}:paid:{payment.id}",
                    f"Paid by the buyer through Loom (card, Stripe) on {payment.settled_at:%Y-%m-%d}: "
                    f"{format_money(payment.amount, payment.currency)}, ref. {payment.provider_ref or payment.checkout_ref}.",
                )
            )
        for refund in payment.refunds:
            if refund.status == RefundStatus.SUCCEEDED:
                facts.append(
                    (
                        f"{invoice.id}:refund:{refund.id}",
                        f"Refunded to the buyer: {format_money(refund.amount, refund.currency)}, "
                        f"ref. {refund.provider_ref}. {refund.reason}",
                    )
                )
    if invoice.status == InvoiceStatus.VOID:
        facts.append((f"{invoice.id}:void", "Void in Loom: the order was cancelled before this invoice was paid."))
    if payout is not None and payout.status != PayoutStatus.PENDING:
        what = {
            PayoutStatus.SENT: "Payout sent to the group",
            PayoutStatus.CONFIRMED: "Payout received by the group",
            PayoutStatus.REVERSED: "Payout reversed",
        }[payout.status]
        facts.append(
            (
                f"{invoice.id}:payout:{payout.id}:{payout.status.value}",
                f"{what}: {format_money(payout.amount, payout.currency)} ({format_money(payout.gross, payout.currency)} "
                f"less Loom's fee of {format_money(payout.fee, payout.currency)}) by "
                f"{payout.method.value.replace('_', ' ')}, ref. {payout.reference or '–'}.",
            )
        )
    return facts


def register_payment(session: Session, client: OdooClient, bindings: Bindings, invoice: Invoice, move_id: int) -> bool:
    """Register the buyer's payment on the posted invoice in Odoo, once, with the amount, currency and date really paid.

    The invoice's payment state is the natural key: an invoice Odoo already counts as (partly) paid —
    a call that timed out after Odoo committed it — is not paid again. Afterwards the invoice's
    residual is read back: what Loom expects is Odoo's total less what the buyer paid; any other
    figure, or anything left to pay once Loom counts the invoice paid, raises SyncMismatch.
    """
    paying = next(
        (p for p in invoice.payments if p.settled_at and p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)), None
    )
    if paying is None or bindings.get("payment", str(invoice.id)):
        return False
    fields = ["payment_state", "amount_residual", "amount_total"]
    [move] = client.execute("account.move", "read", [move_id], fields=fields)
    if move["payment_state"] == "not_paid":
        [wizard] = client.create(
            "account.payment.register",
            [
                encode(
                    {
                        "amount": float(paying.amount),
                        "currency_id": currency_id(client, bindings, paying.currency),
                        "payment_date": paying.settled_at.date().isoformat(),
                        "communication": (
                            f"{keyed(client, invoice.number)} · card via Loom ({paying.provider_ref or paying.checkout_ref})"
                        ),
                    }
                )
            ],
            context={"active_model": "account.move", "active_ids": [move_id]},
        )
        client.execute(
            "account.payment.register", "action_create_payments", [wizard], context={"dont_redirect_to_payments": True}
        )
        [move] = client.execute("account.move", "read", [move_id], fields=fields)
    currency = invoice.currency
    expected = invoice.amount
    expected_left = round_money(expected - paying.amount, currency)
    if not same_amount(move["amount_residual"], max(expected_left, ZERO), currency) or expected_left > 0:
        raise SyncMismatch(
            f"Invoice {invoice.number}: the buyer paid {show(paying.amount, paying.currency)} through Loom, and Odoo now shows "
            f"{show(float(move['amount_residual']), currency)} still to pay on its total of "
            f"{show(float(move['amount_total']), currency)}; "
            f"Loom expects {show(max(expected_left, ZERO), currency)}."
            + (
                " Odoo adds tax on top that Loom did not charge the buyer on this order: check the tax mapping on Loom's "
                "Odoo page "
                "and the invoice's taxes in Odoo."
                if expected_left > 0
                else ""
            )
        )
    bindings.remember("payment", str(invoice.id), "account.move", move_id, durable=True)
    return True


def sync_payment(session: Session, client: OdooClient, group_id: int, invoice: Invoice) -> int:
    """Put the invoice's money in the group's Odoo: the buyer's payment registered on the invoice, and each
    fact (paid, refunded, paid out, void) noted once on the sale order's chatter. Return the notes posted."""
    move_id = sync_invoice(session, client, group_id, invoice) if invoice.status != InvoiceStatus.VOID else None
    if move_id is not None:
        register_payment(
            session,
            client,
            Bindings(session, group_id, {"payment": {str(invoice.id)}, "currency": {invoice.currency}}),
            invoice,
            move_id,
        )
    order = invoice.order
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    facts = payment_facts(invoice, payout)
    order_odoo_id = odoo_order_id(session, client, group_id, order)
    if order_odoo_id is None:
        return 0  # the order was cancelled before it reached Odoo: nothing of its money belongs there
    bindings = Bindings(session, group_id, {"payment-fact": {key for key, _ in facts}})
    posted = 0
    pending = [(key, text) for key, text in facts if not bindings.get("payment-fact", key)]
    already = posted_notes(client, order_odoo_id, "fact") if pending else {}
    for key, text in pending:
        body = (
            "<p><b>Loom payments</b> · invoice "
            f"{html.escape(invoice.number)}{' (Odoo move ' + str(move_id) + ')' if move_id else ''}</p><p>{html.escape(text)}</p>"
        )
        marker = note_marker(client, "fact", key)
        found = marker in already
        bindings.remember(
            "payment-fact", key, "mail.message", post_note(client, order_odoo_id, body, marker, already), durable=True
        )
        posted += not found
    return posted


__all__ = [
    "InvoiceLine",
    "base_of",
    "invoice_lines",
    "payment_facts",
    "register_payment",
    "sync_invoice",
    "sync_payment",
]
