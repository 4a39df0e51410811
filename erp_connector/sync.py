"""Putting confirmed Loom orders into a group's Odoo exactly once, with Loom's numbers.

Every remote record is looked up by its natural key before anything is created — the buyer's
partner by `ref`, products by `default_code`, the order by `client_order_ref` and partner — and
remembered in a local binding. Work is batched: one look-up per model for a whole batch of orders,
one `create` of all the missing orders with their lines, one `action_confirm` of every order still in
draft. A call whose answer was lost may have committed; the next attempt finds what it made instead
of making it again.

Money is explicit: each order goes in its own currency (through Loom's pricelist in that currency)
and every line carries the group's tax mapping, so Odoo's defaults (the company currency, the
default sales tax) never decide an amount. After each push Odoo's `amount_total` is read back and
compared with what Loom expects; an order whose total differs stays a quotation and is reported.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from erp_connector.amounts import NO_TAX, TaxMapping, same_amount, show
from erp_connector.client import OdooCallError, OdooClient, encode
from erp_connector.models import ErpBinding, ErpLink
from marketplace.accounts.models import Organization
from marketplace.db import write_transaction
from marketplace.orders.models import Order, OrderStatus
from marketplace.trace.epcis import epcis_document
from marketplace.trace.services import chain_of


class SyncMismatch(Exception):
    """Odoo holds (or would hold) other money than Loom: another total, a currency it cannot use, an order it refused to cancel.

    Retrying cannot help; a person must change the tax mapping, the currency or the record in Odoo,
    so the outbox dead-letters the message with this text, which gives both numbers.
    """


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
    problems: dict[int, str] = field(default_factory=dict)  # Loom order id -> why its money in Odoo is not Loom's


def buyer_ref(organization: Organization) -> str:
    """Return the natural key of a buyer's partner in Odoo (`res.partner.ref`): "LOOM-BUYER-<id>"."""
    return f"LOOM-BUYER-{organization.id}"


def keyed(client: OdooClient, key: str) -> str:
    """Return the natural key as written in this Odoo: Loom's key behind the instance's tag (empty by default)."""
    return f"{client.key_tag}{key}"


def tax_field(client: OdooClient) -> str:
    """Name the sale line's taxes field: `tax_id` on 17 and 18, `tax_ids` from 19 (as fields_get shows)."""
    return "tax_ids" if client.server.major >= 19 else "tax_id"


def mapping_for(session: Session, group_id: int) -> TaxMapping:
    """Return the tax mapping the group chose on its Odoo page (no tax until it chooses one)."""
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group_id))
    if link is None or not link.tax_id:
        return NO_TAX
    return TaxMapping(link.tax_id, Decimal(link.tax_rate or 0), link.prices_include_tax, link.tax_name or "")


class Bindings:
    """The bindings a batch needs, read in one query and written as records are found or made."""

    def __init__(self, session: Session, group_id: int, wanted: dict[str, set[str]]) -> None:
        self.session, self.group_id = session, group_id
        conditions = [
            and_(ErpBinding.local_model == model, ErpBinding.local_key.in_(keys)) for model, keys in wanted.items() if keys
        ]
        rows = session.scalars(select(ErpBinding).where(ErpBinding.group_id == group_id, or_(*conditions))) if conditions else []
        self.known = {(b.local_model, b.local_key): b.odoo_id for b in rows}

    def get(self, local_model: str, key: str) -> int | None:
        """Return the Odoo id bound to Loom's `local_model` record `key`, or None when none is known."""
        return self.known.get((local_model, key))

    def remember(self, local_model: str, key: str, odoo_model: str, odoo_id: int, *, durable: bool = False) -> None:
        """Bind the Loom thing to the Odoo record; `durable` commits the binding at once, in a short write transaction of its own.

        Durable is for records Odoo has no natural key for (a chatter note) and for the last step of a
        record (a posted invoice): a failure later in the same run must not roll their binding back.
        """
        if self.known.get((local_model, key)) == odoo_id:
            return
        if durable:
            with write_transaction(self.session):
                self._bind(local_model, key, odoo_model, odoo_id)
        else:
            self._bind(local_model, key, odoo_model, odoo_id)
        self.known[(local_model, key)] = odoo_id

    def _bind(self, local_model: str, key: str, odoo_model: str, odoo_id: int) -> None:
        existing = self.session.scalar(
            select(ErpBinding).where(
                ErpBinding.group_id == self.group_id, ErpBinding.local_model == local_model, ErpBinding.local_key == key
            )
        )
        if existing is None:
            self.session.add(
                ErpBinding(group_id=self.group_id, local_model=local_model, local_key=key, odoo_model=odoo_model, odoo_id=odoo_id)
            )
        else:
            existing.odoo_id = odoo_id  # the record was deleted and made again in Odoo
        self.session.flush()


# Every chatter note Loom posts ends with "Loom ref. <marker>": what finds it again when the answer to its
# message_post was lost after Odoo committed it (a timeout, a dropped connection) — Odoo has no other key for a note.
MARKER = "Loom ref. "
_MARKED = re.compile(r"Loom ref\. ([\w:.\-]+)")


def note_marker(client: OdooClient, kind: str, key: str) -> str:
    """Return the stable marker of a note (`trace:<event hash>`, `fact:<fact key>`), behind this instance's tag."""
    return f"{keyed(client, kind)}:{key}"


def posted_notes(client: OdooClient, order_odoo_id: int, kind: str) -> dict[str, int]:
    """Find the notes of that kind Loom already posted on a sale order: marker -> mail.message id (one search)."""
    rows = client.search_read(
        "mail.message",
        [["model", "=", "sale.order"], ["res_id", "=", order_odoo_id], ["body", "ilike", f"{MARKER}{keyed(client, kind)}:"]],
        ["id", "body"],
    )
    found: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        for marker in _MARKED.findall(row["body"] or ""):
            found.setdefault(marker, row["id"])
    return found


def post_note(client: OdooClient, order_odoo_id: int, body: str, marker: str, posted: dict[str, int]) -> int:
    """Post an HTML note on the sale order's chatter unless a note with its marker is already there; return its mail.message
    id."""
    if marker in posted:
        return posted[marker]
    result = client.execute(
        "sale.order",
        "message_post",
        [order_odoo_id],
        body=f"{body}<p><small>{MARKER}{html.escape(marker)}</small></p>",
        body_is_html=True,
        message_type="comment",
        subtype_xmlid="mail.mt_note",
    )
    message_id = result[0] if isinstance(result, list) else result  # a list from Odoo 19 on
    posted[marker] = message_id
    return message_id


def _partners(client: OdooClient, bindings: Bindings, buyers: dict[str, Organization], report: SyncReport) -> dict[str, int]:
    ids = {ref: i for ref in buyers if (i := bindings.get("buyer", ref))}
    missing = [ref for ref in buyers if ref not in ids]
    if missing:
        for row in client.search_read("res.partner", [["ref", "in", [keyed(client, r) for r in missing]]], ["id", "ref"]):
            ids.setdefault(row["ref"].removeprefix(client.key_tag), row["id"])
        to_make = [ref for ref in missing if ref not in ids]
        if to_make:
            codes = sorted({buyers[r].country for r in to_make if buyers[r].country})
            countries = (
                {row["code"]: row["id"] for row in client.search_read("res.country", [["code", "in", codes]], ["id", "code"])}
                if codes
                else {}
            )
            made = client.create(
                "res.partner",
                [
                    encode(
                        {
                            "name": buyers[r].name,
                            "is_company": True,
                            "ref": keyed(client, r),
                            "country_id": countries.get(buyers[r].country),
                        }
                    )
                    for r in to_make
                ],
            )
            ids.update(zip(to_make, made, strict=True))
            report.partners_created += len(made)
        for ref in missing:
            bindings.remember("buyer", ref, "res.partner", ids[ref])
    return ids


def _products(
    client: OdooClient, bindings: Bindings, lines: dict[str, tuple[str, float]], mapping: TaxMapping, report: SyncReport
) -> dict[str, int]:
    ids = {sku: i for sku in lines if (i := bindings.get("sku", sku))}
    missing = [sku for sku in lines if sku not in ids]
    if missing:
        for row in client.search_read(
            "product.product", [["default_code", "in", [keyed(client, s) for s in missing]]], ["id", "default_code"]
        ):
            ids.setdefault(row["default_code"].removeprefix(client.key_tag), row["id"])
        to_make = [sku for sku in missing if sku not in ids]
        if to_make:
            # Explicit taxes on the product too: left out, Odoo would give it the company's default sales tax.
            made = client.create(
                "product.product",
                [
                    {
                        "name": lines[s][0],
                        "default_code": keyed(client, s),
                        "list_price": lines[s][1],
                        "sale_ok": True,
                        "taxes_id": [[6, 0, mapping.tax_ids]],
                    }
                    for s in to_make
                ],
            )
            ids.update(zip(to_make, made, strict=True))
            report.products_created += len(made)
        for sku in missing:
            bindings.remember("sku", sku, "product.product", ids[sku])
    return ids


def currency_id(client: OdooClient, bindings: Bindings, code: str) -> int:
    """Return the id of an ISO 4217 currency in this Odoo; raise SyncMismatch, saying what to do, when it is not active there."""
    known = bindings.get("currency", code)
    if known:
        return known
    rows = client.search_read("res.currency", [["name", "=", code]], ["id", "active"], context={"active_test": False})
    if not rows or not rows[0]["active"]:
        raise SyncMismatch(
            f"{code} is not an active currency in your Odoo, so Odoo cannot hold this {code} amount. In Odoo, open "
            f"Accounting › Configuration › Currencies, activate {code}, then press Retry on Loom's Odoo page."
        )
    bindings.remember("currency", code, "res.currency", rows[0]["id"])
    return rows[0]["id"]


def pricelist_id(client: OdooClient, bindings: Bindings, code: str) -> int:
    """Find or make Loom's own pricelist in the currency (no rules), what puts a sale order in it; return its id."""
    known = bindings.get("pricelist", code)
    if known:
        return known
    currency = currency_id(client, bindings, code)
    name = keyed(client, f"Loom {code}")
    rows = client.search_read("product.pricelist", [["name", "=", name], ["currency_id", "=", currency]], ["id"])
    found = rows[0]["id"] if rows else client.create("product.pricelist", [{"name": name, "currency_id": currency}])[0]
    bindings.remember("pricelist", code, "product.pricelist", found)
    return found


def _commitment(order: Order) -> str:
    # Odoo wants naive UTC "YYYY-MM-DD HH:MM:SS" and refuses the ISO "T" form.
    return dt.datetime.combine(order.ship_by, dt.time(9, 0)).strftime("%Y-%m-%d %H:%M:%S")


def _order_values(
    client: OdooClient, order: Order, partner_id: int, pricelist: int, products: dict[str, int], mapping: TaxMapping
) -> dict:
    taxes = tax_field(client)
    return encode(
        {
            "partner_id": partner_id,
            "client_order_ref": keyed(client, order.number),
            "pricelist_id": pricelist,
            "commitment_date": _commitment(order),
            "note": f"<p>Loom order {order.number}, {order.incoterm}, ship by {order.ship_by:%d %b %Y}</p>",
            "order_line": [
                [
                    0,
                    0,
                    {
                        "product_id": products[line.sku],
                        "product_uom_qty": line.quantity,
                        "price_unit": float(line.unit_price),
                        "name": line.description,
                        taxes: [[6, 0, mapping.tax_ids]],
                    },
                ]
                for line in order.lines
            ],
        }
    )


def describe(order: Order) -> str:
    """Say in words which tax Loom priced the order with ("VAT 15% (15 %), added on top of Loom's prices")."""
    rule = order.tax_rule
    if rule is None:
        return "no tax charged by Loom"
    how = "included in Loom's prices" if rule.included else "added on top of Loom's prices"
    return f"{rule.name or 'tax'} ({rule.rate.normalize():f} %), {how}"


def check_tax(client: OdooClient, mapping: TaxMapping, order: Order) -> None:
    """Raise SyncMismatch, with both descriptions, when the Odoo tax Loom would put on the order's lines is not the one Loom
    charged.

    The tax Loom charged is the order's copy of the group's rule; the Odoo tax is the one mapped on
    Loom's Odoo page, read now: its kind, rate, "included in price" and its company's rounding
    (`tax_calculation_rounding_method`). A tax changed in Odoo after it was mapped is said, not booked.
    """
    rule = order.tax_rule
    if rule is None:
        return
    if not mapping.tax_id:
        raise SyncMismatch(
            f"Order {order.number}: Loom charged the buyer {describe(order)}, but no Odoo tax is mapped on Loom's Odoo page. "
            "Choose that tax there, then press Retry."
        )
    rows = client.execute(
        "account.tax", "read", [mapping.tax_id], fields=["name", "amount", "amount_type", "price_include", "company_id", "active"]
    )
    now = odoo_tax_rule(client, rows[0]) if rows and rows[0].get("active", True) else None
    if now == TaxRuleOdoo(rule.rate, rule.included, rule.per_line, "percent"):
        return
    seen = "deleted or archived" if now is None else now.describe()
    raise SyncMismatch(
        f"Order {order.number}: Loom charged the buyer {describe(order)} "
        f"({'per line' if rule.per_line else 'rounded globally'}), "
        f"but the tax mapped in your Odoo is now {seen}. Odoo would book another total than the buyer paid, so Loom sent "
        "nothing. "
        "Put the tax back as it was in Odoo (Accounting › Configuration › Taxes), then press Retry."
    )


@dataclass(frozen=True)
class TaxRuleOdoo:
    """What Odoo says of one tax: rate (percent), included in price, its company's rounding per line, its kind."""

    rate: Decimal
    included: bool
    per_line: bool
    kind: str

    def describe(self) -> str:
        """Describe the rule in words for a sync error that compares it with the order's copy (English, as logged)."""
        if self.kind != "percent":
            return f"a “{self.kind}” tax, which Loom cannot charge"
        how = "included in prices" if self.included else "added on top of prices"
        return f"{self.rate.normalize():f} %, {how}, {'rounded per line' if self.per_line else 'rounded globally'}"


def odoo_tax_rule(client: OdooClient, row: dict[str, Any]) -> TaxRuleOdoo:
    """Read a tax row's rule and its company's rounding method (one more read)."""
    company = row["company_id"][0] if row.get("company_id") else None
    method = "round_per_line"
    if company:
        [found] = client.execute("res.company", "read", [company], fields=["tax_calculation_rounding_method"])
        method = found.get("tax_calculation_rounding_method") or method
    return TaxRuleOdoo(
        Decimal(repr(float(row["amount"]))),
        bool(row["price_include"]),
        method != "round_globally",
        row.get("amount_type") or "percent",
    )


def order_problem(order: Order, row: dict[str, Any], mapping: TaxMapping) -> str | None:
    """Say why Odoo's sale.order does not hold Loom's money (with both numbers); None when it does."""
    expected = order.total
    odoo_currency = row["currency_id"][1] if row.get("currency_id") else "?"
    if odoo_currency == order.currency and same_amount(row["amount_total"], expected, order.currency):
        return None
    return (
        f"Order {order.number}: Odoo's total is "
        f"{show(float(row['amount_total']), odoo_currency if odoo_currency != '?' else order.currency)} "
        f"{'' if odoo_currency == order.currency else '(in ' + odoo_currency + ') '}but Loom's is "
        f"{show(expected, order.currency)} "
        f"(taxes: {describe(order)}; mapped in Odoo: {mapping.describe()}). Loom left it unconfirmed in Odoo. Check the "
        "tax mapping on Loom's Odoo page and the order's "
        "taxes and pricelist in Odoo, then press Retry."
    )


ORDER_FIELDS = ["id", "client_order_ref", "state", "partner_id", "commitment_date", "amount_total", "currency_id"]


def _locked(row: dict[str, Any]) -> bool:
    # "Lock Confirmed Sales" (the implied group sale.group_auto_done_setting): from 17 on, a confirmed order keeps
    # state `sale` and gets `locked` set; `action_cancel` refuses a locked order until `action_unlock`.
    return bool(row.get("locked"))


def cancel_in_odoo(client: OdooClient, order: Order, row: dict[str, Any]) -> str | None:
    """Cancel the order's sale.order as a person would; return None when done, or why Odoo refused (a note says it there too).

    A locked order (the group's "Lock Confirmed Sales" setting) is unlocked, cancelled and locked
    again, so it stays as the group's setting wants it — also when Odoo refuses the cancellation. A
    refusal for good (OdooCallError not retryable) leaves a clear note on the sale order, once, and
    the reason is returned for the group's Odoo page; a retryable error is raised (the outbox retries).
    """
    locked = _locked(row)
    refusal: OdooCallError | None = None
    if locked:
        client.press("sale.order", "action_unlock", [row["id"]])
    try:
        # Odoo 17 and 18 answer a cancellation with a confirmation wizard unless told not to warn.
        client.execute("sale.order", "action_cancel", [row["id"]], context={"disable_cancel_warning": True})
    except OdooCallError as error:
        if error.retryable and not locked:
            raise
        refusal = error
    if locked:
        client.press("sale.order", "action_lock", [row["id"]])  # as the group's setting wants it, cancelled or not
    if refusal is None:
        return None
    if refusal.retryable:
        raise refusal
    marker = note_marker(client, "cancel-refused", order.number)
    body = (
        f"<p><b>Loom order {html.escape(order.number)} was cancelled in Loom</b>, but Odoo refused to cancel this sales order: "
        f"{html.escape(str(refusal))}</p><p>Cancel it here once the cause is fixed, or fix the cause and press Retry on "
        "Loom's Odoo page.</p>"
    )
    post_note(client, row["id"], body, marker, posted_notes(client, row["id"], "cancel-refused"))
    return (
        f"Order {order.number} was cancelled in Loom, but Odoo refused to cancel its sales order: {refusal}. "
        "A note on the sales order in Odoo says so; fix the cause there, then press Retry."
    )


def sync_orders(session: Session, client: OdooClient, group_id: int, orders: Iterable[Order]) -> SyncReport:
    """Make every order exist once in Odoo as a confirmed sale.order with its lines, in its currency, with Loom's taxes.

    An order whose total in Odoo differs from Loom's (or whose currency Odoo cannot use) is not
    confirmed; the report's `problems` says why, with both numbers.
    """
    orders = list(orders)
    report = SyncReport()
    if not orders:
        return report
    calls_before = client.calls
    mapping = mapping_for(session, group_id)
    buyers = {buyer_ref(o.buyer): o.buyer for o in orders}
    skus = {line.sku: (line.description, float(line.unit_price)) for o in orders for line in o.lines}
    currencies = {o.currency for o in orders}
    bindings = Bindings(
        session,
        group_id,
        {
            "buyer": set(buyers),
            "sku": set(skus),
            "order": {str(o.id) for o in orders},
            "currency": currencies,
            "pricelist": currencies,
        },
    )
    partners = _partners(client, bindings, buyers, report)
    products = _products(client, bindings, skus, mapping, report)

    fields = [*ORDER_FIELDS, "locked"]
    numbers = {keyed(client, o.number): o for o in orders}
    rows = client.search_read("sale.order", [["client_order_ref", "in", list(numbers)]], fields)
    # The natural key is the reference *and* the customer: an order someone typed by hand for another partner is not ours.
    found = {
        numbers[r["client_order_ref"]].number: r
        for r in rows
        if r["partner_id"] and r["partner_id"][0] == partners[buyer_ref(numbers[r["client_order_ref"]].buyer)]
    }
    # An order cancelled before it ever reached Odoo has nothing to tell Odoo.
    orders = [o for o in orders if o.number in found or o.status != OrderStatus.CANCELLED]
    pricelists: dict[str, int] = {}
    for code in sorted({o.currency for o in orders if o.number not in found}):
        try:
            pricelists[code] = pricelist_id(client, bindings, code)
        except SyncMismatch as error:
            report.problems.update(
                {o.id: f"Order {o.number}: {error}" for o in orders if o.currency == code and o.number not in found}
            )
    for order in [o for o in orders if o.number not in found and o.id not in report.problems]:
        try:
            check_tax(client, mapping, order)
        except SyncMismatch as error:
            report.problems[order.id] = str(error)
    to_create = [o for o in orders if o.number not in found and o.id not in report.problems]
    if to_create:
        made = client.create(
            "sale.order",
            [
                _order_values(client, o, partners[buyer_ref(o.buyer)], pricelists[o.currency], products, mapping)
                for o in to_create
            ],
        )
        for row in client.execute("sale.order", "read", made, fields=fields):  # read back what Odoo made of Loom's numbers
            found[next(o.number for o, i in zip(to_create, made, strict=True) if i == row["id"])] = row
        report.orders_created = len(made)
    orders = [o for o in orders if o.number in found]
    report.orders_found = len(orders) - len(to_create)
    live = [o for o in orders if o.status != OrderStatus.CANCELLED]
    for order in live:
        problem = report.problems.get(order.id) or order_problem(order, found[order.number], mapping)
        if problem:
            report.problems[order.id] = problem
    drafts = [
        found[o.number]["id"] for o in live if found[o.number]["state"] in ("draft", "sent") and o.id not in report.problems
    ]
    if drafts:
        client.execute("sale.order", "action_confirm", drafts)
        report.orders_confirmed = len(drafts)
    # Later changes: a new ship date, a cancellation.
    for order in live:
        commitment = _commitment(order)
        if found[order.number].get("commitment_date") != commitment:
            client.execute("sale.order", "write", [found[order.number]["id"]], {"commitment_date": commitment})
    # One by one (cancellations are rare): Odoo's refusal of one is that order's problem only.
    for order in orders:
        if order.status == OrderStatus.CANCELLED and found[order.number]["state"] != "cancel":
            refused = cancel_in_odoo(client, order, found[order.number])
            if refused:
                report.problems[order.id] = refused
            else:
                report.orders_cancelled += 1
    for order in orders:
        bindings.remember("order", str(order.id), "sale.order", found[order.number]["id"])
        report.odoo_ids[order.id] = found[order.number]["id"]
    report.calls = client.calls - calls_before
    return report


class NotesSetAside(Exception):
    """Odoo refused some notes for good; the others were posted. The message says which, and why."""


def odoo_order_id(session: Session, client: OdooClient, group_id: int, order: Order) -> int | None:
    """Return the order's sale.order id in the group's Odoo, syncing the order first if needed.

    None for an order cancelled before it ever reached Odoo: nothing of it belongs there. Raises
    SyncMismatch when Odoo cannot hold the order's money as Loom has it.
    """
    known = Bindings(session, group_id, {"order": {str(order.id)}}).get("order", str(order.id))
    if known is not None:
        return known
    report = sync_orders(session, client, group_id, [order])
    if order.id in report.problems:
        raise SyncMismatch(report.problems[order.id])
    return report.odoo_ids.get(order.id)


def sync_trace(session: Session, client: OdooClient, group_id: int, order: Order) -> int:
    """Post each trace event not yet in Odoo as a chatter note, and keep the EPCIS file attached current; return the notes posted.

    Each note is looked up by its marker before it is posted, and its binding committed at once. An
    event Odoo refuses for good is set aside — the later events still go — and NotesSetAside is
    raised at the end, naming it, so the group sees it on its Odoo page and can retry it.
    """
    events = chain_of(session, order.id)
    order_odoo_id = odoo_order_id(session, client, group_id, order)
    if order_odoo_id is None:
        return 0  # cancelled before it reached Odoo
    bindings = Bindings(session, group_id, {"trace": {str(e.id) for e in events}, "trace-file": {str(order.id)}})
    posted = 0
    set_aside: list[str] = []
    pending = [e for e in events if not bindings.get("trace", str(e.id))]
    already = posted_notes(client, order_odoo_id, "trace") if pending else {}
    for event in pending:
        note = html.escape(event.why.get("note") or event.biz_step.rsplit(":", 1)[-1])
        body = (
            f"<p><b>Loom trace</b> · {html.escape(event.kind.value)} · {event.event_time:%Y-%m-%d %H:%M} UTC · "
            f"{html.escape(event.read_point)}</p><p>{note}</p><p><small>hash {event.hash[:16]}…</small></p>"
        )
        marker = note_marker(client, "trace", event.hash)
        found = marker in already
        try:
            message_id = post_note(client, order_odoo_id, body, marker, already)
        except OdooCallError as error:
            if error.retryable:
                raise
            set_aside.append(
                f"the trace event of {event.event_time:%Y-%m-%d %H:%M} UTC ({event.biz_step.rsplit(':', 1)[-1]}): {error}"
            )
            continue
        bindings.remember("trace", str(event.id), "mail.message", message_id, durable=True)
        posted += not found
    if posted or not bindings.get("trace-file", str(order.id)):
        name = f"{order.number}-trace.epcis.json"
        datas = base64.b64encode(
            json.dumps(epcis_document(events, with_notes=True), indent=1).encode()
        ).decode()  # the group's own Odoo
        existing = client.search_read(
            "ir.attachment", [["res_model", "=", "sale.order"], ["res_id", "=", order_odoo_id], ["name", "=", name]], ["id"]
        )
        if existing:
            client.execute("ir.attachment", "write", [existing[0]["id"]], {"datas": datas})
            attachment_id = existing[0]["id"]
        else:
            [attachment_id] = client.create(
                "ir.attachment",
                [
                    {
                        "name": name,
                        "res_model": "sale.order",
                        "res_id": order_odoo_id,
                        "datas": datas,
                        "mimetype": "application/ld+json",
                        "type": "binary",
                    }
                ],
            )
        bindings.remember("trace-file", str(order.id), "ir.attachment", attachment_id, durable=True)
    if set_aside:
        raise NotesSetAside(
            f"Order {order.number}: Odoo refused {len(set_aside)} trace note(s), set aside while the others went on: "
            + "; ".join(set_aside)
            + ". Fix the cause in Odoo, then press Retry."
        )
    return posted
