"""Issuing invoices: numbered per producer group in one unbroken sequence."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp_connector.services import announce_invoice
from marketplace.billing.models import Invoice, InvoiceKind
from marketplace.orders.models import Order
from marketplace.producers.models import ProducerGroup

PAYMENT_TERMS_DAYS = 14


def issue_invoice(session: Session, order: Order, *, kind: InvoiceKind, amount: Decimal, today: dt.date) -> Invoice:
    """Issue the next invoice in the group's sequence (the group row is locked while the number is taken)."""
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.id == order.group_id).with_for_update())
    sequence = (session.scalar(select(func.max(Invoice.sequence)).where(Invoice.group_id == group.id)) or 0) + 1
    invoice = Invoice(
        order_id=order.id,
        group_id=group.id,
        sequence=sequence,
        number=f"{group.slug[:12].upper().rstrip('-')}-{sequence:05d}",
        kind=kind,
        amount=amount.quantize(Decimal("0.01")),
        currency=order.currency,
        due_on=today + dt.timedelta(days=PAYMENT_TERMS_DAYS),
    )
    session.add(invoice)
    session.flush()
    announce_invoice(session, invoice)
    return invoice


def invoices_of(session: Session, order_id: int) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.sequence)))
