"""Buyers pay invoices, Stripe's news settles them, cancelled orders are refunded (payouts: payouts.py).

Stripe is never called inside a database transaction: a payment attempt (with its idempotency key)
is committed first, Stripe is called, and what Stripe answered is committed after. A crash or an
outage in between leaves the attempt pending with its key, and the next try sends the same key, so
Stripe answers with what it did the first time instead of charging again. Transfers and refunds run
from the outbox the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from marketplace.db import lock, run_write, use_case, utcnow, write_transaction
from marketplace.errors import BadGateway, Conflict, DomainError, NotFound, Unavailable
from marketplace.i18n import label, lazy_join, lazy_money
from marketplace.money import format_money, is_rounded, minor_units, percent_of, round_money
from marketplace.notifications import notify
from marketplace.orders.models import Order, OrderStatus
from marketplace.outbox import topics
from marketplace.outbox.events import InvoicePaymentChanged, publish
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import PermanentError
from marketplace.producers.models import ProducerGroup
from payments import fees
from payments.gateway import StripeGateway, StripeRefused, StripeUnavailable, from_minor, stripe_id, to_minor
from payments.models import CollectingAccount, PayoutAccount

CHECKOUT_LIFETIME = dt.timedelta(hours=23)  # Stripe expires a Checkout Session after 24 h; start a new one a little before


@dataclass(frozen=True)
class Settings:
    base_url: str
    fee_percent: Decimal
    payout_countries: frozenset[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read the payment settings from the app's configuration (BASE_URL, PLATFORM_FEE_PERCENT as a Decimal percentage, STRIPE_PAYOUT_COUNTRIES)."""
        return cls(
            base_url=str(config["BASE_URL"]).rstrip("/"),
            fee_percent=Decimal(str(config["PLATFORM_FEE_PERCENT"])),
            payout_countries=frozenset(str(config["STRIPE_PAYOUT_COUNTRIES"]).upper().split()),
        )


def stamp(moment: dt.datetime) -> int:
    """Return `moment` as whole seconds since the epoch (for idempotency keys)."""
    return int(moment.timestamp())


# --- who may see what -------------------------------------------------------------------------------


def invoice_for(session: Session, membership: Membership | None, invoice_id: int) -> Invoice:
    """An invoice of an order the membership's organization is party to (buyer or group); otherwise 404."""
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.payments).selectinload(Payment.refunds), selectinload(Invoice.order).selectinload(Order.lines)
        )
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


def payout_method_for(group: ProducerGroup, settings: Settings) -> PayoutMethod:
    """Stripe transfers where Connect pays out to the group's country; recorded payouts elsewhere."""
    return PayoutMethod.STRIPE_TRANSFER if group.country.upper() in settings.payout_countries else PayoutMethod.MOBILE_MONEY


# --- the buyer pays ---------------------------------------------------------------------------------


def idempotency_key(invoice: Invoice, attempt: int) -> str:
    """The same invoice and attempt always give the same key (the issue time keeps keys apart across databases)."""
    return f"loom-invoice-{invoice.number}-{stamp(invoice.issued_at)}-attempt-{attempt}"


def begin_payment(
    session: Session, membership: Membership | None, invoice_id: int, *, now: dt.datetime, email: str | None = None
) -> Payment:
    """The attempt to use for paying now: the one still pending, or a new one after a failed or expired one.

    A new attempt stores everything its Stripe request is built from (amount, currency, the payer's
    e-mail), so a retry under the same idempotency key sends the very same request whoever clicks.
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
    payment = Payment(attempt=attempt, amount=invoice.amount, currency=invoice.currency, idempotency_key=idempotency_key(invoice, attempt), created_at=now,
                      customer_email=email)  # fmt: skip
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
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": payment.currency.lower(), "unit_amount": to_minor(payment.amount, payment.currency),
                           "product_data": {"name": label, "description": f"Made by {invoice.group.name}"}},
        }],
        "client_reference_id": invoice.number,
        **({"customer_email": payment.customer_email} if payment.customer_email else {}),
        "metadata": metadata,
        # Separate charges and transfers: the group's transfer joins this charge's group.
        "payment_intent_data": {"transfer_group": order.number, "metadata": metadata, "description": label},
        "success_url": f"{settings.base_url}/invoices/{invoice.id}?returned=1",
        "cancel_url": f"{settings.base_url}/invoices/{invoice.id}",
    }  # fmt: skip


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


def record_checkout(session: Session, payment: Payment, checkout: Mapping[str, Any]) -> None:
    """Remember the Checkout Session's id and URL on `payment`, and its PaymentIntent once the session is complete."""
    payment.checkout_ref = payment.checkout_ref or checkout["id"]
    payment.checkout_url = checkout.get("url") or payment.checkout_url
    # Stripe makes the PaymentIntent when the buyer pays; before that a session's `payment_intent` means nothing yet.
    if checkout.get("status") == "complete" and checkout.get("payment_intent") and not payment.provider_ref:
        payment.provider_ref = stripe_id(checkout["payment_intent"])


def _fail(session: Session, payment: Payment, reason: str) -> None:
    apply_payment_status(session, payment, PaymentStatus.FAILED, seen_at=utcnow(), reason=reason, settings=None)


# --- what Stripe tells us about a payment -------------------------------------------------------------


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
            _refund_payment(
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
            _refund_invoice(session, invoice, reason="The order was cancelled before this payment arrived.")
            return
        if settings is not None:
            plan_payout(session, invoice, settings=settings)
        notify(session, order.buyer_id, subject=_l("Receipt: invoice %(number)s paid", number=invoice.number),
               body=lazy_join(_l("We received %(amount)s for invoice %(number)s (order %(order)s). Thank you.",
                                 amount=lazy_money(invoice.amount, invoice.currency), number=invoice.number, order=order.number),
                              tax_sentence(invoice), separator=" "),
               link=f"{settings.base_url if settings else ''}/invoices/{invoice.id}")  # fmt: skip
    elif after == InvoiceStatus.REFUNDED:
        publish(session, InvoicePaymentChanged(invoice))
        by_card = any(p.provider == "stripe" for p in invoice.payments if p.status == PaymentStatus.REFUNDED)
        notify(session, order.buyer_id, subject=_l("Refund: invoice %(number)s", number=invoice.number),
               body=_l("%(amount)s paid on invoice %(number)s was refunded to your card. Banks take 5–10 days to show it.",
                       amount=lazy_money(invoice.amount, invoice.currency), number=invoice.number) if by_card else
                    _l("%(amount)s paid on invoice %(number)s was sent back to you by bank transfer, to the account you paid from.",
                       amount=lazy_money(invoice.amount, invoice.currency), number=invoice.number),
               link=f"{settings.base_url if settings else ''}/invoices/{invoice.id}")  # fmt: skip


def tax_sentence(invoice: Invoice) -> object:
    """Say which sales tax an invoice's amount includes, for e-mails ("" when it has none)."""
    order = invoice.order
    if not invoice.tax_amount or order.tax_rate is None:
        return ""
    return _l("It includes %(tax)s of %(tax_name)s (%(tax_rate)s %%).", tax=lazy_money(invoice.tax_amount, invoice.currency),
              tax_name=order.tax_name or "", tax_rate=f"{order.tax_rate.normalize():f}")  # fmt: skip


# --- the group is paid out ------------------------------------------------------------------------------


def plan_payout(session: Session, invoice: Invoice, *, settings: Settings) -> Payout:
    """The group's share of a paid invoice: sent by Stripe transfer from the outbox, or recorded by the operator."""
    existing = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    if existing is not None:
        return existing
    group = invoice.group
    # fee + net = gross. Loom's fee is on the price before sales tax: the tax is the group's to pay to its tax office,
    # so the group receives all of it (an invoice with no tax: the fee is on its whole amount, as before).
    fee = percent_of(invoice.amount - invoice.tax_amount, settings.fee_percent, invoice.currency)
    if any(p.status == PaymentStatus.SUCCEEDED and paid_to_group(p) for p in invoice.payments):
        return _paid_directly(session, invoice, fee, settings)
    account = session.get(PayoutAccount, group.id)
    method = account.method if account is not None else payout_method_for(group, settings)
    payout = Payout(
        group_id=group.id, order_id=invoice.order_id, invoice_id=invoice.id, method=method, amount=invoice.amount - fee,
        fee=fee, currency=invoice.currency, idempotency_key=f"loom-payout-{invoice.number}-{stamp(invoice.issued_at)}",
    )  # fmt: skip
    session.add(payout)
    session.flush()
    if method == PayoutMethod.STRIPE_TRANSFER:
        fees.net_into_payout(session, payout)  # Loom's fees on invoices paid into the group's own account (payments.fees)
        enqueue(session, topics.TRANSFER_PAYOUT, payout.id, {"group": group.id})
        how = (
            _l("Stripe sends it to your account")
            if account is not None and account.ready
            else _l("Stripe sends it to your account once you finish setting it up")
        )
    else:
        how = (
            _l("the Loom team sends it by bank transfer and tells you the reference")
            if method == PayoutMethod.BANK_TRANSFER
            else _l("the Loom team sends it by mobile money and tells you the reference")
        )
    notify(session, group.organization_id, subject=_l("Invoice %(number)s paid: %(amount)s on its way", number=invoice.number, amount=lazy_money(payout.amount, payout.currency)),
           body=lazy_join(_l("%(buyer)s paid %(paid)s. After Loom's fee of %(fee)s, %(amount)s is yours: %(how)s.", buyer=invoice.order.buyer.name,
                             paid=lazy_money(invoice.amount, invoice.currency), fee=lazy_money(fee, payout.currency),
                             amount=lazy_money(payout.amount, payout.currency), how=how), tax_sentence(invoice), separator=" "),
           link=f"{settings.base_url}/manage/payouts")  # fmt: skip
    return payout


DIRECT = "group"  # Payment.provider_ref prefix of a bank transfer into the group's own collecting account


def paid_to_group(payment: Payment) -> bool:
    """Whether the buyer paid straight into the group's own collecting account (recorded as such by the operator)."""
    return payment.provider == "bank_transfer" and (payment.provider_ref or "").startswith(f"{DIRECT}:")


def _paid_directly(session: Session, invoice: Invoice, fee: Decimal, settings: Settings) -> Payout:
    """Record that the group already holds a paid invoice's money: a payout nobody sends, with Loom's fee owed by the group."""
    payout = Payout(
        group_id=invoice.group_id, order_id=invoice.order_id, invoice_id=invoice.id, method=PayoutMethod.BANK_TRANSFER,
        amount=invoice.amount - fee, fee=fee, currency=invoice.currency, status=PayoutStatus.CONFIRMED, reference="direct",
        sent_at=utcnow(), confirmed_at=utcnow(), idempotency_key=f"loom-payout-{invoice.number}-{stamp(invoice.issued_at)}",
        note=f"Paid straight into the group's own account; Loom's fee of {format_money(fee, invoice.currency)} is in its fee ledger.",
    )  # fmt: skip
    session.add(payout)
    session.flush()
    fees.charge_direct_fee(session, invoice, fee)  # taken from the group's next Stripe payout, else billed by statement
    notify(session, invoice.group.organization_id, subject=_l("Invoice %(number)s paid into your account", number=invoice.number),
           body=_l("%(buyer)s paid %(paid)s into your own bank account. Loom's fee of %(fee)s is taken from your next Stripe "
                   "payout, or billed to you by a statement; your payouts page shows what you owe.",
                   buyer=invoice.order.buyer.name, paid=lazy_money(invoice.amount, invoice.currency), fee=lazy_money(fee, invoice.currency)),
           link=f"{settings.base_url}/manage/payouts")  # fmt: skip
    return payout


# --- refunds when an order is cancelled ---------------------------------------------------------------------


def cancel_payments(session: Session, order: Order, *, reason: str) -> None:
    """An order was cancelled: unpaid invoices are void, paid ones are refunded what is still refundable, pending payouts are held.

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
            _refund_invoice(session, invoice, reason=reason)


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
    refund = Refund(amount=amount, currency=payment.currency, reason=reason[:300],
                    idempotency_key=f"loom-refund-{payment.idempotency_key}-{len(payment.refunds) + 1}")  # fmt: skip
    payment.refunds.append(refund)
    session.flush()
    enqueue(session, topics.REFUND_PAYMENT, refund.id, {"invoice": payment.invoice_id})
    return refund


def _refund_due_from_group(session: Session, refund: Refund, base_url: str) -> None:
    """The money is in the group's own account, so Loom cannot send it back: tell the group what to send, and how."""
    payment = refund.payment
    invoice, order = payment.invoice, payment.invoice.order
    buyer_ref = (payment.provider_ref or "").split(":", 2)[-1]
    notify(session, invoice.group.organization_id,
           subject=_l("Refund due: send %(amount)s back to %(buyer)s", amount=lazy_money(refund.amount, refund.currency), buyer=order.buyer.name),
           body=_l("%(buyer)s paid invoice %(number)s into your own account (their transfer's reference %(buyer_ref)s), so the "
                   "refund of %(amount)s goes back from that account: send it to the account the buyer paid from, quoting "
                   "%(number)s, then mark it sent on your payouts page. Reason: %(reason)s",
                   buyer=order.buyer.name, number=invoice.number, buyer_ref=buyer_ref, amount=lazy_money(refund.amount, refund.currency),
                   reason=refund.reason),
           link=f"{base_url}/manage/payouts#refunds-due")  # fmt: skip


def _refund_payment(session: Session, payment: Payment, *, reason: str) -> None:
    request_refund(session, payment, reason=reason)


def _refund_invoice(session: Session, invoice: Invoice, *, reason: str) -> None:
    for payment in invoice.payments:
        _refund_payment(session, payment, reason=reason)
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    if payout is not None and payout.status == PayoutStatus.PENDING:
        payout.note = "Held: the order was cancelled and the buyer is being refunded."


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
            f"The invoice is for {format_money(invoice.amount, invoice.currency)}; record the transfer only once the full amount has arrived.",
            field="amount",
        )
    attempt = max((p.attempt for p in invoice.payments), default=0) + 1
    # Into the group's own collecting account (payments.collecting) the money reached the group: no payout follows.
    into = DIRECT if session.get(CollectingAccount, invoice.group_id) is not None else "bank"
    payment = Payment(
        invoice=invoice, attempt=attempt, amount=invoice.amount, currency=invoice.currency, provider="bank_transfer",
        provider_ref=f"{into}:{invoice.id}:{reference.strip()[:100]}", idempotency_key=f"bank-transfer-{invoice.id}-{attempt}",
        failure_reason="", status=PaymentStatus.PENDING,
    )  # fmt: skip
    session.add(payment)
    session.flush()
    apply_payment_status(session, payment, PaymentStatus.SUCCEEDED, seen_at=utcnow(), settings=settings)
    notify(session, invoice.order.buyer_id, subject=_l("Transfer received for invoice %(number)s", number=invoice.number),
           body=_l("The Loom team received your bank transfer of %(amount)s (reference %(reference)s), recorded by user %(operator)s. "
                   "Invoice %(number)s is paid.", amount=lazy_money(amount, invoice.currency), reference=reference.strip(),
                   operator=operator_id, number=invoice.number),
           link=f"{settings.base_url}/invoices/{invoice.id}" if settings else "")  # fmt: skip
    return payment


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
    """Ask again for a refund Stripe could not make: a new refund of what is still refundable, up to the failed amount."""
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
    refunds = session.scalars(select(Refund).join(Payment).where(Refund.status == RefundStatus.PENDING, Payment.provider != "stripe")
                              .order_by(Refund.id))  # fmt: skip
    return [r for r in refunds if not paid_to_group(r.payment)]  # those the group sends back: group_refunds.refunds_due


@use_case
def record_manual_refund(
    session: Session, operator_id: int, refund_id: int, *, reference: str, settings: Settings | None
) -> Refund:
    """The operator sent a refund back by bank transfer: record its reference and settle it as Stripe's answer would.

    Raises `NotFound`, `Conflict` (not a pending refund of a payment made outside Stripe) or `DomainError` (no reference).
    """
    refund = lock(session, Refund, refund_id, missing="No such refund.")
    if refund.status != RefundStatus.PENDING or refund.payment.provider == "stripe":
        raise Conflict(_("Only a pending refund of a bank-transfer payment is recorded here; Stripe refunds record themselves."))
    if not reference.strip():
        raise DomainError(_("Give the bank's reference for the transfer back to the buyer."), field="reference")
    refund.provider_ref = f"bank:{refund.id}:{reference.strip()[:100]}"
    refund.reason = f"{refund.reason} Sent back by bank transfer (user {operator_id}), ref. {reference.strip()[:60]}."[:300]
    apply_refund(session, refund, {"status": "succeeded"}, seen_at=utcnow(), settings=settings)
    return refund


def failed_refunds(session: Session) -> list[Refund]:
    """Refunds Stripe could not make and nobody has retried yet, newest first (the operator's desk)."""
    refunds = session.scalars(
        select(Refund).where(Refund.status == RefundStatus.FAILED).order_by(Refund.id.desc()).limit(200)
    ).all()
    return [r for r in refunds if refundable(r.payment) > 0 and not r.reason.endswith("Tried again.")]


def _net_payout(gross: Decimal, payout: Payout) -> Decimal:
    """What the group gets of `gross` at the payout's own fee rate, rounded to the currency (fee + net = gross)."""
    rate = payout.fee / payout.gross if payout.gross else Decimal(0)
    return gross - round_money(gross * rate, payout.currency)


def send_refund(session: Session, gateway_for: Callable[[], StripeGateway], refund_id: int, *, settings: Settings) -> str:
    """Outbox job: refund a payment through Stripe and take back the group's transfer for it; return what happened.

    No transaction and no row lock is held while Stripe is called: what the refund needs is read
    first and that read ends; then Stripe is asked (an earlier refund is looked up by its metadata
    before one is made, and the transfer reversed if the order was cancelled after it was sent); then
    the refund and the payout are locked and the answers recorded in a short write transaction,
    re-checking that nobody recorded them meanwhile. Raises PermanentError when Stripe refuses.
    """
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING or refund.provider_ref:
        return "nothing to refund"
    payment = refund.payment
    if paid_to_group(payment):  # the money is in the group's own account: the group sends it back (group_refunds)
        due = format_money(refund.amount, refund.currency)
        session.commit()  # end the read; the notice is its own short write
        run_write(session, lambda session: _refund_due_from_group(session, session.get(Refund, refund_id), settings.base_url))
        return f"waiting for the group to send {due} back from its own account"
    if payment.provider != "stripe":
        # Money that came by bank transfer goes back the same way: the Loom team sends it and records it
        # (`record_manual_refund`); nothing to ask Stripe, nothing to retry.
        return f"waiting for the Loom team to send {format_money(refund.amount, refund.currency)} back by {payment.provider.replace('_', ' ')}"
    invoice = payment.invoice
    payment_id, provider_ref, checkout_ref, invoice_id, invoice_number = (
        payment.id,
        payment.provider_ref,
        payment.checkout_ref,
        invoice.id,
        invoice.number,
    )
    params = {"amount": to_minor(refund.amount, refund.currency), "reason": "requested_by_customer",
              "metadata": {"loom_refund": str(refund.id), "loom_invoice": str(invoice.id)}}  # fmt: skip
    key = refund.idempotency_key
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    # A second payment of a paid invoice goes back and the group keeps the first one's payout; a partial refund of a
    # live order adjusts the payout once the money is back (_payout_after_refund).
    takes_back = (
        payout is not None
        and invoice.order.status == OrderStatus.CANCELLED
        and not any(p.status == PaymentStatus.SUCCEEDED and p.id != payment.id for p in invoice.payments)
    )
    reversal = ((payout.reference, to_minor(payout.amount, payout.currency), f"{payout.idempotency_key}-reversal")
                if takes_back and payout.method == PayoutMethod.STRIPE_TRANSFER and payout.status == PayoutStatus.SENT else None)  # fmt: skip
    session.commit()  # end the read (nothing was written): no transaction, row lock or SQLite lock is held while Stripe answers

    gateway = gateway_for()
    found_intent = None
    try:
        # The PaymentIntent, read through the Checkout Session when Loom does not know it yet (remembered afterwards).
        if provider_ref is None and checkout_ref:
            provider_ref = found_intent = stripe_id(gateway.checkout(checkout_ref)["payment_intent"] or "") or None
        if provider_ref is None:
            raise PermanentError(f"Payment {payment_id} has no PaymentIntent to refund; refund it from the Stripe dashboard.")
        # Stripe forgets idempotency keys after 24 hours: look for the refund an earlier try made before making one.
        earlier = next(
            (r for r in gateway.refunds_of(provider_ref) if (r.get("metadata") or {}).get("loom_refund") == str(refund_id)), None
        )
        answer = earlier or gateway.create_refund({"payment_intent": provider_ref, **params}, idempotency_key=key)
        if reversal is not None:
            transfer_id, amount, reversal_key = reversal
            gateway.reverse_transfer(transfer_id, {"amount": amount}, idempotency_key=reversal_key)
    except StripeRefused as error:
        raise PermanentError(f"Stripe refused the refund of invoice {invoice_number}: {error}") from error

    def record(session: Session) -> str:
        refund = session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        if refund is None or refund.status != RefundStatus.PENDING or refund.provider_ref:
            return f"refund {answer['id']} made; it was recorded meanwhile"
        payment = session.get(Payment, payment_id)
        if payment is not None and payment.provider_ref is None and found_intent:
            payment.provider_ref = found_intent
        payout = session.scalar(
            select(Payout).where(Payout.invoice_id == invoice_id).with_for_update().execution_options(populate_existing=True)
        )
        if payout is not None and takes_back:
            if reversal is not None and payout.status == PayoutStatus.SENT and payout.reference == reversal[0]:
                payout.status, payout.note = (
                    PayoutStatus.REVERSED,
                    "Transfer reversed: the order was cancelled and the buyer refunded.",
                )
            elif reversal is None and payout.status in (PayoutStatus.SENT, PayoutStatus.CONFIRMED):
                payout.note = "To recover from the group: the order was cancelled after this payout was sent."
        refund.provider_ref = answer["id"]
        apply_refund(session, refund, answer, seen_at=utcnow(), settings=settings)
        return f"refund {answer['id']} {answer['status']}"

    return run_write(session, record)  # a busy database records Stripe's answer again; Stripe is not asked again


def apply_refund(
    session: Session, refund: Refund, answer: Mapping[str, Any], *, seen_at: dt.datetime, settings: Settings | None
) -> str:
    """Apply Stripe's answer about `refund`: succeeded or failed (a pending answer changes nothing); return what was done.

    A payment refunded in full becomes refunded, the group's payout is adjusted, and the group's books are told.
    """
    status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED, "canceled": RefundStatus.FAILED}.get(
        answer.get("status"), RefundStatus.PENDING
    )
    if refund.status != RefundStatus.PENDING or status == RefundStatus.PENDING:
        return f"refund {refund.id} stays {refund.status.value}"
    refund.status, refund.settled_at = status, seen_at
    if status == RefundStatus.FAILED:
        refund.reason = f"{refund.reason} Stripe could not refund: {answer.get('failure_reason') or 'no reason given'}."[:300]
        return f"refund {refund.id} failed"
    payment = refund.payment
    refunded = sum((r.amount for r in payment.refunds if r.status == RefundStatus.SUCCEEDED), Decimal("0"))
    if refunded >= payment.amount:
        apply_payment_status(session, payment, PaymentStatus.REFUNDED, seen_at=seen_at, settings=settings)
    if paid_to_group(payment):  # the group sent it back from its own account: Loom's fee on that part is given back
        fees.credit_refund(session, payment.invoice, refund.id, payment.amount, refunded)
    _payout_after_refund(session, payment.invoice)
    publish(session, InvoicePaymentChanged(payment.invoice))  # the group's books learn of it even when the invoice stays paid
    return f"refund {refund.id} succeeded"


def _payout_after_refund(session: Session, invoice: Invoice) -> None:
    """The money is back with the buyer: a held payout is reversed, a pending one shrinks, a sent one is owed back in part.

    The group's share follows what Loom keeps of the invoice: what its payments brought in less what
    went back, never more than the invoice (a second payment of a paid invoice going back changes nothing).
    """
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id).with_for_update())
    if payout is None or payout.status == PayoutStatus.REVERSED or payout.reference == "direct":
        return  # a direct payout: the group sent the money back itself, and its fee ledger was credited (payments.fees)
    still_paid = invoice.status == InvoiceStatus.PAID and invoice.order.status != OrderStatus.CANCELLED
    if payout.status == PayoutStatus.PENDING and not still_paid:
        payout.status, payout.note = PayoutStatus.REVERSED, "Not sent: the order was cancelled and the buyer refunded."
        return
    received = sum(
        (p.amount for p in invoice.payments if p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)), Decimal(0)
    )
    returned = sum((r.amount for p in invoice.payments for r in p.refunds if r.status == RefundStatus.SUCCEEDED), Decimal(0))
    kept = min(invoice.amount, received - returned)
    if not still_paid or kept >= payout.gross:
        return
    net = _net_payout(kept, payout)
    if payout.status == PayoutStatus.PENDING:
        payout.note = f"Reduced by a refund of {format_money(payout.gross - kept, payout.currency)} to the buyer."[:300]
        payout.amount, payout.fee = net - payout.fees_netted, kept - net
    else:
        payout.note = (f"To recover {format_money(payout.amount - net, payout.currency)} from the group: part of the invoice was "
                       "refunded after this payout was sent.")[:300]  # fmt: skip


def refund_from_stripe(session: Session, obj: Mapping[str, Any], *, seen_at: dt.datetime, settings: Settings) -> str:
    """A refund Stripe tells us about: Loom's own, or one made in the Stripe dashboard."""
    refund = session.scalar(select(Refund).where(Refund.provider_ref == obj["id"]).with_for_update())
    if refund is None and (obj.get("metadata") or {}).get("loom_refund", "").isdigit():
        refund = session.get(Refund, int(obj["metadata"]["loom_refund"]), with_for_update=True)
    if refund is None:
        payment = session.scalar(
            select(Payment).where(Payment.provider_ref == stripe_id(obj.get("payment_intent") or "")).with_for_update()
        )
        if payment is None:
            return "no matching payment"
        refund = Refund(amount=from_minor(obj["amount"], payment.currency), currency=payment.currency,
                        reason="Refunded from the Stripe dashboard.", provider_ref=obj["id"], idempotency_key=f"stripe-{obj['id']}")  # fmt: skip
        payment.refunds.append(refund)
        session.flush()
    refund.provider_ref = refund.provider_ref or obj["id"]
    return apply_refund(session, refund, obj, seen_at=seen_at, settings=settings)


def buyer_email(membership: Membership | None) -> str | None:
    """Return the signed-in buyer's e-mail address (to prefill Stripe's page), or None for anyone else."""
    return membership.user.email if membership is not None and membership.organization.kind == OrganizationKind.BUYER else None
