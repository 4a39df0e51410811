"""Orders made from accepted quotes, their lines and the progress a group reports."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.billing.taxes import TaxRule
from marketplace.db import Base, created_at, currency_code, intpk, str_enum
from marketplace.money import round_money
from marketplace.producers.models import ProducerGroup


class OrderStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    READY = "ready"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Where an order may go from each status; the sourcing flow enforces who may move it.
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CONFIRMED: frozenset({OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED}),
    OrderStatus.IN_PRODUCTION: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CLOSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class Order(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_purchase_order_buyer_listing", "buyer_id", "id"),  # a buyer's orders, newest first (keyset pages)
        Index("ix_purchase_order_group_listing", "group_id", "id"),  # a group's orders, newest first
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    # Indexed with the id (below): each party's list walks its index newest first.
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="RESTRICT"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quote.id", ondelete="SET NULL"), unique=True)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), default=OrderStatus.CONFIRMED)
    currency: Mapped[currency_code]
    total: Mapped[Decimal]  # what the buyer pays, tax included
    # The sales tax the order was priced with (a copy of the group's rule at acceptance; None: no tax) and the tax in `total`.
    tax_name: Mapped[str | None] = mapped_column(String(120))
    tax_rate: Mapped[Decimal | None]
    tax_included: Mapped[bool] = mapped_column(default=False, server_default=false())
    tax_per_line: Mapped[bool] = mapped_column(default=True, server_default=true())
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    deposit_percent: Mapped[int] = mapped_column(default=50)
    incoterm: Mapped[str] = mapped_column(String(3), default="FCA")
    incoterm_place: Mapped[str] = mapped_column(String(120), default="", server_default="")  # the quote's named place
    ship_by: Mapped[dt.date] = mapped_column(Date)
    destination_country: Mapped[str] = mapped_column(String(2))
    carrier: Mapped[str | None] = mapped_column(String(80))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[created_at]
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    buyer: Mapped[Organization] = relationship()
    group: Mapped[ProducerGroup] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    progress: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ProgressUpdate.created_at"
    )

    @property
    def tax_rule(self) -> TaxRule | None:
        if self.tax_rate is None:
            return None
        return TaxRule(self.tax_name or "", self.tax_rate, self.tax_included, self.tax_per_line)

    @property
    def line_amounts(self) -> list[Decimal]:
        return [round_money(line.subtotal, self.currency) for line in self.lines]

    def can_move_to(self, status: OrderStatus) -> bool:
        return status in ORDER_TRANSITIONS[self.status]


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    capability_id: Mapped[int | None] = mapped_column(ForeignKey("capability.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


class ProgressUpdate(Base):
    __tablename__ = "progress_update"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    percent: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    photo_path: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text)  # why progress went down, when it did
    created_at: Mapped[created_at]

    order: Mapped[Order] = relationship(back_populates="progress")
