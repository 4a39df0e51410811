"""Loom's fee on money paid straight into a group's own account, in the group's Odoo: a vendor bill from Loom.

When a buyer pays a group's invoice into the group's own account, the group owes Loom its fee (payments.fees).
The group's books get what an OCA connector would put there: a vendor bill (`account.move`, `in_invoice`) from a
partner "Loom" (found or made once, by its `ref`), one line "Loom marketplace fee on invoice <number>" of the fee
in its currency, no tax, posted. What the group pays of it — netted from a Stripe payout, or a fee statement paid —
is registered on the bill through Odoo's Register Payment wizard, as the buyers' payments are; the fee Loom gives
back when the buyer is refunded is a vendor credit note (`in_refund`), matched with the bill as the bill's
"outstanding credits" widget does (`js_assign_outstanding_line`).

Each message carries the fee's whole position (DirectFeeChanged), and the sync brings Odoo to it: it looks before
it writes (the bill by its reference and partner, credit notes by theirs, payments by the bill's residual), so a
call whose answer was lost is never repeated, and a copy older than the last one applied changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from erp_connector.amounts import ZERO, round_money, same_amount, show
from erp_connector.client import OdooClient, encode
from erp_connector.sync import Bindings, SyncMismatch, currency_id, keyed
from marketplace.billing.models import Invoice

LOOM_REF = "LOOM-MARKETPLACE"  # the natural key (`res.partner.ref`) of the partner "Loom" in every group's Odoo
MOVE_FIELDS = ["id", "state", "amount_total", "amount_residual", "payment_state", "currency_id", "ref"]


@dataclass(frozen=True)
class FeePosition:
    """Loom's fee on one directly paid invoice, as the fee ledger published it (amounts in `currency`).

    `charged` the fee, `credited` given back on refunds, `settled` what the group has paid of it; `version` grows
    with each change; `charged_on` the day the fee was charged (the bill's date).
    """

    currency: str
    charged: Decimal
    credited: Decimal
    settled: Decimal
    version: int
    charged_on: dt.date

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FeePosition:
        """Read the position an outbox message carries (see `erp_connector.subscribers.sync_fee`)."""
        return cls(
            payload["currency"],
            Decimal(payload["charged"]),
            Decimal(payload["credited"]),
            Decimal(payload["settled"]),
            int(payload["version"]),
            dt.date.fromisoformat(payload["charged_on"]),
        )

    @property
    def owed(self) -> Decimal:
        """What the group still owes Loom on this invoice (never below zero on the bill)."""
        return max(self.charged - self.credited - self.settled, ZERO)


def bill_ref(client: OdooClient, invoice: Invoice) -> str:
    """Return the vendor bill's reference in the group's Odoo: "LOOM-FEE-<invoice number>" behind the instance's tag."""
    return keyed(client, f"LOOM-FEE-{invoice.number}")


def loom_partner(client: OdooClient, bindings: Bindings) -> int:
    """Find the partner "Loom" by its ref, or make it once (a company); return its res.partner id."""
    known = bindings.get("loom-partner", LOOM_REF)
    if known:
        return known
    rows = client.search_read("res.partner", [["ref", "=", keyed(client, LOOM_REF)]], ["id"], context={"active_test": False})
    found = (
        rows[0]["id"]
        if rows
        else client.create("res.partner", [{"name": "Loom", "is_company": True, "ref": keyed(client, LOOM_REF)}])[0]
    )
    bindings.remember("loom-partner", LOOM_REF, "res.partner", found)
    return found


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()  # the day Loom tells the group's books (UTC, as Loom's ledger)


def _line(name: str, amount: Decimal) -> list[Any]:
    # No tax: left out, Odoo would put the company's default purchase tax on a line without a product.
    return [0, 0, {"name": name, "quantity": 1.0, "price_unit": float(amount), "tax_ids": [[6, 0, []]]}]


def _check(move: dict[str, Any], expected: Decimal, position: FeePosition, what: str) -> None:
    currency = move["currency_id"][1] if move.get("currency_id") else "?"
    if currency != position.currency or not same_amount(move["amount_total"], expected, position.currency):
        raise SyncMismatch(
            f"{what}: Odoo's total is {show(float(move['amount_total']), position.currency)}"
            f"{'' if currency == position.currency else ' (in ' + currency + ')'} but Loom's fee is "
            f"{show(expected, position.currency)}. Loom left it as a draft in Odoo; check it there (taxes, currency), "
            "then press Retry."
        )


def _bill(client: OdooClient, invoice: Invoice, position: FeePosition, partner: int, currency: int) -> dict[str, Any]:
    """Find the fee's vendor bill by its reference and partner, or make it; post it once its total is Loom's fee."""
    ref = bill_ref(client, invoice)
    domain = [["ref", "=", ref], ["move_type", "=", "in_invoice"], ["partner_id", "=", partner], ["state", "!=", "cancel"]]
    rows = client.search_read("account.move", domain, MOVE_FIELDS)
    if not rows:
        [made] = client.create(
            "account.move",
            [
                encode(
                    {
                        "move_type": "in_invoice",
                        "partner_id": partner,
                        "ref": ref,
                        "currency_id": currency,
                        "invoice_date": position.charged_on.isoformat(),
                        "invoice_line_ids": [_line(f"Loom marketplace fee on invoice {invoice.number}", position.charged)],
                    }
                )
            ],
        )
        rows = client.execute("account.move", "read", [made], fields=MOVE_FIELDS)
    bill = rows[0]
    _check(bill, position.charged, position, f"Loom's fee bill for invoice {invoice.number}")
    if bill["state"] == "draft":
        client.press("account.move", "action_post", [bill["id"]])
        [bill] = client.execute("account.move", "read", [bill["id"]], fields=MOVE_FIELDS)
    return bill


def _credit_notes(
    client: OdooClient, invoice: Invoice, position: FeePosition, partner: int, currency: int, bill: dict[str, Any]
) -> dict[str, Any]:
    """Make the credit notes that bring what Odoo has credited up to the fee Loom gave back; post and match them.

    Return the bill as it reads afterwards.
    """
    ref = bill_ref(client, invoice)
    domain = [["ref", "ilike", f"{ref} credit "], ["move_type", "=", "in_refund"], ["partner_id", "=", partner]]
    notes = [
        n
        for n in client.search_read("account.move", domain, MOVE_FIELDS)
        if n["state"] != "cancel" and (n["ref"] or "").startswith(f"{ref} credit ")
    ]
    done = sum((Decimal(repr(float(n["amount_total"]))) for n in notes), ZERO)
    missing = round_money(position.credited - done, position.currency)
    if missing > 0:
        [made] = client.create(
            "account.move",
            [
                encode(
                    {
                        "move_type": "in_refund",
                        "partner_id": partner,
                        "ref": f"{ref} credit {len(notes) + 1}",
                        "currency_id": currency,
                        "invoice_date": _today(),
                        "invoice_line_ids": [
                            _line(f"Loom marketplace fee on invoice {invoice.number}, given back (refund to the buyer)", missing)
                        ],
                    }
                )
            ],
        )
        notes += client.execute("account.move", "read", [made], fields=MOVE_FIELDS)
    for note in notes:
        if note["state"] == "draft":
            client.press("account.move", "action_post", [note["id"]])
            [note] = client.execute("account.move", "read", [note["id"]], fields=MOVE_FIELDS)
        if note["amount_residual"] and bill["amount_residual"]:
            # What the bill's "outstanding credits" widget does: match the credit note's payable line with the bill.
            lines = client.search_read(
                "account.move.line", [["move_id", "=", note["id"]], ["display_type", "=", "payment_term"]], ["id"]
            )
            client.press("account.move", "js_assign_outstanding_line", [bill["id"]], line_id=lines[0]["id"])
            [bill] = client.execute("account.move", "read", [bill["id"]], fields=MOVE_FIELDS)
    return bill


def _loom_payments(client: OdooClient, invoice: Invoice, partner: int) -> list[dict[str, Any]]:
    """Return the fee payments Loom registered on this invoice's bill and still counts, newest first (found by their memo).

    The memo is `ref` on Odoo 17 and `memo` from 18 on, as the payment recordings show.
    """
    memo = "ref" if client.server.major < 18 else "memo"
    rows = client.search_read(
        "account.payment",
        [["partner_id", "=", partner], [memo, "ilike", f"{bill_ref(client, invoice)} · "]],
        ["id", "amount", "state"],
    )
    return sorted((r for r in rows if r["state"] not in ("cancel", "canceled")), key=lambda r: -r["id"])


def _pay(
    client: OdooClient, invoice: Invoice, position: FeePosition, partner: int, currency: int, bill: dict[str, Any]
) -> dict[str, Any]:
    """Register what the group paid of the fee beyond what Odoo already counts, through the Register Payment wizard.

    The bill's residual is the natural key: a payment whose answer was lost has lowered it already, so it is not
    made twice. When Odoo counts more paid than Loom (a fee netted from a payout, then released by a refund before
    the payout was sent), Loom's own payments of the bill are cancelled, newest first (as an accountant resets a
    payment to draft and cancels it), until the residual is at least what the group owes; the rest is registered
    again. Raises SyncMismatch when the residual still differs from Loom's afterwards.
    """
    left = Decimal(repr(float(bill["amount_residual"])))
    if left < position.owed:
        for payment in _loom_payments(client, invoice, partner):
            if payment["state"] != "draft":
                client.press("account.payment", "action_draft", [payment["id"]])
            client.press("account.payment", "action_cancel", [payment["id"]])
            [bill] = client.execute("account.move", "read", [bill["id"]], fields=MOVE_FIELDS)
            left = Decimal(repr(float(bill["amount_residual"])))
            if left >= position.owed:
                break
    to_pay = round_money(left - position.owed, position.currency)
    if to_pay > 0:
        [wizard] = client.create(
            "account.payment.register",
            [
                encode(
                    {
                        "amount": float(to_pay),
                        "currency_id": currency,
                        "payment_date": _today(),
                        "communication": f"{bill_ref(client, invoice)} · Loom's fee, netted from a payout or paid on a statement",
                    }
                )
            ],
            context={"active_model": "account.move", "active_ids": [bill["id"]]},
        )
        client.execute(
            "account.payment.register", "action_create_payments", [wizard], context={"dont_redirect_to_payments": True}
        )
        [bill] = client.execute("account.move", "read", [bill["id"]], fields=MOVE_FIELDS)
    if not same_amount(bill["amount_residual"], position.owed, position.currency):
        raise SyncMismatch(
            f"Loom's fee bill for invoice {invoice.number}: Odoo shows {show(float(bill['amount_residual']), position.currency)} "
            f"left to pay; Loom expects {show(position.owed, position.currency)}. Check the bill's payments in Odoo, then "
            "press Retry."
        )
    return bill


def sync_fee(session: Session, client: OdooClient, group_id: int, invoice: Invoice, position: FeePosition) -> int | None:
    """Bring the group's Odoo to Loom's fee position on `invoice`: the bill posted, credits matched, payments registered.

    Return the bill's account.move id, or None when this position is older than one already applied (nothing done).
    Raises SyncMismatch when Odoo holds another amount than Loom (the message then says both), or when the fee's
    currency is not active in that Odoo.
    """
    key = str(invoice.id)
    bindings = Bindings(
        session,
        group_id,
        {"loom-partner": {LOOM_REF}, "currency": {position.currency}, "fee-bill": {key}, "fee-version": {key}},
    )
    seen = bindings.get("fee-version", key)
    if seen is not None and position.version < seen:
        return None  # a stale copy: a later position was applied already
    partner = loom_partner(client, bindings)
    currency = currency_id(client, bindings, position.currency)
    bill = _bill(client, invoice, position, partner, currency)
    bindings.remember("fee-bill", key, "account.move", bill["id"], durable=True)
    if position.credited > 0:
        bill = _credit_notes(client, invoice, position, partner, currency, bill)
    _pay(client, invoice, position, partner, currency, bill)
    # What the binding holds for "fee-version" is the version applied, not an Odoo id: the bill is the record it concerns.
    bindings.remember("fee-version", key, "account.move", position.version, durable=True)
    return bill["id"]


__all__ = ["LOOM_REF", "FeePosition", "bill_ref", "loom_partner", "sync_fee"]
