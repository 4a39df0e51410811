"""What buyers said about an order: one review per delivered order, and the group's one reply."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, created_at, intpk
from marketplace.orders.models import Order


class Review(Base):
    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),
        CheckConstraint("quality_rating IS NULL OR quality_rating BETWEEN 1 AND 5", name="quality_rating_one_to_five"),
        CheckConstraint(
            "communication_rating IS NULL OR communication_rating BETWEEN 1 AND 5", name="communication_rating_one_to_five"
        ),
        CheckConstraint("on_time_rating IS NULL OR on_time_rating BETWEEN 1 AND 5", name="on_time_rating_one_to_five"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    rating: Mapped[int]  # 1 to 5: the order overall
    # The same order rated on each dimension buyers ask about (1 to 5). NULL on reviews written before
    # Loom asked for them (migration 0025): their buyers gave only the overall rating.
    quality_rating: Mapped[int | None]  # the goods: as specified, well made
    communication_rating: Mapped[int | None]  # answers, updates, problems raised early
    on_time_rating: Mapped[int | None]  # delivered as promised, in the buyer's eyes
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
    reply: Mapped[str | None] = mapped_column(Text)  # the group's one answer
    replied_at: Mapped[dt.datetime | None]
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship()


class ShownRecord(Base):
    """A group's measured record as its profile shows it: whole percents and hours, counts (`marketplace.reputation.shown`).

    Kept by the transactions that write orders, requests, quotes, messages or shipping events, so that one
    which leaves these figures as shown leaves the public generation, and the cached pages, alone. NULL:
    a figure the page does not show (fewer than `MIN_BASIS` events). No row: not yet measured.
    """

    __tablename__ = "shown_record"

    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), primary_key=True)
    orders_completed: Mapped[int]
    repeat_buyers: Mapped[int]
    on_time_percent: Mapped[int | None]
    on_time_basis: Mapped[int | None]
    answer_percent: Mapped[int | None]
    answer_hours: Mapped[int | None]
    requests_received: Mapped[int | None]
