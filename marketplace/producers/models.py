"""Producer groups and what they can make: capabilities, capacity, certifications, catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization
from marketplace.db import Base, country_code, created_at, currency_code, intpk, utcnow
from marketplace.producers.taxonomy import CERTIFICATION_SCHEMES


class ProducerGroup(Base):
    __tablename__ = "producer_group"
    __table_args__ = (
        CheckConstraint("women_share BETWEEN 0 AND 100", name="women_share_percent"),
        CheckConstraint("youth_share BETWEEN 0 AND 100", name="youth_share_percent"),
    )

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    story: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[country_code]
    region: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    artisan_count: Mapped[int] = mapped_column(default=0)
    women_share: Mapped[int] = mapped_column(default=0)
    youth_share: Mapped[int] = mapped_column(default=0)
    languages: Mapped[list[str]] = mapped_column(default=list)
    verified: Mapped[bool] = mapped_column(default=False)
    # Whether the group shows anywhere public (home, directory, search, API, profile, stories, photos). A group
    # that signed itself up starts unlisted and is listed once one of its people confirms their e-mail address
    # (producers.services.list_confirmed_groups), so nobody is shown under an address they do not hold; an
    # operator's spreadsheet import vouches for the groups it creates and lists them at once.
    listed: Mapped[bool] = mapped_column(default=False, server_default=false())
    rating: Mapped[Decimal | None]
    rating_count: Mapped[int] = mapped_column(default=0)
    response_time_hours: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))  # the group's working currency; None: its capabilities'
    artisan_share_floor: Mapped[int] = mapped_column(
        default=25, server_default="25"
    )  # percent of a price; the pricing helper warns below it
    # A federation's own id for the group, so re-importing its spreadsheet updates instead of duplicating.
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every change the search index must learn; the index keeps only the newest version.
    version: Mapped[int] = mapped_column(default=1)

    organization: Mapped[Organization] = relationship()
    capabilities: Mapped[list[Capability]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="Capability.id"
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="Certification.id"
    )
    products: Mapped[list[Product]] = relationship(back_populates="group", cascade="all, delete-orphan", order_by="Product.id")
    photos: Mapped[list[Photo]] = relationship(
        primaryjoin="and_(Photo.group_id == ProducerGroup.id, Photo.product_id.is_(None))",
        order_by="Photo.id",
        viewonly=True,
    )


class ListingCount(Base):
    """How many listed groups there are (`category` ""), and how many make something in each category (top-level or
    not), in all (`country` "") and in each country.

    Kept by `marketplace.producers.counts` in the transaction that lists, unlists, adds or removes a group
    or a capability, so the home page reads one row per category instead of counting every group, and the directory and
    the API read the total of any filter from one row.
    """

    __tablename__ = "listing_count"

    category: Mapped[str] = mapped_column(String(60), primary_key=True)  # as long as a capability's
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    groups: Mapped[int]


class ListingMembership(Base):
    """One row per listed group (`category` "") and per category it makes something in: each top-level category, and
    each category code its capabilities hold.

    What `listing_count` counts, kept per group so that a change to a few groups moves the counts by the
    difference (`marketplace.producers.counts`), whatever the number of groups. No foreign key: when a group
    is deleted, its rows must still be there for the commit to take it out of the counts.
    Each row carries the group's place in the listing order (`verified`, `name`), its `country` and its `rating_rank`,
    copied from the group: the directory of a category walks this table's indexes in that order and stops at a page,
    where it walked every group probing for the category and counted the groups of a subcategory one by one (issue 19:
    40 ms a page at 100,000 groups, 134 ms at 300,000); so do a new request's suggestions, best rated first.
    """

    __tablename__ = "listing_membership"

    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(60), primary_key=True)  # as long as a capability's
    verified: Mapped[bool]
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[country_code]
    # The group's rating, or UNRATED: below every rating (1 to 5), so one index in descending order puts the unrated last
    # on both engines, where `NULLS LAST` is PostgreSQL's alone (SQLite indexes no NULLS clause).
    rating_rank: Mapped[Decimal]


UNRATED = Decimal(-1)  # `ListingMembership.rating_rank` of a group without a rating


class GroupAddress(Base):
    """An address a group had before it was renamed: /groups/<old slug> answers 301 to the current one."""

    __tablename__ = "group_address"

    id: Mapped[intpk]
    old_slug: Mapped[str] = mapped_column(String(220), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[created_at]


# The order every list of groups shows (home, directory, API): listed groups only, verified first, then by
# name. The indexes walk it in order, so a page costs the same at 100 groups and at 100,000 (no scan, no sort).
Index("ix_producer_group_listing", ProducerGroup.listed, ProducerGroup.verified.desc(), ProducerGroup.name, ProducerGroup.id)
Index(
    "ix_producer_group_country_listing",
    ProducerGroup.listed,
    ProducerGroup.country,
    ProducerGroup.verified.desc(),
    ProducerGroup.name,
    ProducerGroup.id,
)
# The same order within a category (`ListingMembership`), and within a category and a country.
Index(
    "ix_listing_membership_listing",
    ListingMembership.category,
    ListingMembership.verified.desc(),
    ListingMembership.name,
    ListingMembership.group_id,
)
# A new request's suggestions (`marketplace.sourcing.services.groups_making`): verified, then best rated, then by name.
Index(
    "ix_listing_membership_rated",
    ListingMembership.category,
    ListingMembership.verified.desc(),
    ListingMembership.rating_rank.desc(),
    ListingMembership.name,
    ListingMembership.group_id,
)
Index(
    "ix_listing_membership_country_listing",
    ListingMembership.category,
    ListingMembership.country,
    ListingMembership.verified.desc(),
    ListingMembership.name,
    ListingMembership.group_id,
)


class Certification(Base):
    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("group_id", "scheme", "name"),)

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(40))  # a code of taxonomy.CERTIFICATION_SCHEMES, or OTHER_CLAIM
    name: Mapped[str] = mapped_column(
        String(120), default="", server_default=""
    )  # an "other" claim's own name; "" for a listed scheme
    reference: Mapped[str] = mapped_column(String(120), default="")
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    evidence_path: Mapped[str | None] = mapped_column(String(300))
    verified: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[dt.datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(
        Text
    )  # the operator's: how it was checked without evidence, or why it was rejected
    rejected_at: Mapped[dt.datetime | None]

    group: Mapped[ProducerGroup] = relationship(back_populates="certifications")

    @property
    def self_declared(self) -> bool:
        """A claim outside Loom's list of schemes: shown as the group's own word, never as verified."""
        return self.scheme not in CERTIFICATION_SCHEMES

    @property
    def title(self) -> str:
        scheme = CERTIFICATION_SCHEMES.get(self.scheme)
        return scheme.name if scheme else self.name or gettext("Other certification")

    @property
    def checked(self) -> bool:
        """Verified by an operator, and of a listed scheme (a self-declared claim never counts)."""
        return self.verified and not self.self_declared


class Capability(Base):
    __tablename__ = "capability"
    __table_args__ = (
        CheckConstraint("moq >= 1", name="moq_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint("weekly_capacity >= 0", name="weekly_capacity_not_negative"),
        CheckConstraint("price_min <= price_max", name="price_range_ordered"),
    )

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    # The group's own name for what it makes ("Sisal market baskets, 30 cm"); searchable; may be empty.
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    materials: Mapped[list[str]] = mapped_column(default=list)
    techniques: Mapped[list[str]] = mapped_column(default=list)
    moq: Mapped[int] = mapped_column(default=1)
    lead_time_days: Mapped[int]
    price_min: Mapped[Decimal]
    price_max: Mapped[Decimal]
    currency: Mapped[currency_code]
    weekly_capacity: Mapped[int]

    group: Mapped[ProducerGroup] = relationship(back_populates="capabilities")
    windows: Mapped[list[CapacityWindow]] = relationship(
        back_populates="capability", cascade="all, delete-orphan", order_by="CapacityWindow.week_start"
    )


class CapacityWindow(Base):
    """Units a capability can produce in one ISO week (starting Monday), and how many are promised."""

    __tablename__ = "capacity_window"
    __table_args__ = (
        UniqueConstraint("capability_id", "week_start"),
        CheckConstraint("units_available >= 0", name="available_not_negative"),
        CheckConstraint("units_committed >= 0", name="committed_not_negative"),
    )

    id: Mapped[intpk]
    capability_id: Mapped[int] = mapped_column(ForeignKey("capability.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[dt.date] = mapped_column(Date)
    units_available: Mapped[int]
    units_committed: Mapped[int] = mapped_column(default=0)

    capability: Mapped[Capability] = relationship(back_populates="windows")

    @property
    def units_free(self) -> int:
        return max(self.units_available - self.units_committed, 0)


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("group_id", "sku"), CheckConstraint("moq >= 1", name="moq_positive"))

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60))
    materials: Mapped[list[str]] = mapped_column(default=list)
    moq: Mapped[int] = mapped_column(default=1)
    lead_time_days: Mapped[int]
    currency: Mapped[currency_code]
    created_at: Mapped[created_at]

    group: Mapped[ProducerGroup] = relationship(back_populates="products")
    price_tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="PriceTier.min_quantity"
    )
    photos: Mapped[list[Photo]] = relationship(back_populates="product", order_by="Photo.id")


class PriceTier(Base):
    __tablename__ = "price_tier"
    __table_args__ = (UniqueConstraint("product_id", "min_quantity"),)

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[Decimal]

    product: Mapped[Product] = relationship(back_populates="price_tiers")


class Photo(Base):
    __tablename__ = "photo"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    caption: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]

    group: Mapped[ProducerGroup] = relationship()
    product: Mapped[Product | None] = relationship(back_populates="photos")


class CapacityCommitment(Base):
    """Units of one week promised to one order, so cancelling gives back exactly what was taken."""

    __tablename__ = "capacity_commitment"
    __table_args__ = (UniqueConstraint("order_id", "window_id"), CheckConstraint("units > 0", name="units_positive"))

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("capacity_window.id", ondelete="RESTRICT"), index=True)
    units: Mapped[int]

    window: Mapped[CapacityWindow] = relationship()


class ImportJob(Base):
    """One spreadsheet an operator uploaded: previewed first, then imported by the worker, counting as it goes."""

    __tablename__ = "import_job"

    id: Mapped[intpk]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    filename: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))  # the private upload, relative to UPLOAD_DIR
    number_locale: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="previewed")  # previewed → queued → running → done
    total: Mapped[int] = mapped_column(default=0)  # records (groups) in the file
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    # {"notes": [...], "preview": [...first records...], "problems": [{"where", "column", "reason"}, ...]}
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finished_at: Mapped[dt.datetime | None]
