"""What the Odoo connector does when the marketplace publishes an event: queue a sync, if the group connected an Odoo."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erp_connector.services import queue_invoice_sync, queue_order_sync, queue_payment_sync, queue_trace_sync
from marketplace.outbox.events import InvoiceIssued, InvoicePaymentChanged, OrderCancelled, OrderConfirmed, OrderTraced


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
