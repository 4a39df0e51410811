"""Invoices a group issues for an order, the buyer's payments and the group's payouts."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, created_at, currency_code, intpk, str_enum
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
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class PayoutMethod(enum.StrEnum):
    STRIPE_TRANSFER = "stripe_transfer"
    MOBILE_MONEY = "mobile_money"
    BANK_TRANSFER = "bank_transfer"


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("group_id", "sequence"),
        UniqueConstraint("order_id", "kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"), index=True)
    # Numbered per group without gaps: the sequence is the group's, the number is what people read.
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, "invoice_kind"))
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.OPEN)
    issued_at: Mapped[created_at]
    due_on: Mapped[dt.date] = mapped_column(Date)
    paid_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship()
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")


class Payment(Base):
    __tablename__ = "payment"

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[currency_code]
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[created_at]
    settled_at: Mapped[dt.datetime | None]

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class Payout(Base):
    __tablename__ = "payout"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    amount: Mapped[Decimal]
    fee: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    currency: Mapped[currency_code]
    reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_at: Mapped[created_at]
    confirmed_at: Mapped[dt.datetime | None]
