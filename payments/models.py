"""Records only the Stripe adapter reads: each webhook event once, where each group is paid out and paid into.

The payments, refunds and payouts themselves are core records (`marketplace.billing.models`, docs/decisions/0005).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.billing.models import Invoice, PayoutMethod
from marketplace.db import Base, created_at, currency_code, intpk, str_enum, utcnow
from marketplace.producers.models import ProducerGroup


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


class FeeLedger(Base):
    """A group's account of Loom's fees on money paid straight into its own account: the row every change locks.

    The entries (FeeEntry) say what the group owes per invoice; the ledger row itself only serializes the writers
    (a direct payment charging a fee, a payout netting it, a refund crediting it back, a statement taking it).
    """

    __tablename__ = "fee_ledger"

    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), primary_key=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FeeEntryKind(enum.StrEnum):
    CHARGED = "charged"  # Loom's fee on an invoice paid straight to the group (+, owed by the group)
    CREDITED = "credited"  # the fee on a part refunded to the buyer, given back (−)
    NETTED = "netted"  # taken from a Stripe payout of the group (−)
    STATEMENT = "statement"  # moved onto a fee statement the group pays by bank transfer (−)


class FeeEntry(Base):
    """One movement of a group's fee ledger, in an invoice's currency: + the group owes Loom more, − less.

    What the group still owes on an invoice is the sum of that invoice's entries. `key` names the fact an entry
    records ("charged:<invoice>", "netted:<payout>:<invoice>", "credited:<refund>", …) so the same fact is never
    written twice, whatever is retried.
    """

    __tablename__ = "fee_entry"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[FeeEntryKind] = mapped_column(str_enum(FeeEntryKind, "fee_entry_kind"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id", ondelete="RESTRICT"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id", ondelete="RESTRICT"))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("fee_statement.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[created_at]

    invoice: Mapped[Invoice] = relationship()


class FeeStatementStatus(enum.StrEnum):
    ISSUED = "issued"
    RECEIVED = "received"


class FeeStatement(Base):
    """A bill for Loom's fees that no payout could take, paid by the group by bank transfer into the marketplace's account."""

    __tablename__ = "fee_statement"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # the reference the group quotes on its transfer
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    status: Mapped[FeeStatementStatus] = mapped_column(
        str_enum(FeeStatementStatus, "fee_statement_status"), default=FeeStatementStatus.ISSUED
    )
    issued_at: Mapped[created_at]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")  # the bank's reference of the group's transfer
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime | None]  # when the operator marked it received (received_on: the bank's day)
    # Voided by the operator (payments.fees.void_statement): its fees went back to the group's open balance.
    voided_at: Mapped[dt.datetime | None]
    # The operator's user id. No database reference (migration 0032: SQLite cannot add one to this table in place);
    # `voided_by` is None for an operator since deleted, as SET NULL would give.
    voided_by_id: Mapped[int | None]
    void_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    group: Mapped[ProducerGroup] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    voided_by: Mapped[User | None] = relationship(
        primaryjoin=lambda: foreign(FeeStatement.voided_by_id) == User.id, viewonly=True
    )

    @property
    def open(self) -> bool:
        """Whether the statement still waits for the group's transfer (issued, neither received nor voided)."""
        return self.status == FeeStatementStatus.ISSUED and self.voided_at is None
