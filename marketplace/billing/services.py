"""Issuing invoices: numbered per producer group in one unbroken sequence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.billing.models import GroupSalesTax, Invoice, InvoiceKind
from marketplace.billing.taxes import TaxRule
from marketplace.i18n import lazy_gettext as _l
from marketplace.i18n import lazy_money, lazy_number
from marketplace.money import is_rounded
from marketplace.outbox.events import InvoiceIssued, publish
from marketplace.producers.models import ProducerGroup

if TYPE_CHECKING:
    from marketplace.orders.models import Order

PAYMENT_TERMS_DAYS = 14


def invoice_number(group: ProducerGroup, sequence: int) -> str:
    """The number people read: the group's slug (up to 12 characters), its id and its sequence, unique marketplace-wide.

    The id keeps two groups whose slugs share their first 12 characters apart ("KISUMU-WEAVE-7-00012");
    Stripe idempotency keys and Odoo's invoice reference carry it.
    """
    return f"{group.slug[:12].upper().rstrip('-')}-{group.id}-{sequence:05d}"


def sales_tax_of(session: Session, group_id: int) -> TaxRule | None:
    """Return the sales tax rule the group charges on its Loom prices now (None: no tax)."""
    row = session.scalar(select(GroupSalesTax).where(GroupSalesTax.group_id == group_id))
    return row.rule if row is not None else None


def set_sales_tax(session: Session, group_id: int, rule: TaxRule | None) -> None:
    """Keep the sales tax the group charges on orders accepted from now on (None: no tax); orders already made keep theirs."""
    row = session.scalar(select(GroupSalesTax).where(GroupSalesTax.group_id == group_id))
    if rule is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = GroupSalesTax(group_id=group_id)
        session.add(row)
    row.name, row.rate, row.included, row.per_line = rule.name[:120], rule.rate, rule.included, rule.per_line


def issue_invoice(session: Session, order: Order, *, kind: InvoiceKind, amount: Decimal, tax: Decimal = Decimal(0)) -> Invoice:
    """Issue the next invoice in the group's sequence (the group row is locked while the number is taken).

    `amount` is what the buyer pays, `tax` the sales tax in it (`marketplace.billing.taxes`), both in
    the order's currency and already rounded to it (`marketplace.money`):
    raises `ValueError` otherwise, so a split that does not add up never reaches a buyer. The invoice
    is dated today in the group's calendar (its organization's time zone) and due 14 days later.
    Publishes `invoice.issued` in the caller's transaction (the group's Odoo gets the invoice).
    """
    if not is_rounded(amount, order.currency) or not is_rounded(tax, order.currency):
        raise ValueError(f"invoice amount {amount} (tax {tax}) has more decimals than {order.currency} allows")
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.id == order.group_id).with_for_update())
    sequence = (session.scalar(select(func.max(Invoice.sequence)).where(Invoice.group_id == group.id)) or 0) + 1
    invoice = Invoice(
        order_id=order.id,
        group_id=group.id,
        sequence=sequence,
        number=invoice_number(group, sequence),
        kind=kind,
        amount=amount,
        tax_amount=tax,
        currency=order.currency,
        issue_date=(issued := group.organization.today()),
        due_on=issued + dt.timedelta(days=PAYMENT_TERMS_DAYS),
    )
    session.add(invoice)
    session.flush()
    publish(session, InvoiceIssued(invoice))
    return invoice


def invoices_of(session: Session, order_id: int) -> list[Invoice]:
    """List the order's invoices in the order they were issued (by the group's sequence)."""
    return list(session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.sequence)))


def tax_sentence(invoice: Invoice) -> object:
    """Say which sales tax an invoice's amount includes, for e-mails ("" when it has none)."""
    order = invoice.order
    if not invoice.tax_amount or order.tax_rate is None:
        return ""
    return _l(
        "It includes %(tax)s of %(tax_name)s (%(tax_rate)s %%).",
        tax=lazy_money(invoice.tax_amount, invoice.currency),
        tax_name=order.tax_name or "",
        tax_rate=lazy_number(order.tax_rate),  # "7.5" in English, "7,5" in French, as the pages write it
    )
