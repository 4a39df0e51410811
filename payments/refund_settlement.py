"""Settling refunds: Stripe asked for a refund from the outbox, and what Stripe (or the operator) says of it applied.

No transaction is held while Stripe is asked (`send_refund`). A refund that succeeds marks a payment
refunded in full, adjusts the group's payout and tells the group's books.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from marketplace.db import lock, run_write, use_case, utcnow
from marketplace.errors import Conflict, DomainError
from marketplace.i18n import lazy_gettext as _l
from marketplace.i18n import lazy_money
from marketplace.money import format_money, round_money
from marketplace.notifications import notify
from marketplace.orders.models import OrderStatus
from marketplace.outbox.events import InvoicePaymentChanged, publish
from marketplace.outbox.worker import PermanentError
from payments import fees
from payments.collecting import paid_to_group
from payments.gateway import StripeGateway, StripeRefused, from_minor, stripe_id, to_minor
from payments.settings import Settings
from payments.settlement import apply_payment_status


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
        amount, channel = format_money(refund.amount, refund.currency), payment.provider.replace("_", " ")
        return f"waiting for the Loom team to send {amount} back by {channel}"
    invoice = payment.invoice
    payment_id, provider_ref, checkout_ref, invoice_id, invoice_number = (
        payment.id,
        payment.provider_ref,
        payment.checkout_ref,
        invoice.id,
        invoice.number,
    )
    params = {
        "amount": to_minor(refund.amount, refund.currency),
        "reason": "requested_by_customer",
        "metadata": {"loom_refund": str(refund.id), "loom_invoice": str(invoice.id)},
    }
    key = refund.idempotency_key
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    # A second payment of a paid invoice goes back and the group keeps the first one's payout; a partial refund of a
    # live order adjusts the payout once the money is back (_payout_after_refund).
    takes_back = (
        payout is not None
        and invoice.order.status == OrderStatus.CANCELLED
        and not any(p.status == PaymentStatus.SUCCEEDED and p.id != payment.id for p in invoice.payments)
    )
    reversal = (
        (payout.reference, to_minor(payout.amount, payout.currency), f"{payout.idempotency_key}-reversal")
        if takes_back and payout.method == PayoutMethod.STRIPE_TRANSFER and payout.status == PayoutStatus.SENT
        else None
    )
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


def _refund_due_from_group(session: Session, refund: Refund, base_url: str) -> None:
    """The money is in the group's own account, so Loom cannot send it back: tell the group what to send, and how."""
    payment = refund.payment
    invoice, order = payment.invoice, payment.invoice.order
    buyer_ref = (payment.provider_ref or "").split(":", 2)[-1]
    notify(
        session,
        invoice.group.organization_id,
        subject=_l(
            "Refund due: send %(amount)s back to %(buyer)s",
            amount=lazy_money(refund.amount, refund.currency),
            buyer=order.buyer.name,
        ),
        body=_l(
            "%(buyer)s paid invoice %(number)s into your own account (their transfer's reference %(buyer_ref)s), so the "
            "refund of %(amount)s goes back from that account: send it to the account the buyer paid from, quoting "
            "%(number)s, then mark it sent on your payouts page. Reason: %(reason)s",
            buyer=order.buyer.name,
            number=invoice.number,
            buyer_ref=buyer_ref,
            amount=lazy_money(refund.amount, refund.currency),
            reason=refund.reason,
        ),
        link=f"{base_url}/manage/payouts#refunds-due",
    )


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
    _payout_after_refund(session, payment.invoice, refund.id)
    publish(session, InvoicePaymentChanged(payment.invoice))  # the group's books learn of it even when the invoice stays paid
    return f"refund {refund.id} succeeded"


def _payout_after_refund(session: Session, invoice: Invoice, refund_id: int) -> None:
    """The money is back with the buyer: a held payout is reversed, a pending one shrinks, a sent one is owed back in part.

    The group's share follows what Loom keeps of the invoice: what its payments brought in less what
    went back, never more than the invoice (a second payment of a paid invoice going back changes nothing).
    Both are summed in SQL once the payout is locked, so a refund settled just before, in another transaction,
    is counted (objects loaded before the lock may predate it).
    """
    payout = session.scalar(
        select(Payout).where(Payout.invoice_id == invoice.id).with_for_update().execution_options(populate_existing=True)
    )
    if payout is None or payout.reference == "direct":
        return  # a direct payout: the group sent the money back itself, and its fee ledger was credited (payments.fees)
    still_paid = invoice.status == InvoiceStatus.PAID and invoice.order.status != OrderStatus.CANCELLED
    kept = min(invoice.amount, _kept(session, invoice.id))
    # A payout that fees netted to zero was never sent either (payments.fees): nothing of it reached the group.
    if payout.sent_at is not None and payout.reference != "netted":
        _sent_payout_after_refund(
            session, payout, kept if still_paid and payout.status != PayoutStatus.REVERSED else None, refund_id
        )
        return
    if payout.status == PayoutStatus.REVERSED:
        return
    if not still_paid:
        fees.release_netting(session, payout, payout.fees_netted, refund_id)  # never sent: the fees it took are owed again
        payout.status, payout.note = PayoutStatus.REVERSED, "Not sent: the order was cancelled and the buyer refunded."
        return
    if kept >= payout.gross:
        return
    net = _net_payout(kept, payout)
    payout.note = f"Reduced by a refund of {format_money(payout.gross - kept, payout.currency)} to the buyer."[:300]
    payout.amount, payout.fee = net - payout.fees_netted, kept - net
    if payout.amount < 0:  # never below zero: the fees netted from it go back to the group's ledger first
        fees.release_netting(session, payout, -payout.amount, refund_id)
        if payout.amount == 0 and payout.status == PayoutStatus.PENDING:
            fees.close_as_netted(payout)


def _kept(session: Session, invoice_id: int) -> Decimal:
    """What Loom still holds of an invoice's payments: succeeded (or since refunded) payments less succeeded refunds."""
    received = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.invoice_id == invoice_id, Payment.status.in_((PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED))
        )
    )
    returned = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.invoice_id == invoice_id, Refund.status == RefundStatus.SUCCEEDED)
    )
    return Decimal(received) - Decimal(returned)


def _sent_payout_after_refund(session: Session, payout: Payout, kept: Decimal | None, refund_id: int) -> None:
    """A refund after the payout was sent: what the group got beyond its share is to recover, and fees owed again.

    `kept` is what Loom still holds of the invoice (None: nothing of it is the group's any more, the order was
    cancelled or the transfer reversed). The group's share is `kept` less Loom's fee at the payout's rate; fees
    netted from the payout beyond that share go back on the group's fee ledger (payments.fees.release_from_sent),
    and what was sent beyond the share less the fees that stay netted is noted as to recover from the group.
    """
    if kept is not None and kept >= payout.gross:
        return
    share = _net_payout(kept, payout) if kept is not None else Decimal(0)
    released, netted = fees.release_from_sent(session, payout, share, refund_id)
    if payout.status == PayoutStatus.REVERSED:
        return  # the transfer came back: nothing to recover, and the fees it took are owed again
    recover = payout.amount - (share - netted)  # sent, less the group's share after the fees that stay netted
    payout.note = (
        f"To recover {format_money(recover, payout.currency)} from the group: "
        + ("the buyer was refunded in full" if kept is None else "part of the invoice was refunded")
        + " after this payout was sent."
    )
    if released:
        payout.note = f"{payout.note} {format_money(released, payout.currency)} of Loom's fees netted from it are owed again."
    payout.note = payout.note[:300]


def _net_payout(gross: Decimal, payout: Payout) -> Decimal:
    """What the group gets of `gross` at the payout's own fee rate, rounded to the currency (fee + net = gross)."""
    rate = payout.fee / payout.gross if payout.gross else Decimal(0)
    return gross - round_money(gross * rate, payout.currency)


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
        refund = Refund(
            amount=from_minor(obj["amount"], payment.currency),
            currency=payment.currency,
            reason="Refunded from the Stripe dashboard.",
            provider_ref=obj["id"],
            idempotency_key=f"stripe-{obj['id']}",
        )
        payment.refunds.append(refund)
        session.flush()
    refund.provider_ref = refund.provider_ref or obj["id"]
    return apply_refund(session, refund, obj, seen_at=seen_at, settings=settings)


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
