"""Requests for quotation, the quotes that answer them, and the conversation around both."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.db import Base, country_code, created_at, currency_code, intpk, str_enum
from marketplace.producers.models import ProducerGroup


class RfqStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class QuoteStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class Rfq(Base):
    __tablename__ = "rfq"
    __table_args__ = (Index("ix_rfq_buyer_listing", "buyer_id", "id"),)  # a buyer's requests, newest first (keyset pages)

    id: Mapped[intpk]
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int]
    target_unit_price: Mapped[Decimal | None]
    currency: Mapped[currency_code]
    needed_by: Mapped[dt.date] = mapped_column(Date)
    destination_country: Mapped[country_code]
    incoterm: Mapped[str] = mapped_column(String(3), default="FCA", server_default="FCA")  # Incoterms® 2020 (sourcing.incoterms)
    incoterm_place: Mapped[str] = mapped_column(String(120), default="", server_default="")  # its named place; "" none named
    status: Mapped[RfqStatus] = mapped_column(str_enum(RfqStatus, "rfq_status"), default=RfqStatus.DRAFT)
    created_at: Mapped[created_at]

    buyer: Mapped[Organization] = relationship()
    recipients: Mapped[list[RfqRecipient]] = relationship(back_populates="rfq", cascade="all, delete-orphan")
    attachments: Mapped[list[RfqAttachment]] = relationship(cascade="all, delete-orphan", order_by="RfqAttachment.id")
    quotes: Mapped[list[Quote]] = relationship(back_populates="rfq", cascade="all, delete-orphan")


class RfqRecipient(Base):
    __tablename__ = "rfq_recipient"
    __table_args__ = (
        UniqueConstraint("rfq_id", "group_id"),
        Index("ix_rfq_recipient_inbox", "group_id", "rfq_id"),  # a group's inbox, newest first (keyset pages)
    )

    id: Mapped[intpk]
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"))
    sent_at: Mapped[created_at]

    rfq: Mapped[Rfq] = relationship(back_populates="recipients")
    group: Mapped[ProducerGroup] = relationship()


class Quote(Base):
    __tablename__ = "quote"
    __table_args__ = (UniqueConstraint("rfq_id", "group_id"),)  # one quote per group, revised in place

    id: Mapped[intpk]
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    unit_price: Mapped[Decimal]
    currency: Mapped[currency_code]
    quantity: Mapped[int]
    lead_time_days: Mapped[int]
    valid_until: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    incoterm: Mapped[str] = mapped_column(
        String(3), default="FCA", server_default="FCA"
    )  # the term quoted; may differ from the RFQ's
    incoterm_place: Mapped[str] = mapped_column(String(120), default="", server_default="")
    status: Mapped[QuoteStatus] = mapped_column(str_enum(QuoteStatus, "quote_status"), default=QuoteStatus.SUBMITTED)
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]

    rfq: Mapped[Rfq] = relationship(back_populates="quotes")
    group: Mapped[ProducerGroup] = relationship()


@dataclass(frozen=True)
class QuoteSeen:
    """What the buyer's page showed of a quote when they chose it: its revision, unit price and quantity.

    `ship_by` is the later date the page promised when the group's calendar could not hold all units by the RFQ's.
    """

    revision: int
    unit_price: Decimal | None = None
    quantity: int | None = None
    ship_by: dt.date | None = None


class Message(Base):
    """One message in the thread between a buyer and one group about one RFQ."""

    __tablename__ = "message"

    id: Mapped[intpk]
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]


class RfqAttachment(Base):
    """A drawing, photo or spec sheet sent with an RFQ; seen only by the buyer and the groups asked."""

    __tablename__ = "rfq_attachment"

    id: Mapped[intpk]
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[created_at]
