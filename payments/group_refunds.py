"""Refunds the group sends back itself: the buyer paid into the group's own account, so Loom cannot move that money.

A cancellation or the operator's partial refund of such an invoice makes a refund as for any payment (the same
balance rule: paid − refunded − refunds on their way, `refunds.refundable`); the outbox then tells the group it
is due instead of asking Stripe. The group (an admin or owner) or the operator marks it sent, with the amount,
the bank's reference and the day; from there it settles exactly as a Stripe refund's answer does
(`refund_settlement.apply_refund`): the invoice's refunded balance, the buyer's pages and e-mail, the group's Odoo, and
Loom's fee on the refunded part credited back in the group's fee ledger (payments.fees).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_role
from marketplace.billing.models import Invoice, Payment, Refund, RefundStatus
from marketplace.db import lock, use_case, utcnow
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.money import format_money
from marketplace.producers.models import ProducerGroup
from payments.collecting import paid_to_group
from payments.refund_settlement import apply_refund
from payments.settings import Settings


def refunds_due(session: Session, group_id: int | None = None) -> list[Refund]:
    """Refunds a group owes its buyers from its own account and has not marked sent, oldest first (all groups: None)."""
    query = (
        select(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Refund.status == RefundStatus.PENDING, Payment.provider == "bank_transfer")
        .order_by(Refund.id)
    )
    if group_id is not None:
        query = query.where(Invoice.group_id == group_id)
    return [r for r in session.scalars(query) if paid_to_group(r.payment)]


def buyer_reference(refund: Refund) -> str:
    """The reference of the buyer's own transfer, as the operator recorded it (what the group matches the buyer by)."""
    return (refund.payment.provider_ref or "").split(":", 2)[-1]


@use_case
def record_refund_sent(
    session: Session,
    user_id: int,
    refund_id: int,
    *,
    membership: Membership | None,
    amount: Decimal,
    reference: str,
    sent_on: dt.date,
    settings: Settings,
) -> Refund:
    """The group (`membership`, an admin or owner) or the operator (`membership` None) marks a refund due sent back.

    Raises `NotFound` (not a refund of this group), `Conflict` (not a pending refund of money paid into the
    group's own account) or `DomainError` (an amount other than what is due, no reference, a day in the future
    or before the refund was asked).
    """
    found = session.get(Refund, refund_id)
    if found is None:
        raise NotFound(_("No such refund."))
    invoice = lock(session, Invoice, found.payment.invoice_id)  # the lock every refund of the invoice takes
    refund = lock(session, Refund, refund_id)
    group = session.get(ProducerGroup, invoice.group_id)
    if membership is not None:
        if membership.organization_id != group.organization_id:
            raise NotFound(_("That refund is not one of yours."))
        require_role(membership, Role.ADMIN)
    if refund.status != RefundStatus.PENDING or not paid_to_group(refund.payment):
        raise Conflict(_("This refund is not waiting to be sent back from the group's own account."))
    if amount != refund.amount:
        raise DomainError(
            _(
                "%(amount)s is due to the buyer; record the refund once that amount is sent.",
                amount=format_money(refund.amount, refund.currency),
            ),
            field="amount",
        )
    if not reference.strip():
        raise DomainError(_("Give the bank's reference for the transfer back to the buyer."), field="reference")
    if sent_on > group.organization.today() or sent_on < refund.created_at.date() - dt.timedelta(days=1):
        raise DomainError(_("Give the day it was sent: not in the future, nor before the refund was asked."), field="sent_on")
    who = "the Loom team" if membership is None else "the group"
    refund.provider_ref = f"group:{refund.id}:{reference.strip()[:90]}"
    refund.sent_on = sent_on
    refund.reason = f"{refund.reason} Sent back by {who} (user {user_id}), ref. {reference.strip()[:60]}."[:300]
    apply_refund(session, refund, {"status": "succeeded"}, seen_at=utcnow(), settings=settings)
    return refund
