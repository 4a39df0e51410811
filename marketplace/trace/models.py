"""Trace events: an append-only, hash-chained record of what happened to an order's goods."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, created_at, intpk, str_enum, utcnow


class EventKind(enum.StrEnum):
    """The four GS1 EPCIS 2.0 event types Loom records."""

    OBJECT = "ObjectEvent"
    TRANSFORMATION = "TransformationEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"


class TraceEvent(Base):
    __tablename__ = "trace_event"
    # One event per position in an order's chain: two writers racing for the same position cannot fork it.
    __table_args__ = (UniqueConstraint("order_id", "sequence"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    sequence: Mapped[int]
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "trace_event_kind"))
    action: Mapped[str | None] = mapped_column(String(10))  # ADD, OBSERVE, DELETE; none for transformations
    biz_step: Mapped[str] = mapped_column(String(60))
    disposition: Mapped[str | None] = mapped_column(String(60))
    event_time: Mapped[dt.datetime]
    read_point: Mapped[str] = mapped_column(String(300))  # where: a geo: URI or a Loom URL (a place name before CBV 2.0)
    biz_location: Mapped[str | None] = mapped_column(String(300))  # where the goods stay afterwards: a URI
    what: Mapped[dict[str, Any]]  # EPCIS what-dimension: epcList / quantityList / inputs and outputs
    why: Mapped[dict[str, Any]] = mapped_column(default=dict)  # notes, bizTransactionList, sources
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[created_at]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex digest; its meaning is hash_scheme's
    # "cbv2": the CBV 2.0 event hash ID of the EPCIS event; "loom1": Loom's first hash (events recorded before).
    hash_scheme: Mapped[str] = mapped_column(String(10), default="cbv2", server_default="cbv2")


class ProductStory(Base):
    """An order's public product story: shown only while both the buyer and the group agree to it."""

    __tablename__ = "product_story"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), unique=True)
    # The story's address: random, so published stories cannot be found by counting order numbers.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    buyer_agrees: Mapped[bool] = mapped_column(default=False, server_default=false())
    group_agrees: Mapped[bool] = mapped_column(default=False, server_default=false())
    photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # progress updates whose photos the group chose to show
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def published(self) -> bool:
        return self.buyer_agrees and self.group_agrees
