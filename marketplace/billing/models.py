"""Invoices a group issues for an order, and the money that moves for them: payments, refunds, payouts.

These are core records, whichever adapter moves the money: the core derives an invoice's status from its
payments and the operator desk reads them, and the Odoo sync (erp_connector, which may not import `payments`)
books them. What only the Stripe adapter keeps lives in `payments/models.py` (docs/decisions/0005).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.billing.taxes import TaxRule
from marketplace.db import Base, created_at, currency_code, intpk, str_enum
from marketplace.producers.models import ProducerGroup

if TYPE_CHECKING:  # billing reads orders; orders issue invoices: the relationship is resolved by name at mapping time
    from marketplace.orders.models import Order


class InvoiceKind(enum.StrEnum):
    DEPOSIT = "deposit"
    BALANCE = "balance"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    VOID = "void"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # checkout started, nothing paid yet
    PROCESSING = "processing"  # paid by a method that settles later (bank debits)
    FAILED = "failed"  # declined, or the checkout expired: the buyer may try again
    SUCCEEDED = "succeeded"
    REFUNDED = "refunded"

    @property
    def rank(self) -> int:
        """How far along a payment is; late or repeated news never moves it back."""
        return _PAYMENT_RANK[self]


_PAYMENT_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.PROCESSING: 1,
    PaymentStatus.FAILED: 2,
    PaymentStatus.SUCCEEDED: 3,
    PaymentStatus.REFUNDED: 4,
}


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # money in, not yet sent to the group
    SENT = "sent"  # a Stripe transfer made, or the operator recorded the transfer
    CONFIRMED = "confirmed"  # the group confirmed receipt (recorded payouts)
    REVERSED = "reversed"  # taken back after a cancellation


class PayoutMethod(enum.StrEnum):
    STRIPE_TRANSFER = "stripe_transfer"
    MOBILE_MONEY = "mobile_money"
    BANK_TRANSFER = "bank_transfer"


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("group_id", "sequence"),
        UniqueConstraint("order_id", "kind"),
        UniqueConstraint("number"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"), index=True)
    # Numbered per group without gaps: the sequence is the group's, the number is what people read.
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, "invoice_kind"))
    amount: Mapped[Decimal]  # what the buyer pays, tax included
    # The sales tax in `amount` (marketplace.billing.taxes): added on top of the order's prices or included in them.
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    currency: Mapped[currency_code]
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.OPEN)
    issued_at: Mapped[created_at]
    # The invoice's date: the day it was issued in the group's calendar (its time zone), which Odoo and the PDF show.
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    paid_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship()
    group: Mapped[ProducerGroup] = relationship()
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")


class GroupSalesTax(Base):
    """The sales tax a group charges on its Loom prices (one percent tax), as its Odoo computes it; none without a row.

    Chosen by the group's admin among its Odoo's sale taxes (erp_connector keeps the Odoo tax's id);
    each order keeps a copy of the rule it was priced with.
    """

    __tablename__ = "group_sales_tax"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rate: Mapped[Decimal]  # percent: 15 means 15 %
    included: Mapped[bool]  # prices include it (else it is added on top)
    per_line: Mapped[bool] = mapped_column(default=True)  # Odoo's round_per_line; False: round_globally
    updated_at: Mapped[created_at]

    @property
    def rule(self) -> TaxRule:
        return TaxRule(self.name, self.rate, self.included, self.per_line)


class Payment(Base):
    """One attempt to pay an invoice (a Stripe Checkout Session and the PaymentIntent behind it)."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("invoice_id", "attempt"),)

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)  # the PaymentIntent
    checkout_ref: Mapped[str | None] = mapped_column(String(120), unique=True)  # the Checkout Session
    checkout_url: Mapped[str | None] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(String(254))  # sent with every try of this attempt, whoever retries it
    # Written before Stripe is called and sent with every try, so a retry can never charge twice.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[created_at]
    settled_at: Mapped[dt.datetime | None]
    stripe_seen_at: Mapped[dt.datetime | None]  # when the newest Stripe news applied to it was made

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")


class Refund(Base):
    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[intpk]
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"), default=RefundStatus.PENDING)
    reason: Mapped[str] = mapped_column(String(300), default="")
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[created_at]
    settled_at: Mapped[dt.datetime | None]

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class Payout(Base):
    """What the group receives for one paid invoice: the invoice's amount less Loom's fee."""

    __tablename__ = "payout"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), unique=True)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, "payout_status"), default=PayoutStatus.PENDING)
    amount: Mapped[Decimal]  # what the group gets
    fee: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    currency: Mapped[currency_code]
    reference: Mapped[str] = mapped_column(String(120), default="")  # Stripe transfer id, or the M-Pesa / bank reference
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    recorded_at: Mapped[created_at]
    sent_at: Mapped[dt.datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    # A payout sent outside Stripe in the group's own currency: what arrived, and the rate used
    # (units of sent_currency for 1 of `currency`); None when it was sent in `currency` itself.
    sent_currency: Mapped[str | None] = mapped_column(String(3))
    sent_amount: Mapped[Decimal | None]
    exchange_rate: Mapped[Decimal | None]

    invoice: Mapped[Invoice | None] = relationship()

    @property
    def gross(self) -> Decimal:
        return self.amount + self.fee
