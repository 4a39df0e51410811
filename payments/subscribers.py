"""What payments does when the marketplace publishes an event: settle the money of a cancelled order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.outbox.events import OrderCancelled
from payments.refunds import cancel_payments


def settle_cancelled_order(session: Session, event: OrderCancelled) -> None:
    """Void the order's unpaid invoices, refund the paid ones and hold its payouts (see `cancel_payments`)."""
    order = event.order
    cancel_payments(session, order, reason=f"Order {order.number} cancelled: {event.note}")
