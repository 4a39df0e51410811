"""What the Odoo connector does when the marketplace publishes an event: queue a sync, if the group connected an Odoo.

The sync itself runs from the outbox (`erp_connector.handlers`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from erp_connector.links import link_of
from marketplace.billing.models import Invoice
from marketplace.orders.models import Order
from marketplace.outbox import topics
from marketplace.outbox.events import (
    DirectFeeChanged,
    InvoiceIssued,
    InvoicePaymentChanged,
    OrderCancelled,
    OrderConfirmed,
    OrderTraced,
)
from marketplace.outbox.services import enqueue


def sync_order(session: Session, event: OrderConfirmed | OrderCancelled) -> None:
    """Queue the order for the group's Odoo: a confirmed sale order, or its cancellation."""
    queue_order_sync(session, event.order)


def sync_trace(session: Session, event: OrderTraced) -> None:
    """Queue the order's new trace events for the group's Odoo."""
    queue_trace_sync(session, event.order)


def sync_invoice(session: Session, event: InvoiceIssued) -> None:
    """Queue the new invoice for the group's Odoo."""
    queue_invoice_sync(session, event.invoice)


def sync_payment(session: Session, event: InvoicePaymentChanged) -> None:
    """Queue the invoice's money news for the group's Odoo."""
    queue_payment_sync(session, event.invoice)


def sync_fee(session: Session, event: DirectFeeChanged) -> None:
    """Queue Loom's fee position on a directly paid invoice for the group's Odoo (a vendor bill from Loom), if it has one.

    The message carries the whole position, amounts as decimal strings (the fee ledger lives in `payments`, which
    the connector does not read); within a transaction the last position published wins.
    """
    invoice = event.invoice
    if link_of(session, invoice.group_id) is not None:
        enqueue(
            session,
            topics.SYNC_FEE,
            invoice.id,
            {
                "group": invoice.group_id,
                "currency": invoice.currency,
                "charged": str(event.charged),
                "credited": str(event.credited),
                "settled": str(event.settled),
                "version": event.version,
                "charged_on": event.charged_on.isoformat(),
            },
            coalesce=True,
        )


def queue_order_sync(session: Session, order: Order) -> None:
    """Queue the order for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_ORDER, order.id, {"group": order.group_id}, coalesce=True)


def queue_invoice_sync(session: Session, invoice: Invoice) -> None:
    """Queue the invoice for the group's Odoo, if the group connected one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_INVOICE, invoice.id, {"group": invoice.group_id})


def queue_payment_sync(session: Session, invoice: Invoice) -> None:
    """Queue an invoice's money news (paid, refunded, paid out, void) for the group's Odoo, if it has one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_PAYMENT, invoice.id, {"group": invoice.group_id}, coalesce=True)


def queue_trace_sync(session: Session, order: Order) -> None:
    """Queue the order's new trace events for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_TRACE, order.id, {"group": order.group_id}, coalesce=True)
