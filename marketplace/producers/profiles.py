"""What a group's public profile shows, read in one statement as plain rows instead of ORM entities.

The profile shows a group with its capabilities (and their weeks), certifications, products (their price
tiers and photos) and gallery photos. Loading them as entities (`public_group`: the group joined to its
certifications, then one select-in load per collection) took four statements, each of which costs
PostgreSQL's driver about 80-90 µs of client CPU more than SQLite's (issue 19), and built every object's
identity-map entry and instrumented collections. Here one `UNION ALL` of typed rows brings all of it: each
row is one kind of thing in a shared set of columns, the group's listed row found once by its slug.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Integer,
    String,
    bindparam,
    case,
    cast,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from marketplace.db import Amount
from marketplace.errors import NotFound
from marketplace.producers.models import (
    Capability,
    CapacityWindow,
    Certification,
    Photo,
    PriceTier,
    ProducerGroup,
    Product,
)


@dataclass(frozen=True, slots=True)
class ProfilePhoto:
    """A photo as the profile shows it: upload path, caption, size in pixels."""

    id: int
    path: str
    caption: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProfileWeek:
    """A capability's week with its own capacity: the Monday it starts, units available and already promised."""

    week_start: dt.date
    units_available: int
    units_committed: int


@dataclass(slots=True)
class ProfileCapability:
    """A capability as the profile shows it, with its weeks (`windows`, by week) for the capacity calendar."""

    id: int
    category: str
    title: str
    materials: list[str]
    techniques: list[str]
    moq: int
    lead_time_days: int
    price_min: Decimal
    price_max: Decimal
    currency: str
    weekly_capacity: int
    windows: list[ProfileWeek] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProfileCertification:
    """A certification as the profile shows it: scheme code (or `OTHER_CLAIM`), a claim's own name, verified, valid until.

    `title`, `self_declared` and `checked` are `Certification`'s own rules, read from these values.
    """

    scheme: str
    name: str
    verified: bool
    valid_until: dt.date | None

    self_declared = property(Certification.self_declared.fget)  # type: ignore[attr-defined]
    title = property(Certification.title.fget)  # type: ignore[attr-defined]
    checked = property(Certification.checked.fget)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ProfileTier:
    """A product's price from `min_quantity` units on."""

    min_quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class ProfileProduct:
    """A product of the catalog, with its price tiers (fewest units first) and photos (oldest first)."""

    id: int
    sku: str
    title: str
    category: str
    moq: int
    lead_time_days: int
    currency: str
    price_tiers: list[ProfileTier] = field(default_factory=list)
    photos: list[ProfilePhoto] = field(default_factory=list)


@dataclass(slots=True)
class GroupProfile:
    """A listed group as its profile page shows it (`templates/producers/profile.html`).

    Its collections are in `ProducerGroup`'s orders: capabilities, certifications, products and gallery
    photos (those of no product) each by id.
    """

    id: int
    slug: str
    name: str
    story: str
    country: str
    region: str
    city: str
    artisan_count: int
    women_share: int
    youth_share: int
    response_time_hours: int | None
    languages: list[str]
    verified: bool
    capabilities: list[ProfileCapability] = field(default_factory=list)
    certifications: list[ProfileCertification] = field(default_factory=list)
    products: list[ProfileProduct] = field(default_factory=list)
    photos: list[ProfilePhoto] = field(default_factory=list)


_GROUP, _CAPABILITY, _WEEK, _CERTIFICATION, _PRODUCT, _GALLERY_PHOTO, _PRODUCT_PHOTO = range(7)

# The listed group at the slug; every other kind of row belongs to it. Written once (a CTE) and the later branches' unused
# columns as bare NULLs (their types come from the first branch): psycopg converts a statement over 4 KB anew each time.
_LISTED = select(ProducerGroup.id).where(ProducerGroup.slug == bindparam("slug"), ProducerGroup.listed == true()).cte("listed")
# `PROFILE` (below) is the statement; `LISTED_GROUP_ID` the group's id for a page that reads more of the group in the same
# statement (`marketplace.db.side_by_side`, `marketplace.discovery.profile`).
LISTED_GROUP_ID = select(_LISTED.c.id).scalar_subquery()

_COLUMNS = (
    "kind",
    "id",
    "parent",
    "i1",
    "i2",
    "i3",
    "i4",
    "t1",
    "t2",
    "t3",
    "t4",
    "t5",
    "t6",
    "a1",
    "a2",
    "day",
    "j1",
    "j2",
    "flag",
)


def _row(
    kind: int | ColumnElement[int],
    id_: Any,
    parent: Any = None,
    ints: tuple[Any, ...] = (),
    texts: tuple[Any, ...] = (),
    **typed: Any,
) -> Any:
    """Return one branch's columns in the shared layout (`_COLUMNS`).

    The layout: kind, id, parent id, 4 integers, 6 texts, 2 amounts, a date, 2 JSON lists, a flag. The first branch
    (the group's) names every column and casts its unused ones to their types; PostgreSQL takes a UNION's types from
    all its branches, SQLAlchemy converts results by the first one's. A branch whose column PostgreSQL must convert to
    the UNION's type (a `varchar` under the group's `text` story) costs a plan node more (a Subquery Scan), so the story
    is the last text, which no other branch uses. `kind` is a kind or an expression of the row's kind.
    """
    first = isinstance(kind, int) and kind == _GROUP

    def unused(type_: Any) -> Any:
        return cast(null(), type_) if first else null()

    amounts, lists = typed.get("amounts", ()), typed.get("lists", ())
    columns = (
        literal_column(str(kind), Integer) if isinstance(kind, int) else kind,
        id_,
        unused(Integer) if parent is None else parent,
        *ints,
        *(unused(Integer) for _ in range(4 - len(ints))),
        *texts,
        *(unused(String) for _ in range(6 - len(texts))),
        *amounts,
        *(unused(Amount()) for _ in range(2 - len(amounts))),
        typed.get("day", unused(Date)),
        *lists,
        *(unused(JSON) for _ in range(2 - len(lists))),
        typed.get("flag", unused(Boolean)),
    )
    if not first:
        return columns
    return [column.label(name) for column, name in zip(columns, _COLUMNS, strict=True)]


PROFILE = union_all(
    select(
        *_row(
            _GROUP,
            ProducerGroup.id,
            ints=(
                ProducerGroup.artisan_count,
                ProducerGroup.women_share,
                ProducerGroup.youth_share,
                ProducerGroup.response_time_hours,
            ),
            texts=(
                ProducerGroup.slug,
                ProducerGroup.name,
                ProducerGroup.country,
                ProducerGroup.region,
                ProducerGroup.city,
                ProducerGroup.story,
            ),
            lists=(ProducerGroup.languages,),
            flag=ProducerGroup.verified,
        )
    ).where(ProducerGroup.id == LISTED_GROUP_ID),
    select(
        *_row(
            _CAPABILITY,
            Capability.id,
            ints=(Capability.moq, Capability.lead_time_days, Capability.weekly_capacity),
            texts=(Capability.category, Capability.title, Capability.currency),
            amounts=(Capability.price_min, Capability.price_max),
            lists=(Capability.materials, Capability.techniques),
        )
    ).where(Capability.group_id == LISTED_GROUP_ID),
    select(
        *_row(
            _WEEK,
            CapacityWindow.id,
            CapacityWindow.capability_id,
            ints=(CapacityWindow.units_available, CapacityWindow.units_committed),
            day=CapacityWindow.week_start,
        )
    )
    .join(Capability, Capability.id == CapacityWindow.capability_id)
    .where(Capability.group_id == LISTED_GROUP_ID),
    select(
        *_row(
            _CERTIFICATION,
            Certification.id,
            texts=(Certification.scheme, Certification.name),
            day=Certification.valid_until,
            flag=Certification.verified,
        )
    ).where(Certification.group_id == LISTED_GROUP_ID),
    # A product with its price tiers, a row for each (one without a tier for a product without): one branch, not two.
    select(
        *_row(
            _PRODUCT,
            Product.id,
            ints=(Product.moq, Product.lead_time_days, PriceTier.min_quantity),
            texts=(Product.sku, Product.title, Product.category, Product.currency),
            amounts=(PriceTier.unit_price,),
        )
    )
    .outerjoin(PriceTier, PriceTier.product_id == Product.id)
    .where(Product.group_id == LISTED_GROUP_ID),
    # Gallery and product photos in one branch: a product's photo is its group's too (`add_photo`, `first_photos`).
    select(
        *_row(
            case(
                (Photo.product_id.is_(None), literal_column(str(_GALLERY_PHOTO), Integer)),
                else_=literal_column(str(_PRODUCT_PHOTO), Integer),
            ),
            Photo.id,
            Photo.product_id,
            ints=(Photo.width, Photo.height),
            texts=(Photo.path, Photo.caption),
        )
    ).where(Photo.group_id == LISTED_GROUP_ID),
)


def group_profile(session: Session, slug: str) -> GroupProfile:
    """Read the listed group at `slug` with all its profile shows, in one statement; raise `NotFound` if none.

    Capabilities, certifications, products and gallery photos come by id, a capability's weeks by week, a
    product's price tiers by their least quantity and its photos by id: `ProducerGroup`'s and its children's
    relationship orders, as `public_group` loads them.
    """
    return read_profile(session.execute(PROFILE, {"slug": slug}).all())


def read_profile(rows: Sequence[Sequence[Any]]) -> GroupProfile:
    """Build the profile from the rows of `PROFILE` (in any order); raise `NotFound` if none is the group's."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))  # kind, then id: the group first, each collection by id
    if not rows or rows[0][0] != _GROUP:
        raise NotFound(_("No producer group has that address."))
    g = rows[0]
    group = GroupProfile(g[1], g[7], g[8], g[12], g[9], g[10], g[11], g[3], g[4], g[5], g[6], g[16], bool(g[18]))
    capabilities: dict[int, ProfileCapability] = {}
    products: dict[int, ProfileProduct] = {}
    for r in rows[1:]:
        kind = r[0]
        if kind == _CAPABILITY:
            capability = ProfileCapability(r[1], r[7], r[8], r[16], r[17], r[3], r[4], r[13], r[14], r[9], r[5])
            capabilities[capability.id] = capability
            group.capabilities.append(capability)
        elif kind == _WEEK:
            capabilities[r[2]].windows.append(ProfileWeek(r[15], r[3], r[4]))
        elif kind == _CERTIFICATION:
            group.certifications.append(ProfileCertification(r[7], r[8], bool(r[18]), r[15]))
        elif kind == _PRODUCT:  # a row for each of its price tiers, or one without
            if (product := products.get(r[1])) is None:
                product = products[r[1]] = ProfileProduct(r[1], r[7], r[8], r[9], r[3], r[4], r[10])
                group.products.append(product)
            if r[5] is not None:
                product.price_tiers.append(ProfileTier(r[5], r[13]))
        elif kind == _GALLERY_PHOTO:
            group.photos.append(ProfilePhoto(r[1], r[7], r[8], r[3], r[4]))
        else:
            products[r[2]].photos.append(ProfilePhoto(r[1], r[7], r[8], r[3], r[4]))
    for capability in group.capabilities:
        capability.windows.sort(key=lambda week: week.week_start)
    for product in group.products:
        product.price_tiers.sort(key=lambda tier: tier.min_quantity)
    return group
