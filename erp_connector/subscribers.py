"""What the Odoo connector does when the marketplace publishes an event: queue a sync, if the group connected an Odoo."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erp_connector.services import announce_invoice, announce_order, announce_payment, announce_trace
from marketplace.outbox.events import InvoiceIssued, InvoicePaymentChanged, OrderCancelled, OrderConfirmed, OrderTraced


def sync_order(session: Session, event: OrderConfirmed | OrderCancelled) -> None:
    """Queue the order for the group's Odoo: a confirmed sale order, or its cancellation."""
    announce_order(session, event.order)


def sync_trace(session: Session, event: OrderTraced) -> None:
    """Queue the order's new trace events for the group's Odoo."""
    announce_trace(session, event.order)


def sync_invoice(session: Session, event: InvoiceIssued) -> None:
    """Queue the new invoice for the group's Odoo."""
    announce_invoice(session, event.invoice)


def sync_payment(session: Session, event: InvoicePaymentChanged) -> None:
    """Queue the invoice's money news for the group's Odoo."""
    announce_payment(session, event.invoice)
