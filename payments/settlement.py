"""Settling payments: what Stripe (or the operator, for a bank transfer) says about a payment, applied to it and its invoice.

An invoice's status is derived from its payments (`settle_invoice`); an invoice becoming paid plans
the group's payout (`payments.payouts.plan_payout`) and one paid twice or after its order was
cancelled is refunded (`payments.refunds`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from marketplace.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from marketplace.billing.services import tax_sentence
from marketplace.db import lock, use_case, utcnow
from marketplace.errors import Conflict, DomainError
from marketplace.i18n import label, lazy_join, lazy_money
from marketplace.i18n import lazy_gettext as _l
from marketplace.money import format_money
from marketplace.notifications import notify
from marketplace.orders.models import Order, OrderStatus
from marketplace.outbox.events import InvoicePaymentChanged, publish
from payments.collecting import DIRECT
from payments.gateway import stripe_id
from payments.models import CollectingAccount
from payments.payouts import plan_payout
from payments.refunds import refund_invoice, request_refund
from payments.settings import Settings


def record_checkout(session: Session, payment: Payment, checkout: Mapping[str, Any]) -> None:
    """Remember the Checkout Session's id and URL on `payment`, and its PaymentIntent once the session is complete."""
    payment.checkout_ref = payment.checkout_ref or checkout["id"]
    payment.checkout_url = checkout.get("url") or payment.checkout_url
    # Stripe makes the PaymentIntent when the buyer pays; before that a session's `payment_intent` means nothing yet.
    if checkout.get("status") == "complete" and checkout.get("payment_intent") and not payment.provider_ref:
        payment.provider_ref = stripe_id(checkout["payment_intent"])


def checkout_status(checkout: Mapping[str, Any]) -> tuple[PaymentStatus, str]:
    """Translate a Checkout Session's state into a payment status and a reason for a failure ("" otherwise)."""
    if checkout.get("status") == "expired":
        return PaymentStatus.FAILED, "The checkout page expired before it was paid."
    if checkout.get("status") == "complete":
        paid = checkout.get("payment_status") in ("paid", "no_payment_required")
        return (PaymentStatus.SUCCEEDED, "") if paid else (PaymentStatus.PROCESSING, "")
    return PaymentStatus.PENDING, ""


def intent_status(intent: Mapping[str, Any]) -> tuple[PaymentStatus, str]:
    """Translate a PaymentIntent's state into a payment status and a reason for a failure ("" otherwise)."""
    status = intent.get("status")
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED, ""
    if status == "processing":
        return PaymentStatus.PROCESSING, ""
    if status == "canceled":
        return PaymentStatus.FAILED, "The payment was cancelled."
    error = intent.get("last_payment_error")
    if status == "requires_payment_method" and error:
        return PaymentStatus.FAILED, str(error.get("message") or "The card was declined.")
    return PaymentStatus.PENDING, ""


def _settling() -> tuple[ORMOption, ...]:
    """What settling a payment reads: its invoice with the invoice's order, buyer, group and payments, loaded with it."""
    invoice = joinedload(Payment.invoice, innerjoin=True)
    return (
        invoice.joinedload(Invoice.order, innerjoin=True).joinedload(Order.buyer, innerjoin=True),
        invoice.joinedload(Invoice.group, innerjoin=True),
        invoice.selectinload(Invoice.payments),
    )


def find_payment(session: Session, obj: Mapping[str, Any]) -> Payment | None:
    """The payment a Checkout Session or PaymentIntent belongs to: by its id, else by the metadata Loom set.

    The payment row is locked (FOR UPDATE, the payment alone); what settling it reads comes in the same
    round trip, so applying the event neither lazy-loads nor autoflushes half-made changes on the way.
    """
    column = Payment.checkout_ref if obj.get("object") == "checkout.session" else Payment.provider_ref
    payment = session.scalar(select(Payment).where(column == obj["id"]).options(*_settling()).with_for_update(of=Payment))
    if payment is None and (obj.get("metadata") or {}).get("loom_payment", "").isdigit():
        payment = session.get(Payment, int(obj["metadata"]["loom_payment"]), options=_settling(), with_for_update={"of": Payment})
    return payment


def apply_checkout(
    session: Session, payment: Payment, checkout: Mapping[str, Any], *, seen_at: dt.datetime, settings: Settings
) -> str:
    """Apply what a Checkout Session says (seen at `seen_at`, aware UTC) to `payment`.

    Return what was done, in words.
    """
    record_checkout(session, payment, checkout)
    status, reason = checkout_status(checkout)
    return apply_payment_status(session, payment, status, seen_at=seen_at, reason=reason, settings=settings)


def apply_intent(
    session: Session, payment: Payment, intent: Mapping[str, Any], *, seen_at: dt.datetime, settings: Settings
) -> str:
    """Apply what a PaymentIntent says (seen at `seen_at`, aware UTC) to `payment`; return what was done, in words."""
    payment.provider_ref = payment.provider_ref or intent["id"]
    status, reason = intent_status(intent)
    return apply_payment_status(session, payment, status, seen_at=seen_at, reason=reason, settings=settings)


def apply_payment_status(
    session: Session,
    payment: Payment,
    status: PaymentStatus,
    *,
    seen_at: dt.datetime,
    reason: str = "",
    settings: Settings | None,
) -> str:
    """Move a payment to what Stripe says, unless that news is older than what we know, and settle its invoice.

    Money that arrived (succeeded) or went back (refunded) is news whenever it comes, and nothing
    moves a payment back from there. Between pending, processing and failed, the newer news wins:
    a decline delivered after a later attempt's "processing" is ignored.
    """
    before = payment.status
    if status == before:
        return f"payment {payment.id} already {status.value}"
    settled = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    stale = payment.stripe_seen_at is not None and seen_at < payment.stripe_seen_at
    if (before in settled and status.rank < before.rank) or (status not in settled and stale):
        return f"payment {payment.id} is {before.value}; older news ({status.value}) ignored"
    payment.status = status
    payment.stripe_seen_at = max(seen_at, payment.stripe_seen_at or seen_at)
    if status == PaymentStatus.FAILED:
        payment.failure_reason = reason[:300] or "The payment did not go through."
    if status == PaymentStatus.SUCCEEDED:
        payment.settled_at = seen_at
        if any(p.status == PaymentStatus.SUCCEEDED and p.id != payment.id for p in payment.invoice.payments):
            # Paid twice (an old checkout page paid after a new one was opened): the second payment goes back.
            request_refund(
                session, payment, reason=f"Invoice {payment.invoice.number} was already paid; this second payment is returned."
            )
            return f"payment {payment.id}: {before.value} → succeeded, a second payment of a paid invoice: refunding it"
    settle_invoice(session, payment.invoice, settings=settings)
    return f"payment {payment.id}: {before.value} → {status.value}"


def settle_invoice(session: Session, invoice: Invoice, *, settings: Settings | None) -> None:
    """Derive the invoice's status from its payments, and act on it becoming paid or refunded."""
    statuses = [p.status for p in invoice.payments]
    before = invoice.status
    if PaymentStatus.SUCCEEDED in statuses:
        after = InvoiceStatus.PAID
    elif PaymentStatus.REFUNDED in statuses:
        after = InvoiceStatus.REFUNDED
    elif before == InvoiceStatus.VOID:
        after = InvoiceStatus.VOID
    elif PaymentStatus.PROCESSING in statuses:
        after = InvoiceStatus.PROCESSING
    elif statuses and statuses[-1] == PaymentStatus.FAILED:
        after = InvoiceStatus.FAILED
    else:
        after = InvoiceStatus.OPEN
    if after == before:
        return
    invoice.status = after
    order = invoice.order
    if after == InvoiceStatus.PAID:
        invoice.paid_at = max(p.settled_at or utcnow() for p in invoice.payments if p.status == PaymentStatus.SUCCEEDED)
        publish(session, InvoicePaymentChanged(invoice))
        if order.status == OrderStatus.CANCELLED:
            # Paid after the order was called off (a checkout left open): give it straight back.
            refund_invoice(session, invoice, reason="The order was cancelled before this payment arrived.")
            return
        if settings is not None:
            plan_payout(session, invoice, settings=settings)
        notify(
            session,
            order.buyer_id,
            subject=_l("Receipt: invoice %(number)s paid", number=invoice.number),
            body=lazy_join(
                _l(
                    "We received %(amount)s for invoice %(number)s (order %(order)s). Thank you.",
                    amount=lazy_money(invoice.amount, invoice.currency),
                    number=invoice.number,
                    order=order.number,
                ),
                tax_sentence(invoice),
                separator=" ",
            ),
            link=f"{settings.base_url if settings else ''}/invoices/{invoice.id}",
        )
    elif after == InvoiceStatus.REFUNDED:
        publish(session, InvoicePaymentChanged(invoice))
        by_card = any(p.provider == "stripe" for p in invoice.payments if p.status == PaymentStatus.REFUNDED)
        notify(
            session,
            order.buyer_id,
            subject=_l("Refund: invoice %(number)s", number=invoice.number),
            body=_l(
                "%(amount)s paid on invoice %(number)s was refunded to your card. Banks take 5–10 days to show it.",
                amount=lazy_money(invoice.amount, invoice.currency),
                number=invoice.number,
            )
            if by_card
            else _l(
                "%(amount)s paid on invoice %(number)s was sent back to you by bank transfer, to the account you paid from.",
                amount=lazy_money(invoice.amount, invoice.currency),
                number=invoice.number,
            ),
            link=f"{settings.base_url if settings else ''}/invoices/{invoice.id}",
        )


@use_case
def record_bank_transfer(
    session: Session, operator_id: int, invoice_id: int, *, amount: Decimal, reference: str, settings: Settings | None
) -> Payment:
    """The operator marks a bank transfer received: a payment that settles the invoice through the same path as Stripe's.

    The payment is recorded as succeeded and `apply_payment_status` settles the invoice (paid, the group's
    payout, the Odoo sync), exactly as a Stripe webhook would. Raises `NotFound`, `Conflict` (the invoice is
    not waiting for money) or `DomainError` (no bank reference, an amount other than the invoice's).
    """
    invoice = lock(session, Invoice, invoice_id, selectinload(Invoice.payments), missing="No such invoice.")
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.FAILED):
        raise Conflict(
            _(
                "This invoice is %(invoice_status)s; only an open invoice waits for a transfer.",
                invoice_status=label(invoice.status),
            )
        )
    if not reference.strip():
        raise DomainError(_("Give the bank's reference for the transfer."), field="reference")
    if amount != invoice.amount:
        raise DomainError(
            _(
                "The invoice is for %(amount)s; record the transfer only once the full amount has arrived.",
                amount=format_money(invoice.amount, invoice.currency),
            ),
            field="amount",
        )
    attempt = max((p.attempt for p in invoice.payments), default=0) + 1
    # Into the group's own collecting account (payments.collecting) the money reached the group: no payout follows.
    into = DIRECT if session.get(CollectingAccount, invoice.group_id) is not None else "bank"
    payment = Payment(
        invoice=invoice,
        attempt=attempt,
        amount=invoice.amount,
        currency=invoice.currency,
        provider="bank_transfer",
        provider_ref=f"{into}:{invoice.id}:{reference.strip()[:100]}",
        idempotency_key=f"bank-transfer-{invoice.id}-{attempt}",
        failure_reason="",
        status=PaymentStatus.PENDING,
    )
    session.add(payment)
    session.flush()
    apply_payment_status(session, payment, PaymentStatus.SUCCEEDED, seen_at=utcnow(), settings=settings)
    notify(
        session,
        invoice.order.buyer_id,
        subject=_l("Transfer received for invoice %(number)s", number=invoice.number),
        body=_l(
            "The Loom team received your bank transfer of %(amount)s (reference %(reference)s), recorded by user %(operator)s. "
            "Invoice %(number)s is paid.",
            amount=lazy_money(amount, invoice.currency),
            reference=reference.strip(),
            operator=operator_id,
            number=invoice.number,
        ),
        link=f"{settings.base_url}/invoices/{invoice.id}" if settings else "",
    )
    return payment
