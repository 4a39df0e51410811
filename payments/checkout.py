"""The buyer pays an invoice through a Stripe Checkout Session.

Stripe is never called inside a database transaction: a payment attempt (with its idempotency key)
is committed first, Stripe is called, and what Stripe answered is committed after. A crash or an
outage in between leaves the attempt pending with its key, and the next try sends the same key, so
Stripe answers with what it did the first time instead of charging again. What Stripe later says
about the attempt is applied by `payments.settlement`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from marketplace.db import utcnow, write_transaction
from marketplace.errors import BadGateway, Conflict, NotFound, Unavailable
from marketplace.i18n import label
from marketplace.orders.models import Order
from payments.gateway import StripeGateway, StripeRefused, StripeUnavailable, to_minor
from payments.settings import Settings, stamp
from payments.settlement import apply_payment_status, record_checkout

CHECKOUT_LIFETIME = dt.timedelta(hours=23)  # Stripe expires a Checkout Session after 24 h; start a new one a little before


def invoice_for(session: Session, membership: Membership | None, invoice_id: int) -> Invoice:
    """An invoice of an order the membership's organization is party to (buyer or group); otherwise 404."""
    invoice = (
        session.scalars(
            select(Invoice)
            .where(Invoice.id == invoice_id)
            .options(
                # the invoice with its order, the order's few lines and the group in one statement; then its payments
                joinedload(Invoice.order).joinedload(Order.lines),
                joinedload(Invoice.group),
                selectinload(Invoice.payments).selectinload(Payment.refunds),
            )
        )
        .unique()
        .one_or_none()
    )
    if (
        invoice is None
        or membership is None
        or membership.organization_id not in (invoice.order.buyer_id, invoice.group.organization_id)
    ):
        raise NotFound(_("That invoice is not one of yours."))
    return invoice


def can_pay(invoice: Invoice, membership: Membership | None) -> bool:
    """Tell whether `membership` may pay `invoice`.

    An admin or owner of its buyer, while the invoice is open or its payment failed.
    """
    return (
        membership is not None
        and membership.organization_id == invoice.order.buyer_id
        and membership.role.at_least(Role.ADMIN)
        and invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.FAILED)
    )


def buyer_email(membership: Membership | None) -> str | None:
    """Return the signed-in buyer's e-mail address (to prefill Stripe's page), or None for anyone else."""
    return membership.user.email if membership is not None and membership.organization.kind == OrganizationKind.BUYER else None


def idempotency_key(invoice: Invoice, attempt: int) -> str:
    """The same invoice and attempt always give the same key (the issue time keeps keys apart across databases)."""
    return f"loom-invoice-{invoice.number}-{stamp(invoice.issued_at)}-attempt-{attempt}"


def begin_payment(
    session: Session, membership: Membership | None, invoice_id: int, *, now: dt.datetime, email: str | None = None
) -> Payment:
    """The attempt to use for paying now: the one still pending, or a new one after a failed or expired one.

    A new attempt stores everything its Stripe request is built from (amount, currency, the payer's
    e-mail), so a retry under the same idempotency key sends the very same request whoever clicks.

    `now` is an aware UTC datetime. Raises `NotFound` (not the buyer's invoice), `Forbidden` (below admin, or an
    unconfirmed address) or `Conflict` (the invoice is processing, paid, refunded or void).
    """
    invoice = invoice_for(session, membership, invoice_id)
    if membership.organization_id != invoice.order.buyer_id:
        raise NotFound(_("That invoice is not one of yours to pay."))
    require_role(membership, Role.ADMIN)
    require_confirmed(membership)
    invoice = session.get(Invoice, invoice.id, with_for_update=True, populate_existing=True)
    if invoice.status == InvoiceStatus.PROCESSING:
        raise Conflict(
            _("A payment for this invoice is already on its way through the bank; it will show as paid when it clears.")
        )
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.FAILED):
        raise Conflict(_("This invoice is %(invoice_status)s; there is nothing to pay.", invoice_status=label(invoice.status)))
    latest = invoice.payments[-1] if invoice.payments else None
    if latest is not None and latest.status == PaymentStatus.PENDING:
        if latest.checkout_url is None or now - latest.created_at < CHECKOUT_LIFETIME:
            return latest  # a double click, a retry after an outage or a crash: the same attempt and key
        latest.status, latest.failure_reason = PaymentStatus.FAILED, "The checkout page expired before it was paid."
    attempt = (latest.attempt + 1) if latest else 1
    payment = Payment(
        attempt=attempt,
        amount=invoice.amount,
        currency=invoice.currency,
        idempotency_key=idempotency_key(invoice, attempt),
        created_at=now,
        customer_email=email,
    )
    invoice.payments.append(payment)  # through the collection, so the invoice settles from what it sees
    session.flush()
    return payment


def checkout_params(invoice: Invoice, payment: Payment, *, settings: Settings) -> dict[str, Any]:
    """The Checkout Session request of one payment attempt, built only from what the attempt stored."""
    order = invoice.order
    label = f"{invoice.kind.value.capitalize()} invoice {invoice.number} for order {order.number}"
    metadata = {"loom_invoice": str(invoice.id), "loom_payment": str(payment.id), "loom_order": order.number}
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency.lower(),
                    "unit_amount": to_minor(payment.amount, payment.currency),
                    "product_data": {"name": label, "description": f"Made by {invoice.group.name}"},
                },
            }
        ],
        "client_reference_id": invoice.number,
        **({"customer_email": payment.customer_email} if payment.customer_email else {}),
        "metadata": metadata,
        # Separate charges and transfers: the group's transfer joins this charge's group.
        "payment_intent_data": {"transfer_group": order.number, "metadata": metadata, "description": label},
        "success_url": f"{settings.base_url}/invoices/{invoice.id}?returned=1",
        "cancel_url": f"{settings.base_url}/invoices/{invoice.id}",
    }


def start_checkout(
    session: Session,
    membership: Membership | None,
    invoice_id: int,
    *,
    gateway: StripeGateway,
    settings: Settings,
    email: str | None,
) -> str:
    """Where to send the buyer to pay: Stripe's checkout page for this invoice's current attempt.

    Runs its own short write transactions on `session`, none of them open while Stripe is asked.

    Raises what `begin_payment` raises, `Unavailable` (Stripe does not answer: nothing charged) or `BadGateway`
    (Stripe refuses; the attempt is marked failed).
    """
    with write_transaction(session):
        payment = begin_payment(session, membership, invoice_id, now=utcnow(), email=email)
        if payment.checkout_url:
            return payment.checkout_url
        payment_id, key = payment.id, payment.idempotency_key
        params = checkout_params(payment.invoice, payment, settings=settings)
    try:
        checkout = gateway.create_checkout(params, idempotency_key=key)
    except StripeUnavailable:
        raise Unavailable(
            _("Card payments are not answering right now, so nothing was charged. Please try again in a minute.")
        ) from None
    except StripeRefused as error:
        with write_transaction(session):
            _fail(session, session.get(Payment, payment_id), f"Stripe refused to start the payment: {error}")
        raise BadGateway(_("Stripe refused to start this payment: %(error)s", error=error)) from None
    with write_transaction(session):
        payment = session.get(Payment, payment_id, with_for_update=True)
        record_checkout(session, payment, checkout)
    return str(checkout["url"])


def _fail(session: Session, payment: Payment, reason: str) -> None:
    apply_payment_status(session, payment, PaymentStatus.FAILED, seen_at=utcnow(), reason=reason, settings=None)
