"""Asking for money back: refunds of a payment, of a cancelled order's invoices, and the operator's refund desk.

A refund is recorded with its own idempotency key and sent to Stripe from the outbox
(`payments.refund_settlement.send_refund`); what comes of it is applied there.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from marketplace.db import use_case
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.i18n import label
from marketplace.money import format_money, is_rounded, minor_units
from marketplace.orders.models import Order
from marketplace.outbox import topics
from marketplace.outbox.events import InvoicePaymentChanged, publish
from marketplace.outbox.services import enqueue
from payments.collecting import paid_to_group
from payments.settings import Settings


def cancel_payments(session: Session, order: Order, *, reason: str) -> None:
    """An order was cancelled: unpaid invoices are void, paid ones refunded what is still refundable, pending payouts held.

    Cancellation is only possible before the goods are ready (the order state machine), so whatever
    the buyer paid goes back, less what was already refunded (a partial refund made in the Stripe
    dashboard, say); a transfer already made to the group is reversed with it. A pending payout is
    held, and marked reversed only once the refund has succeeded.
    """
    for invoice in session.scalars(select(Invoice).where(Invoice.order_id == order.id).with_for_update()):
        if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.FAILED, InvoiceStatus.PROCESSING):
            invoice.status = InvoiceStatus.VOID
            publish(session, InvoicePaymentChanged(invoice))
        elif invoice.status == InvoiceStatus.PAID:
            refund_invoice(session, invoice, reason=reason)


def refundable(payment: Payment) -> Decimal:
    """What can still go back to the buyer from `payment`, in its currency: paid − refunded − refunds on their way (≥ 0)."""
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return Decimal(0)
    taken = sum((r.amount for r in payment.refunds if r.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED)), Decimal(0))
    return max(payment.amount - taken, Decimal(0))


def request_refund(session: Session, payment: Payment, *, reason: str, amount: Decimal | None = None) -> Refund | None:
    """Refund `amount` of `payment` (all that is still refundable when None) from the outbox, under a key of its own.

    The caller holds the invoice's row lock. Returns None when nothing is left to refund; raises
    `DomainError` for an amount that is not positive, not in the currency's decimals, or more than
    what is refundable.
    """
    available = refundable(payment)
    amount = available if amount is None else amount
    if amount <= 0:
        if available <= 0 and amount == available:
            return None
        raise DomainError(_("A refund is an amount above zero."), field="amount")
    if not is_rounded(amount, payment.currency):
        raise DomainError(
            _(
                "Amounts in %(payment_currency)s have %(minor_units)s decimals.",
                payment_currency=payment.currency,
                minor_units=minor_units(payment.currency),
            ),
            field="amount",
        )
    if amount > available:
        raise DomainError(
            _(
                "At most %(format_money)s of this payment can still be refunded.",
                format_money=format_money(available, payment.currency),
            ),
            field="amount",
        )
    # One key per refund of the payment: a retry of the same refund sends the same key, a new refund a new one.
    refund = Refund(
        amount=amount,
        currency=payment.currency,
        reason=reason[:300],
        idempotency_key=f"loom-refund-{payment.idempotency_key}-{len(payment.refunds) + 1}",
    )
    payment.refunds.append(refund)
    session.flush()
    enqueue(session, topics.REFUND_PAYMENT, refund.id, {"invoice": payment.invoice_id})
    return refund


def refund_invoice(session: Session, invoice: Invoice, *, reason: str) -> None:
    """Refund what is still refundable of each of the invoice's payments and hold its pending payout.

    The caller holds the invoice's row lock.
    """
    for payment in invoice.payments:
        request_refund(session, payment, reason=reason)
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    if payout is not None and payout.status == PayoutStatus.PENDING:
        payout.note = "Held: the order was cancelled and the buyer is being refunded."


@use_case
def refund_part(
    session: Session, operator_id: int, invoice_id: int, *, amount: Decimal, reason: str, settings: Settings
) -> Refund:
    """The operator gives part of a paid invoice back (a damaged part of a shipment, say), with the reason the buyer reads.

    Raises `NotFound`, `Conflict` (the invoice is not paid) or `DomainError` (no reason, an amount
    above what is refundable or with too many decimals).
    """
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFound(_("No such invoice."))
    if invoice.status != InvoiceStatus.PAID:
        raise Conflict(
            _(
                "This invoice is %(invoice_status)s; only a paid invoice can be partly refunded.",
                invoice_status=label(invoice.status),
            )
        )
    if not reason.strip():
        raise DomainError(_("Say why the money goes back; the buyer and the group read it."), field="reason")
    payment = next((p for p in invoice.payments if p.status == PaymentStatus.SUCCEEDED and refundable(p) > 0), None)
    if payment is None:
        raise Conflict(_("Everything paid on this invoice is already refunded or on its way back."))
    refund = request_refund(
        session, payment, reason=f"{reason.strip()} (refunded by the Loom team, user {operator_id})", amount=amount
    )
    assert refund is not None
    return refund


@use_case
def retry_refund(session: Session, refund_id: int) -> Refund | None:
    """Ask again for a refund Stripe could not make: a new refund of what is still refundable, up to the failed amount.

    Raises `NotFound` (no such refund) or `Conflict` (not failed, or nothing left to refund).
    """
    failed = session.get(Refund, refund_id)
    if failed is None:
        raise NotFound(_("No such refund."))
    invoice = session.get(Invoice, failed.payment.invoice_id, with_for_update=True)
    session.refresh(failed)
    if failed.status != RefundStatus.FAILED:
        raise Conflict(_("Only a failed refund can be tried again."))
    payment = failed.payment
    amount = min(failed.amount, refundable(payment))
    if amount <= 0:
        raise Conflict(_("Nothing is left to refund on this payment."))
    failed.reason = (failed.reason + " Tried again.")[:300]
    return request_refund(session, payment, reason=failed.reason, amount=amount) if invoice is not None else None


def manual_refunds(session: Session) -> list[Refund]:
    """Refunds of payments that came outside Stripe (bank transfers), waiting for the Loom team to send them back."""
    refunds = session.scalars(
        select(Refund)
        .join(Payment)
        .where(Refund.status == RefundStatus.PENDING, Payment.provider != "stripe")
        .order_by(Refund.id)
    )
    return [r for r in refunds if not paid_to_group(r.payment)]  # those the group sends back: group_refunds.refunds_due


def failed_refunds(session: Session) -> list[Refund]:
    """Refunds Stripe could not make and nobody has retried yet, newest first (the operator's desk)."""
    refunds = session.scalars(
        select(Refund).where(Refund.status == RefundStatus.FAILED).order_by(Refund.id.desc()).limit(200)
    ).all()
    return [r for r in refunds if refundable(r.payment) > 0 and not r.reason.endswith("Tried again.")]
