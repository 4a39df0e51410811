"""Records only the Stripe adapter reads: each webhook event once, where each group is paid out and paid into.

The payments, refunds and payouts themselves are core records (`marketplace.billing.models`, docs/decisions/0005).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.billing.models import PayoutMethod
from marketplace.db import Base, created_at, str_enum, utcnow


class StripeEvent(Base):
    """A webhook event, stored once by its id in the same transaction as its effect."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[dt.datetime]  # when Stripe made it
    received_at: Mapped[created_at]
    outcome: Mapped[str] = mapped_column(String(300), default="")  # what Loom did with it, for the operator


class PayoutAccount(Base):
    """How a producer group is paid: a Stripe Connect Express account, or mobile money / bank details."""

    __tablename__ = "payout_account"

    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    stripe_account_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    transfers_active: Mapped[bool] = mapped_column(default=False)  # Stripe's `transfers` capability is active
    details_submitted: Mapped[bool] = mapped_column(default=False)
    # Mobile-money number or bank account, encrypted at rest; the hint ("M-Pesa ···4321") is what pages show.
    details_secret: Mapped[str | None] = mapped_column(Text)
    details_hint: Mapped[str] = mapped_column(String(120), default="")
    # After the details change, recorded payouts wait until then (a stolen admin account cannot redirect money at once).
    held_until: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def ready(self) -> bool:
        if self.method == PayoutMethod.STRIPE_TRANSFER:
            return bool(self.stripe_account_id and self.transfers_active)
        return bool(self.details_secret)


class CollectingAccount(Base):
    """A group's own bank account that buyers pay its invoices into by bank transfer, instead of the marketplace's.

    Set by the group's owners only (payments.collecting); the details are encrypted at rest and opened only to
    show them on the group's invoices. Money paid there reaches the group directly: no payout follows.
    """

    __tablename__ = "collecting_account"

    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), primary_key=True)
    details_secret: Mapped[str] = mapped_column(Text)  # bank, name on the account, number, other instructions: sealed
    details_hint: Mapped[str] = mapped_column(
        String(120), default=""
    )  # "Equity Bank ···4321": what pages other than invoices show
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
