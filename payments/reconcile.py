"""Keeping Loom and Stripe in agreement: re-read what may be out of step and apply what a lost webhook would have said."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Payment, PaymentStatus, Payout, PayoutMethod, PayoutStatus, Refund, RefundStatus
from marketplace.db import utcnow, write_transaction
from payments.gateway import StripeGateway, StripeUnavailable
from payments.models import PayoutAccount
from payments.payouts import apply_account, transfer_from_stripe
from payments.refund_settlement import apply_refund
from payments.settings import Settings
from payments.settlement import apply_checkout, apply_intent


@dataclass
class ReconcileReport:
    payments: int = 0
    refunds: int = 0
    transfers: int = 0
    accounts: int = 0
    repaired: int = 0
    unreachable: int = 0

    def __str__(self) -> str:
        return (
            f"Checked {self.payments} payments, {self.refunds} refunds, {self.transfers} transfers "
            f"and {self.accounts} Connect accounts; "
            f"{self.repaired} repaired"
            + (f"; Stripe did not answer for {self.unreachable} (run again later)" if self.unreachable else "")
            + "."
        )


def _reconcile_work(session: Session, since: dt.datetime) -> list[tuple[str, int]]:
    """What may be out of step with Stripe: unfinished payments and refunds, recent transfers, Connect accounts."""
    payments = session.scalars(
        select(Payment.id)
        .where(
            Payment.created_at >= since,
            Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.PROCESSING]),
            (Payment.checkout_ref.is_not(None)) | (Payment.provider_ref.is_not(None)),
        )
        .order_by(Payment.id)
    )
    refunds = session.scalars(
        select(Refund.id).where(Refund.status == RefundStatus.PENDING, Refund.provider_ref.is_not(None)).order_by(Refund.id)
    )
    transfers = session.scalars(
        select(Payout.id)
        .where(Payout.method == PayoutMethod.STRIPE_TRANSFER, Payout.status == PayoutStatus.SENT, Payout.sent_at >= since)
        .order_by(Payout.id)
    )
    accounts = session.scalars(
        select(PayoutAccount.group_id).where(PayoutAccount.stripe_account_id.is_not(None)).order_by(PayoutAccount.group_id)
    )
    return (
        [("payments", i) for i in payments]
        + [("refunds", i) for i in refunds]
        + [("transfers", i) for i in transfers]
        + [("accounts", i) for i in accounts]
    )


def reconcile_count(session: Session, *, since: dt.datetime) -> int:
    """Count the Stripe objects `reconcile` would re-read for activity since `since` (an aware UTC time)."""
    return len(_reconcile_work(session, since))


def reconcile(
    session: Session, gateway: StripeGateway, *, since: dt.datetime, settings: Settings, progress: Any = None
) -> ReconcileReport:
    """Re-read recent Stripe objects and apply what a lost webhook would have told us.

    Runs its own short write transactions on `session`, one per object, none open while Stripe is asked.
    """
    report = ReconcileReport()
    with write_transaction(session):
        work = _reconcile_work(session, since)
    for kind, key in work:
        try:
            report.repaired += _reconcile_one(session, kind, key, gateway, settings)
        except StripeUnavailable:
            report.unreachable += 1
        setattr(report, kind, getattr(report, kind) + 1)
        if progress is not None:
            progress(1)
    return report


def _reconcile_one(session: Session, kind: str, key: int, gateway: StripeGateway, settings: Settings) -> bool:
    """Read the Stripe ids, ask Stripe outside any transaction, then apply its answer under the row's lock."""
    with write_transaction(session):
        if kind == "payments":
            payment = session.get(Payment, key)
            refs = (payment.checkout_ref, payment.provider_ref)
        else:
            model, column = {
                "refunds": (Refund, "provider_ref"),
                "transfers": (Payout, "reference"),
                "accounts": (PayoutAccount, "stripe_account_id"),
            }[kind]
            refs = (getattr(session.get(model, key), column),)
    if kind == "payments":
        checkout = gateway.checkout(refs[0]) if refs[0] else None
        intent = gateway.payment_intent(refs[1]) if refs[1] else None
    else:
        answer = {"refunds": gateway.refund, "transfers": gateway.transfer, "accounts": gateway.account}[kind](refs[0])
    now = utcnow()
    with write_transaction(session):
        if kind == "payments":
            payment = session.get(Payment, key, with_for_update=True)
            before = payment.status
            if checkout is not None:
                apply_checkout(session, payment, checkout, seen_at=now, settings=settings)
            if payment.status == before and intent is not None:
                apply_intent(session, payment, intent, seen_at=now, settings=settings)
            return payment.status != before
        if kind == "refunds":
            refund = session.get(Refund, key, with_for_update=True)
            apply_refund(session, refund, answer, seen_at=now, settings=settings)
            return refund.status != RefundStatus.PENDING
        if kind == "transfers":
            return transfer_from_stripe(session, session.get(Payout, key, with_for_update=True), answer)
        account = session.get(PayoutAccount, key, with_for_update=True)
        before_account = (account.transfers_active, account.details_submitted)
        apply_account(session, account, answer)
        return (account.transfers_active, account.details_submitted) != before_account
