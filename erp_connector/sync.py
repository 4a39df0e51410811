"""Putting confirmed Loom orders into a group's Odoo exactly once.

Every remote record is looked up by its natural key before anything is created — the buyer's
partner by `ref`, products by `default_code`, the order by `client_order_ref` — and remembered in a
local binding. Work is batched: one look-up per model for a whole batch of orders, one `create` of
all the missing orders with their lines, one `action_confirm` of every order still in draft. A call
whose answer was lost may have committed; the next attempt finds what it made instead of making it
again.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from erp_connector.client import OdooClient, encode
from erp_connector.models import ErpBinding
from marketplace.accounts.models import Organization
from marketplace.billing.models import Invoice, InvoiceStatus, PaymentStatus, Payout, PayoutStatus, RefundStatus
from marketplace.orders.models import Order, OrderStatus
from marketplace.trace.epcis import epcis_document
from marketplace.trace.services import chain_of


@dataclass
class SyncReport:
    orders_created: int = 0
    orders_found: int = 0
    orders_confirmed: int = 0
    orders_cancelled: int = 0
    partners_created: int = 0
    products_created: int = 0
    calls: int = 0
    odoo_ids: dict[int, int] = field(default_factory=dict)  # Loom order id -> sale.order id


def buyer_ref(organization: Organization) -> str:
    return f"LOOM-BUYER-{organization.id}"


class Bindings:
    """The bindings a batch needs, read in one query and written as records are found or made."""

    def __init__(self, session: Session, group_id: int, wanted: dict[str, set[str]]) -> None:
        self.session, self.group_id = session, group_id
        conditions = [and_(ErpBinding.local_model == model, ErpBinding.local_key.in_(keys)) for model, keys in wanted.items() if keys]
        rows = session.scalars(select(ErpBinding).where(ErpBinding.group_id == group_id, or_(*conditions))) if conditions else []
        self.known = {(b.local_model, b.local_key): b.odoo_id for b in rows}

    def get(self, local_model: str, key: str) -> int | None:
        return self.known.get((local_model, key))

    def remember(self, local_model: str, key: str, odoo_model: str, odoo_id: int) -> None:
        if self.known.get((local_model, key)) == odoo_id:
            return
        existing = self.session.scalar(
            select(ErpBinding).where(ErpBinding.group_id == self.group_id, ErpBinding.local_model == local_model, ErpBinding.local_key == key)
        )
        if existing is None:
            self.session.add(ErpBinding(group_id=self.group_id, local_model=local_model, local_key=key, odoo_model=odoo_model, odoo_id=odoo_id))
        else:
            existing.odoo_id = odoo_id  # the record was deleted and made again in Odoo
        self.known[(local_model, key)] = odoo_id


def _partners(client: OdooClient, bindings: Bindings, buyers: dict[str, Organization], report: SyncReport) -> dict[str, int]:
    ids = {ref: i for ref in buyers if (i := bindings.get("buyer", ref))}
    missing = [ref for ref in buyers if ref not in ids]
    if missing:
        for row in client.search_read("res.partner", [["ref", "in", missing]], ["id", "ref"]):
            ids.setdefault(row["ref"], row["id"])
        to_make = [ref for ref in missing if ref not in ids]
        if to_make:
            codes = sorted({buyers[r].country for r in to_make if buyers[r].country})
            countries = {row["code"]: row["id"] for row in client.search_read("res.country", [["code", "in", codes]], ["id", "code"])} if codes else {}
            made = client.create("res.partner", [encode({"name": buyers[r].name, "is_company": True, "ref": r,
                                                         "country_id": countries.get(buyers[r].country)}) for r in to_make])  # fmt: skip
            ids.update(zip(to_make, made, strict=True))
            report.partners_created += len(made)
        for ref in missing:
            bindings.remember("buyer", ref, "res.partner", ids[ref])
    return ids


def _products(client: OdooClient, bindings: Bindings, lines: dict[str, tuple[str, float]], report: SyncReport) -> dict[str, int]:
    ids = {sku: i for sku in lines if (i := bindings.get("sku", sku))}
    missing = [sku for sku in lines if sku not in ids]
    if missing:
        for row in client.search_read("product.product", [["default_code", "in", missing]], ["id", "default_code"]):
            ids.setdefault(row["default_code"], row["id"])
        to_make = [sku for sku in missing if sku not in ids]
        if to_make:
            made = client.create("product.product", [{"name": lines[s][0], "default_code": s, "list_price": lines[s][1], "sale_ok": True} for s in to_make])
            ids.update(zip(to_make, made, strict=True))
            report.products_created += len(made)
        for sku in missing:
            bindings.remember("sku", sku, "product.product", ids[sku])
    return ids


def _commitment(order: Order) -> str:
    # Odoo wants naive UTC "YYYY-MM-DD HH:MM:SS" and refuses the ISO "T" form.
    return dt.datetime.combine(order.ship_by, dt.time(9, 0)).strftime("%Y-%m-%d %H:%M:%S")


def _order_values(order: Order, partner_id: int, products: dict[str, int]) -> dict:
    return encode(
        {
            "partner_id": partner_id,
            "client_order_ref": order.number,
            "commitment_date": _commitment(order),
            "note": f"<p>Loom order {order.number}, {order.incoterm}, ship by {order.ship_by:%d %b %Y}</p>",
            "order_line": [
                [0, 0, {"product_id": products[line.sku], "product_uom_qty": line.quantity, "price_unit": float(line.unit_price),
                        "name": line.description}]  # fmt: skip
                for line in order.lines
            ],
        }
    )


def sync_orders(session: Session, client: OdooClient, group_id: int, orders: Iterable[Order]) -> SyncReport:
    """Make every order exist once in Odoo as a confirmed sale.order with its lines."""
    orders = list(orders)
    report = SyncReport()
    if not orders:
        return report
    calls_before = client.calls
    buyers = {buyer_ref(o.buyer): o.buyer for o in orders}
    skus = {line.sku: (line.description, float(line.unit_price)) for o in orders for line in o.lines}
    bindings = Bindings(session, group_id, {"buyer": set(buyers), "sku": set(skus), "order": {str(o.id) for o in orders}})
    partners = _partners(client, bindings, buyers, report)
    products = _products(client, bindings, skus, report)

    numbers = [o.number for o in orders]
    rows = client.search_read("sale.order", [["client_order_ref", "in", numbers]], ["id", "client_order_ref", "state", "partner_id", "commitment_date"])
    expected = {o.number: partners[buyer_ref(o.buyer)] for o in orders}
    # The natural key is the reference *and* the customer: an order someone typed by hand for another partner is not ours.
    found = {row["client_order_ref"]: row for row in rows if row["partner_id"] and row["partner_id"][0] == expected[row["client_order_ref"]]}
    # An order cancelled before it ever reached Odoo has nothing to tell Odoo.
    orders = [o for o in orders if o.number in found or o.status != OrderStatus.CANCELLED]
    to_create = [o for o in orders if o.number not in found]
    if to_create:
        made = client.create("sale.order", [_order_values(o, partners[buyer_ref(o.buyer)], products) for o in to_create])
        for order, odoo_id in zip(to_create, made, strict=True):
            found[order.number] = {"id": odoo_id, "state": "draft", "commitment_date": _commitment(order)}
        report.orders_created = len(made)
    report.orders_found = len(orders) - len(to_create)
    live = [o for o in orders if o.status != OrderStatus.CANCELLED]
    drafts = [found[o.number]["id"] for o in live if found[o.number]["state"] in ("draft", "sent")]
    if drafts:
        client.execute("sale.order", "action_confirm", drafts)
        report.orders_confirmed = len(drafts)
    # Later changes: a new ship date, a cancellation.
    for order in live:
        commitment = _commitment(order)
        if found[order.number].get("commitment_date") != commitment:
            client.execute("sale.order", "write", [found[order.number]["id"]], {"commitment_date": commitment})
    cancelled = [found[o.number]["id"] for o in orders if o.status == OrderStatus.CANCELLED and found[o.number]["state"] != "cancel"]
    if cancelled:
        # Odoo 17 and 18 answer a cancellation with a confirmation wizard unless told not to warn.
        client.execute("sale.order", "action_cancel", cancelled, context={"disable_cancel_warning": True})
        report.orders_cancelled = len(cancelled)
    for order in orders:
        bindings.remember("order", str(order.id), "sale.order", found[order.number]["id"])
        report.odoo_ids[order.id] = found[order.number]["id"]
    report.calls = client.calls - calls_before
    return report


def sync_trace(session: Session, client: OdooClient, group_id: int, order: Order) -> int:
    """Post each trace event not yet in Odoo as a chatter note, and keep the EPCIS file attached current."""
    events = chain_of(session, order.id)
    bindings = Bindings(session, group_id, {"order": {str(order.id)}, "trace": {str(e.id) for e in events}})
    order_odoo_id = bindings.get("order", str(order.id))
    if order_odoo_id is None:
        order_odoo_id = sync_orders(session, client, group_id, [order]).odoo_ids[order.id]
        bindings.known[("order", str(order.id))] = order_odoo_id
    posted = 0
    for event in events:
        if bindings.get("trace", str(event.id)):
            continue
        note = html.escape(event.why.get("note") or event.biz_step.rsplit(":", 1)[-1])
        body = (f"<p><b>Loom trace</b> · {html.escape(event.kind.value)} · {event.event_time:%Y-%m-%d %H:%M} UTC · "
                f"{html.escape(event.read_point)}</p><p>{note}</p><p><small>hash {event.hash[:16]}…</small></p>")  # fmt: skip
        result = client.execute("sale.order", "message_post", [order_odoo_id], body=body, body_is_html=True, message_type="comment",
                                subtype_xmlid="mail.mt_note")  # fmt: skip
        message_id = result[0] if isinstance(result, list) else result  # a list from Odoo 19 on
        bindings.remember("trace", str(event.id), "mail.message", message_id)
        posted += 1
    if posted or not bindings.get("trace-file", str(order.id)):
        name = f"{order.number}-trace.epcis.json"
        datas = base64.b64encode(json.dumps(epcis_document(events), indent=1).encode()).decode()
        existing = client.search_read("ir.attachment", [["res_model", "=", "sale.order"], ["res_id", "=", order_odoo_id], ["name", "=", name]], ["id"])
        if existing:
            client.execute("ir.attachment", "write", [existing[0]["id"]], {"datas": datas})
            attachment_id = existing[0]["id"]
        else:
            [attachment_id] = client.create("ir.attachment", [{"name": name, "res_model": "sale.order", "res_id": order_odoo_id, "datas": datas,
                                                               "mimetype": "application/ld+json", "type": "binary"}])  # fmt: skip
        bindings.remember("trace-file", str(order.id), "ir.attachment", attachment_id)
    return posted


def sync_invoice(session: Session, client: OdooClient, group_id: int, invoice: Invoice) -> int:
    """Make the invoice exist once in Odoo as a posted customer invoice whose lines invoice the sale lines.

    A deposit or balance invoices that share of every line's quantity, so that Odoo's invoiced
    quantities add up to the order once both are posted.
    """
    order = invoice.order
    order_id = Bindings(session, group_id, {"order": {str(order.id)}}).get("order", str(order.id))
    if order_id is None:
        order_id = sync_orders(session, client, group_id, [order]).odoo_ids[order.id]
    wanted = {"invoice": {str(invoice.id)}, "sku": {line.sku for line in order.lines}, "buyer": {buyer_ref(order.buyer)}}
    bindings = Bindings(session, group_id, wanted)
    known = bindings.get("invoice", str(invoice.id))
    rows = client.search_read("account.move", [["ref", "=", invoice.number], ["move_type", "=", "out_invoice"]], ["id", "state"])
    if known and not any(r["id"] == known for r in rows):
        known = None  # deleted in Odoo: make it again
    move = next((r for r in rows if r["id"] == known), rows[0] if rows else None)
    if move is None:
        share = invoice.amount / order.total if order.total else 0
        sale_lines = client.search_read("sale.order.line", [["order_id", "=", order_id]], ["id", "product_id", "price_unit"])
        by_product = {row["product_id"][0]: row for row in sale_lines if row["product_id"]}
        lines = []
        for line in order.lines:
            sale_line = by_product.get(bindings.get("sku", line.sku) or 0)
            lines.append([0, 0, encode({
                "product_id": sale_line["product_id"][0] if sale_line else None,
                "name": f"{invoice.kind.value.capitalize()} {float(share) * 100:.0f} %: {line.description}",
                "quantity": round(line.quantity * float(share), 4),
                "price_unit": float(line.unit_price),
                "sale_line_ids": [[6, 0, [sale_line["id"]]]] if sale_line else [],
            })])  # fmt: skip
        [move_id] = client.create("account.move", [encode({
            "move_type": "out_invoice", "partner_id": bindings.get("buyer", buyer_ref(order.buyer)), "ref": invoice.number, "invoice_origin": order.number,
            "invoice_date": invoice.issue_date.isoformat(), "invoice_line_ids": lines,
        })])  # fmt: skip
        move = {"id": move_id, "state": "draft"}
    if move["state"] == "draft":
        client.execute("account.move", "action_post", [move["id"]])
    bindings.remember("invoice", str(invoice.id), "account.move", move["id"])
    return move["id"]


def payment_facts(invoice: Invoice, payout: Payout | None) -> list[tuple[str, str]]:
    """What the group's books should learn about an invoice's money, each keyed so it is told once."""
    facts: list[tuple[str, str]] = []
    for payment in invoice.payments:
        if payment.settled_at and payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            facts.append((f"{invoice.id}:paid:{payment.id}", f"Paid by the buyer through Loom (card, Stripe) on {payment.settled_at:%Y-%m-%d}: "
                          f"{payment.amount:.2f} {payment.currency}, ref. {payment.provider_ref or payment.checkout_ref}."))  # fmt: skip
        for refund in payment.refunds:
            if refund.status == RefundStatus.SUCCEEDED:
                facts.append((f"{invoice.id}:refund:{refund.id}", f"Refunded to the buyer: {refund.amount:.2f} {refund.currency}, "
                              f"ref. {refund.provider_ref}. {refund.reason}"))  # fmt: skip
    if invoice.status == InvoiceStatus.VOID:
        facts.append((f"{invoice.id}:void", "Void in Loom: the order was cancelled before this invoice was paid."))
    if payout is not None and payout.status != PayoutStatus.PENDING:
        what = {PayoutStatus.SENT: "Payout sent to the group", PayoutStatus.CONFIRMED: "Payout received by the group",
                PayoutStatus.REVERSED: "Payout reversed"}[payout.status]  # fmt: skip
        facts.append((f"{invoice.id}:payout:{payout.id}:{payout.status.value}",
                      f"{what}: {payout.amount:.2f} {payout.currency} ({payout.gross:.2f} less Loom's fee of {payout.fee:.2f}) by "
                      f"{payout.method.value.replace('_', ' ')}, ref. {payout.reference or '–'}."))  # fmt: skip
    return facts


def register_payment(client: OdooClient, bindings: Bindings, invoice: Invoice, move_id: int) -> bool:
    """Register the buyer's payment on the posted invoice in Odoo, once (Odoo's own Register Payment wizard).

    The invoice's payment state is the natural key: an invoice Odoo already counts as paid (a call that
    timed out after Odoo committed it) is not paid again. Odoo records it in the default bank journal,
    `in_payment` until the group matches it with its bank statement (or `paid`, depending on the journal).
    """
    paying = next((p for p in invoice.payments if p.settled_at and p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)), None)
    if paying is None or bindings.get("payment", str(invoice.id)):
        return False
    [move] = client.search_read("account.move", [["id", "=", move_id]], ["payment_state"])
    if move["payment_state"] not in ("paid", "in_payment"):
        [wizard] = client.create("account.payment.register", [encode({
            "payment_date": paying.settled_at.date().isoformat(),
            "communication": f"{invoice.number} · card via Loom ({paying.provider_ref or paying.checkout_ref})",
        })], context={"active_model": "account.move", "active_ids": [move_id]})  # fmt: skip
        client.execute("account.payment.register", "action_create_payments", [wizard], context={"dont_redirect_to_payments": True})
    bindings.remember("payment", str(invoice.id), "account.move", move_id)
    return True


def sync_payment(session: Session, client: OdooClient, group_id: int, invoice: Invoice) -> int:
    """The invoice's money in the group's Odoo: the buyer's payment registered on the invoice, and each
    fact (paid, refunded, paid out, void) noted once on the sale order's chatter."""
    move_id = sync_invoice(session, client, group_id, invoice) if invoice.status != InvoiceStatus.VOID else None
    if move_id is not None:
        register_payment(client, Bindings(session, group_id, {"payment": {str(invoice.id)}}), invoice, move_id)
    order = invoice.order
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    facts = payment_facts(invoice, payout)
    bindings = Bindings(session, group_id, {"order": {str(order.id)}, "payment-fact": {key for key, _ in facts}})
    order_odoo_id = bindings.get("order", str(order.id)) or sync_orders(session, client, group_id, [order]).odoo_ids[order.id]
    posted = 0
    for key, text in facts:
        if bindings.get("payment-fact", key):
            continue
        body = f"<p><b>Loom payments</b> · invoice {html.escape(invoice.number)}{' (Odoo move ' + str(move_id) + ')' if move_id else ''}</p><p>{html.escape(text)}</p>"
        result = client.execute("sale.order", "message_post", [order_odoo_id], body=body, body_is_html=True, message_type="comment",
                                subtype_xmlid="mail.mt_note")  # fmt: skip
        bindings.remember("payment-fact", key, "mail.message", result[0] if isinstance(result, list) else result)
        posted += 1
    return posted
