"""Keep a producer group's listing current: profile, capabilities, capacity, certifications, catalog."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, delete, false, func, select, true, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.accounts.models import Membership, OrganizationKind, Role, User
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.clock import is_time_zone
from marketplace.db import use_case, utcnow
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.i18n import format_day as format_date
from marketplace.i18n import format_number
from marketplace.i18n import lazy_gettext as _l
from marketplace.notifications import notify
from marketplace.outbox.events import AddressConfirmed, OrganizationSignedUp
from marketplace.producers import capacity
from marketplace.producers.cards import CARD_COLUMNS, CardPage, GroupCard, read_cards, with_details
from marketplace.producers.changes import publish_group_changed, touch
from marketplace.producers.commitments import lock_capability
from marketplace.producers.counts import ALL, ANYWHERE
from marketplace.producers.models import (
    Capability,
    CapacityWindow,
    Certification,
    GroupAddress,
    ListingCount,
    ListingMembership,
    Photo,
    PriceTier,
    ProducerGroup,
    Product,
)
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, OTHER_CLAIM, scheme_code
from marketplace.text import slugify
from marketplace.uploads import StoredFile

PROFILE_FIELDS = (
    "name",
    "story",
    "country",
    "region",
    "city",
    "latitude",
    "longitude",
    "artisan_count",
    "women_share",
    "youth_share",
    "languages",
    "response_time_hours",
    "currency",
    "artisan_share_floor",
)
CAPABILITY_FIELDS = (
    "category",
    "title",
    "materials",
    "techniques",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "currency",
    "weekly_capacity",
)
MAX_CAPABILITY_TITLE = 120  # characters of a capability's own title (Capability.title)
PRODUCT_FIELDS = ("sku", "title", "description", "category", "materials", "moq", "lead_time_days", "currency")


def unique_slug(session: Session, name: str) -> str:
    """Return a slug for `name` no producer group has, nor had before a rename: the name's slug, else it with -2, -3 …
    appended."""
    base = slugify(name)
    taken = set(session.scalars(select(ProducerGroup.slug).where(ProducerGroup.slug.like(f"{base}%"))))
    taken |= set(session.scalars(select(GroupAddress.old_slug).where(GroupAddress.old_slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def open_group(session: Session, event: OrganizationSignedUp) -> None:
    """Give a newly signed-up producer organization its group (named after it, in its country) and publish that it changed."""
    organization = event.organization
    if organization.kind != OrganizationKind.PRODUCER:
        return
    group = ProducerGroup(
        organization=organization,
        name=organization.name,
        slug=unique_slug(session, organization.name),
        country=organization.country,
    )
    session.add(group)
    publish_group_changed(session, group)


def list_confirmed_groups(session: Session, event: AddressConfirmed) -> None:
    """List the unlisted producer groups `event.user` belongs to, now that one of their people proved an
    address, and queue their re-indexing in the same transaction (they show in search once the worker runs)."""
    groups = session.scalars(
        select(ProducerGroup).where(
            ProducerGroup.organization_id.in_(select(Membership.organization_id).where(Membership.user_id == event.user.id)),
            ProducerGroup.listed == false(),
        )
    )
    for group in groups:
        group.listed = True
        touch(session, group)


def group_of(session: Session, membership: Membership | None) -> ProducerGroup:
    """The producer group that the membership's organization runs; 404 for buyers."""
    if membership is None:
        raise NotFound(_("You are not part of a producer group."))
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.organization_id == membership.organization_id))
    if group is None:
        raise NotFound(_("Your organization is a buyer; producer tools are for producer groups."))
    return group


def editable_group(session: Session, membership: Membership | None, *, changing: bool = True) -> ProducerGroup:
    """The membership's group, for an admin or owner (Forbidden otherwise) to look at its listing or, with
    `changing`, to publish to it: that also takes a confirmed e-mail address (`require_confirmed`)."""
    group = group_of(session, membership)
    require_role(membership, Role.ADMIN)
    if changing:
        require_confirmed(membership)
    return group


def is_public_photo(session: Session, path: str) -> bool:
    """Whether a group published a photo stored at this upload path (gallery or product)."""
    return (
        session.scalar(
            select(Photo.id)
            .join(ProducerGroup, ProducerGroup.id == Photo.group_id)
            .where(Photo.path == path, ProducerGroup.listed == true())
            .limit(1)
        )
        is not None
    )


# `public_group`'s statement, built once: composing it and its loader options was a tenth of a profile's CPU time.
_PUBLIC_GROUP = (
    select(ProducerGroup)
    .where(ProducerGroup.slug == bindparam("slug"), ProducerGroup.listed == true())
    .options(
        joinedload(ProducerGroup.certifications),
        selectinload(ProducerGroup.capabilities).joinedload(Capability.windows),
        selectinload(ProducerGroup.products).options(joinedload(Product.price_tiers), joinedload(Product.photos)),
        selectinload(ProducerGroup.photos),
    )
)


def public_group(session: Session, slug: str) -> ProducerGroup:
    """Load the listed group at `slug` with all its profile shows, in four statements; raise `NotFound` if none.

    Each collection is joined to its small children (a capability's weeks, a product's tiers and
    photos) so the profile costs the same few round trips however much the group offers.
    """
    group = session.scalars(_PUBLIC_GROUP, {"slug": slug}).unique().one_or_none()
    if group is None:
        raise NotFound(_("No producer group has that address."))
    return group


def moved_to(session: Session, slug: str) -> str | None:
    """The current slug of the group that was at `slug` before a rename; None if no group ever was."""
    return session.scalar(
        select(ProducerGroup.slug)
        .join(GroupAddress, GroupAddress.group_id == ProducerGroup.id)
        .where(GroupAddress.old_slug == slug, ProducerGroup.listed == true())
    )


# `api_group`'s statement: what the API's group document shows, without the photos the profile also loads.
_API_GROUP = (
    select(ProducerGroup)
    .where(ProducerGroup.slug == bindparam("slug"), ProducerGroup.listed == true())
    .options(
        joinedload(ProducerGroup.certifications),
        selectinload(ProducerGroup.capabilities).joinedload(Capability.windows),
        selectinload(ProducerGroup.products).joinedload(Product.price_tiers),
    )
)


def api_group(session: Session, slug: str) -> ProducerGroup:
    """Load the listed group at `slug` with its certifications, capabilities with their weeks, and products with their
    price tiers, in three statements; raise `NotFound` if none.

    The API's group document (`/api/v1/groups/<slug>`) shows no photos: `public_group`'s photo loads were a statement and
    a join a request for nothing (issue 19).
    """
    group = session.scalars(_API_GROUP, {"slug": slug}).unique().one_or_none()
    if group is None:
        raise NotFound(_("No producer group has that address."))
    return group


def follow_name(session: Session, group: ProducerGroup) -> bool:
    """Give a renamed group the address its new name reads as, keeping the old one as a redirect; return whether it moved.

    A slug that already reads as the name ("machakos-weavers", "machakos-weavers-2") stays. The new slug
    takes no other group's current or former address; renaming back reclaims the group's own old one.
    """
    base = slugify(group.name)
    if group.slug == base or re.fullmatch(rf"{re.escape(base)}-[0-9]+", group.slug):
        return False
    pattern = f"{base}%"
    taken = set(session.scalars(select(ProducerGroup.slug).where(ProducerGroup.slug.like(pattern), ProducerGroup.id != group.id)))
    taken |= set(
        session.scalars(
            select(GroupAddress.old_slug).where(GroupAddress.old_slug.like(pattern), GroupAddress.group_id != group.id)
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    session.execute(
        delete(GroupAddress).where(GroupAddress.old_slug == slug)
    )  # renamed back: its own old address is current again
    session.add(GroupAddress(old_slug=group.slug, group_id=group.id))
    group.slug = slug
    session.flush()
    return True


def _apply(target: Any, fields: Iterable[str], values: Mapping[str, Any]) -> bool:
    changed = False
    for name in fields:
        if name in values and getattr(target, name) != values[name]:
            setattr(target, name, values[name])
            changed = True
    return changed


@use_case
def update_profile(session: Session, group: ProducerGroup, values: Mapping[str, Any]) -> bool:
    """Change the profile's fields and the organization's time zone; return whether anything changed.

    Raises `DomainError` (field `time_zone`) for a name that is not an IANA time zone.
    """
    zone = values.get("time_zone")
    if zone is not None and not is_time_zone(zone):
        raise DomainError(_("Choose a time zone from the list."), field="time_zone")
    old_name = group.name
    changed = _apply(group, PROFILE_FIELDS, values)
    if "time_zone" in values and group.organization.time_zone != zone:
        group.organization.time_zone = zone
        changed = True
    if changed:
        group.organization.name = group.name
        if group.name != old_name:
            follow_name(session, group)
        touch(session, group)
    return changed


def _check_capability(values: Mapping[str, Any]) -> None:
    if len(values.get("title") or "") > MAX_CAPABILITY_TITLE:
        raise DomainError(_("Keep the title under %(count)s characters.", count=MAX_CAPABILITY_TITLE), field="title")
    if values["category"] not in CATEGORIES or CATEGORIES[values["category"]].parent is None:
        raise DomainError(_("Choose a category from the list."), field="category")
    if values["price_min"] > values["price_max"]:
        raise DomainError(_("The lowest price cannot be above the highest."), field="price_max")


def _owned_capability(session: Session, group: ProducerGroup, capability_id: int) -> Capability:
    """The group's own capability, locked for this transaction (see `lock_capability`); any other id is a 404."""
    capability = session.scalar(select(Capability).where(Capability.id == capability_id, Capability.group_id == group.id))
    if capability is None:
        raise NotFound(_("That capability is not part of your group."))
    try:
        return lock_capability(session, capability.id)
    except Conflict:
        raise NotFound(_("That capability is not part of your group.")) from None


@use_case
def add_capability(session: Session, group: ProducerGroup, values: Mapping[str, Any]) -> Capability:
    """Add a capability to `group` from the form's `values` (CAPABILITY_FIELDS) and reindex the group.

    Return it, flushed (with its id). Raises DomainError for a category outside the taxonomy or a lowest price above the
    highest.
    """
    _check_capability(values)
    capability = Capability(group=group, **{k: values[k] for k in CAPABILITY_FIELDS if k in values})
    session.add(capability)
    touch(session, group)
    session.flush()
    return capability


@use_case
def update_capability(session: Session, group: ProducerGroup, capability_id: int, values: Mapping[str, Any]) -> Capability:
    """Change capability `capability_id` of `group` to `values`; reindex the group if anything changed.

    Raises NotFound for another group's, DomainError as `add_capability`.
    """
    capability = _owned_capability(session, group, capability_id)
    _check_capability(values)
    if _apply(capability, CAPABILITY_FIELDS, values):
        touch(session, group)
    return capability


@use_case
def remove_capability(session: Session, group: ProducerGroup, capability_id: int) -> None:
    """Delete capability `capability_id` of `group` and reindex it.

    Raises NotFound for another group's, Conflict while orders hold units of it.
    """
    capability = _owned_capability(session, group, capability_id)
    if any(w.units_committed for w in capability.windows):
        raise Conflict(_("Orders are committed against this capability; finish or cancel them first."))
    session.delete(capability)
    touch(session, group)


@dataclass(frozen=True)
class CalendarWeek:
    week_start: dt.date
    available: int
    committed: int
    is_default: bool


def capacity_calendar(capability: Capability, today: dt.date, weeks: int) -> list[CalendarWeek]:
    """Return the capability's next `weeks` weeks from `today` (the group's calendar date).

    Units available and committed, and whether each week still has its default capacity.
    """
    by_week = {w.week_start: w for w in capability.windows}
    return [
        CalendarWeek(
            week.week_start,
            week.available,
            week.committed,
            week.week_start not in by_week,
        )
        for week in capacity.weeks_ahead(today, capability.weekly_capacity, _calendar(capability), weeks=weeks)
    ]


def _calendar(capability: Capability) -> dict[dt.date, tuple[int, int]]:
    return {w.week_start: (w.units_available, w.units_committed) for w in capability.windows}


@use_case
def set_capacity(session: Session, group: ProducerGroup, capability_id: int, units_by_week: Mapping[dt.date, int]) -> Capability:
    """Set the units available in many weeks at once; a week cannot drop below what is already promised.

    `units_by_week` maps each week's Monday to whole units. Raises `DomainError` (a key that is not a Monday, negative units) or
    `Conflict` (a week below the units already promised in it).
    """
    capability = _owned_capability(session, group, capability_id)
    windows = {w.week_start: w for w in capability.windows}
    changed = False
    for monday, units in sorted(units_by_week.items()):
        if monday.weekday() != 0:
            raise DomainError(
                _("%(monday_isoformat)s is not a Monday; capacity is set per week.", monday_isoformat=monday.isoformat())
            )
        if units < 0:
            raise DomainError(_("Units for the week of %(monday)s cannot be negative.", monday=format_date(monday, "d MMM")))
        window = windows.get(monday)
        if window is None:
            if units == capability.weekly_capacity:
                continue  # same as the usual week: nothing to record
            window = CapacityWindow(capability=capability, week_start=monday, units_available=units)
            session.add(window)
            changed = True
            continue
        if units < window.units_committed:
            raise Conflict(
                _(
                    "The week of %(week)s already has %(units)s units promised to orders; it cannot go below that.",
                    week=format_date(monday),
                    units=format_number(window.units_committed),
                ),
                field=f"week_{monday:%Y%m%d}",
            )
        if window.units_available != units:
            window.units_available = units
            changed = True
    if changed:
        touch(session, group)
    return capability


@use_case
def add_certification(
    session: Session,
    group: ProducerGroup,
    *,
    scheme: str,
    reference: str,
    valid_until: dt.date | None,
    evidence: StoredFile | None,
    name: str = "",
) -> Certification:
    """Add a listed scheme's certification, or (scheme OTHER_CLAIM) a named claim shown as self-declared.

    Raises DomainError (field `scheme` or `name`) for an unknown scheme or a nameless other claim,
    Conflict if the group already lists it.
    """
    name = name.strip() if scheme == OTHER_CLAIM else ""
    if scheme != OTHER_CLAIM and scheme not in CERTIFICATION_SCHEMES:
        raise DomainError(_("Choose a certification from the list."), field="scheme")
    if scheme == OTHER_CLAIM:
        if not name:
            raise DomainError(_("Name the certification or membership (e.g. “Kenya Bureau of Standards mark”)."), field="name")
        if (listed := scheme_code(name)) is not None:
            raise DomainError(
                _(
                    "That is %(scheme)s: choose it from the list, so an operator can check it.",
                    scheme=CERTIFICATION_SCHEMES[listed].name,
                ),
                field="name",
            )
    existing = session.scalar(
        select(Certification).where(
            Certification.group_id == group.id, Certification.scheme == scheme, Certification.name == name
        )
    )
    if existing is not None:
        raise Conflict(_("This certification is already on your profile; remove it first to replace it."), field="scheme")
    certification = Certification(
        group=group,
        scheme=scheme,
        name=name,
        reference=reference.strip(),
        valid_until=valid_until,
        evidence_path=evidence.path if evidence else None,
    )
    session.add(certification)
    touch(session, group)
    session.flush()
    return certification


@use_case
def remove_certification(session: Session, group: ProducerGroup, certification_id: int) -> None:
    """Delete certification `certification_id` from `group`'s profile and reindex it.

    Raise NotFound for one not on it.
    """
    certification = session.scalar(
        select(Certification).where(Certification.id == certification_id, Certification.group_id == group.id)
    )
    if certification is None:
        raise NotFound(_("That certification is not on your profile."))
    session.delete(certification)
    touch(session, group)


@use_case
def verify_certification(
    session: Session, operator: User, certification_id: int, *, verified: bool, note: str = ""
) -> Certification:
    """Mark a certification checked (`verified`) or take the check back (undo, also of a rejection).

    Without uploaded evidence a check needs the operator's `note` on how it was made (`DomainError`, field `note`).

    Raises `NotFound` for an unknown certification, `DomainError` as above.
    """
    certification = session.get(Certification, certification_id)
    if certification is None:
        raise NotFound(_("No such certification."))
    if verified and certification.self_declared:
        raise DomainError(
            _("A self-declared claim (not a listed scheme) is shown as the group's own word; Loom does not verify it."),
            field="note",
        )
    if verified and not certification.evidence_path and not note.strip():
        raise DomainError(
            _("No evidence was uploaded: say how you checked it (e.g. found in the FLO-ID register)."), field="note"
        )
    certification.verified = verified
    certification.verified_at = utcnow() if verified else None
    certification.verified_by_id = operator.id if verified else None
    certification.rejected_at = None
    certification.review_note = note.strip() or None if verified else None
    touch(session, certification.group)
    return certification


@use_case
def reject_certification(
    session: Session, operator: User, certification_id: int, *, reason: str, base_url: str = ""
) -> Certification:
    """Refuse a certification with the reason the group reads; `undo` with `verify_certification(verified=False)`.

    Raises `NotFound` for an unknown certification, `DomainError` (field `note`) without a reason.
    """
    certification = session.get(Certification, certification_id)
    if certification is None:
        raise NotFound(_("No such certification."))
    if not reason.strip():
        raise DomainError(_("Say why it is rejected; the group reads it."), field="note")
    certification.verified, certification.verified_at, certification.verified_by_id = False, None, None
    certification.rejected_at = utcnow()
    certification.review_note = reason.strip()
    touch(session, certification.group)
    notify(
        session,
        certification.group.organization_id,
        subject=_l("Certification not accepted: %(scheme)s", scheme=certification.title),
        body=_l(
            "The Loom team could not accept your %(scheme)s certification: %(reason)s",
            scheme=certification.title,
            reason=reason.strip(),
        ),
        link=f"{base_url.rstrip('/')}/manage/certifications",
    )
    return certification


@use_case
def verify_group(session: Session, group_id: int, *, verified: bool) -> ProducerGroup:
    """Mark the group verified (or not) by an operator, reindexing it when that changes; return it.

    Raises NotFound for an unknown id.
    """
    group = session.get(ProducerGroup, group_id)
    if group is None:
        raise NotFound(_("No such producer group."))
    if group.verified != verified:
        group.verified = verified
        touch(session, group)
    return group


def _check_tiers(tiers: list[tuple[int, Decimal]], moq: int) -> list[tuple[int, Decimal]]:
    tiers = sorted(tiers)
    if not tiers:
        raise DomainError(_("Give at least one price."), field="price_tiers")
    if tiers[0][0] > moq:
        raise DomainError(_("The first price tier must start at or below the minimum order."), field="price_tiers")
    if len({q for q, _ in tiers}) != len(tiers):
        raise DomainError(_("Two price tiers start at the same quantity."), field="price_tiers")
    if any(price <= 0 for _, price in tiers):
        raise DomainError(_("Prices must be above zero."), field="price_tiers")
    return tiers


def tier_warnings(tiers: list[tuple[int, Decimal]], moq: int | None) -> list[str]:
    """Name the price tiers no buyer can reach: ones that end before the minimum order (a later tier starts at or below it)."""
    if not moq:
        return []
    tiers = sorted(tiers)
    shadowed = [q for (q, _), (following, _) in zip(tiers, tiers[1:], strict=False) if following <= moq]
    if not shadowed:
        return []
    starts = ", ".join(f"{q:,}" for q in shadowed)
    return [
        f"The price{'s' if len(shadowed) > 1 else ''} from {starts} units can never apply: no one orders under your "
        f"minimum of {moq:,}."
    ]


def _owned_product(session: Session, group: ProducerGroup, product_id: int) -> Product:
    product = session.scalar(select(Product).where(Product.id == product_id, Product.group_id == group.id))
    if product is None:
        raise NotFound(_("That product is not in your catalog."))
    return product


def _check_product(session: Session, group: ProducerGroup, values: Mapping[str, Any], product_id: int | None) -> None:
    if values["category"] not in CATEGORIES or CATEGORIES[values["category"]].parent is None:
        raise DomainError(_("Choose a category from the list."), field="category")
    clash = session.scalar(
        select(func.count())
        .select_from(Product)
        .where(Product.group_id == group.id, Product.sku == values["sku"], Product.id != (product_id or 0))
    )
    if clash:
        raise Conflict(_("Another product in your catalog has this SKU."), field="sku")


@use_case
def save_product(
    session: Session,
    group: ProducerGroup,
    values: Mapping[str, Any],
    tiers: list[tuple[int, Decimal]],
    *,
    product_id: int | None = None,
) -> Product:
    """Create a catalog product, or update one of the group's own, with its price tiers."""
    _check_product(session, group, values, product_id)
    tiers = _check_tiers(tiers, values["moq"])
    if product_id is None:
        product = Product(group=group, **{k: values[k] for k in PRODUCT_FIELDS})
        session.add(product)
    else:
        product = _owned_product(session, group, product_id)
        _apply(product, PRODUCT_FIELDS, values)
    if [(t.min_quantity, t.unit_price) for t in product.price_tiers] != tiers:
        product.price_tiers.clear()
        session.flush()
        product.price_tiers.extend(PriceTier(min_quantity=q, unit_price=p) for q, p in tiers)
    touch(session, group)
    session.flush()
    return product


@use_case
def remove_product(session: Session, group: ProducerGroup, product_id: int) -> None:
    """Delete product `product_id` from `group`'s catalog and reindex the group.

    Raise NotFound for another group's product.
    """
    session.delete(_owned_product(session, group, product_id))
    touch(session, group)


@use_case
def add_photo(
    session: Session, group: ProducerGroup, stored: StoredFile, *, caption: str, product_id: int | None = None
) -> Photo:
    """Add a stored image to `group`'s photos (of product `product_id` when given) with its caption; return the photo.

    Raises NotFound for another group's product.
    """
    if product_id is not None:
        _owned_product(session, group, product_id)
    photo = Photo(
        group_id=group.id,
        product_id=product_id,
        path=stored.path,
        content_type=stored.content_type,
        width=stored.width,
        height=stored.height,
        caption=caption.strip(),
    )
    session.add(photo)
    touch(session, group)
    session.flush()
    return photo


@use_case
def remove_photo(session: Session, group: ProducerGroup, photo_id: int) -> Photo:
    """Delete photo `photo_id` of `group` and reindex it; return the photo (its file is the caller's to remove after the commit).

    Raises NotFound.
    """
    photo = session.scalar(select(Photo).where(Photo.id == photo_id, Photo.group_id == group.id))
    if photo is None:
        raise NotFound(_("That photo is not part of your group."))
    session.delete(photo)
    touch(session, group)
    return photo


def listing_key(group: ProducerGroup | GroupCard) -> tuple[bool, str, int]:
    """Return the group's place in the listing order (verified first, then name, then id): a page cursor's content."""
    return group.verified, group.name, group.id


_LISTING_ORDER = (ProducerGroup.verified.desc(), ProducerGroup.name, ProducerGroup.id)


_FIRST_CARDS = with_details(
    select(*CARD_COLUMNS).where(ProducerGroup.listed == true()).order_by(*_LISTING_ORDER).limit(bindparam("n", type_=Integer)),
    with_covers=True,
    with_counts=True,
)


def first_groups(session: Session, n: int) -> CardPage:
    """Return the cards of the first `n` listed groups in listing order, with their covers, and the kept listing counts
    (`CardPage.counts`, see `marketplace.producers.counts`); one statement (`marketplace.producers.cards.with_details`).

    The home page's: it walks the listing index and stops after `n`; it counts nothing.
    """
    return read_cards(session.execute(_FIRST_CARDS, {"n": n}))


def list_groups(
    session: Session,
    *,
    country: str | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = 24,
    after: tuple[bool, str, int] | None = None,
) -> tuple[list[GroupCard], int]:
    """A page of producer groups for the API, with the total count.

    `category` is a category code; a top-level one matches its subcategories too. Pages walk the
    listing indexes in order (see models; a category's, `ListingMembership`'s), so their cost does not grow with the
    number of groups.
    `after` (a `listing_key`) starts the page just after that group, by the index alone, however deep
    (keyset pagination); `page` is then ignored. Without it, `page` counts pages from the first.
    The groups are `GroupCard`s (`marketplace.producers.cards`); one statement, with its cards' details
    (`marketplace.producers.cards.with_details`). The directory's page is `directory_page`.
    """
    read = _listing_page(session, country, category, page, per_page, after, directory=False)
    return read.cards, read.total or 0


def directory_page(
    session: Session,
    *,
    country: str | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = 24,
    after: tuple[bool, str, int] | None = None,
) -> CardPage:
    """The directory's page: `list_groups`' page of cards (same arguments) with their covers, its total, and in
    `CardPage.countries` the number of listed groups of `category` (or of all) in each country that has one, for the
    country filter; one statement (`marketplace.producers.cards.with_details`)."""
    return _listing_page(session, country, category, page, per_page, after, directory=True)


def _listing_page(
    session: Session,
    country: str | None,
    category: str | None,
    page: int,
    per_page: int,
    after: tuple[bool, str, int] | None,
    *,
    directory: bool,
) -> CardPage:
    # The number of listed groups, of a category, of a country or of a category in a country is kept
    # (`marketplace.producers.counts`, the home page's counts), where counting them grew with the table (about 1 ms of a
    # request at 10,000 groups; 40 ms for a subcategory and 9 ms for a category in a country at 100,000 groups).
    country = country.upper() if country else None
    values: dict[str, Any] = {"n": per_page, "kept": category or ALL, "kept_country": country or ANYWHERE}
    if country:
        values["country"] = country
    if category:
        values["category"] = category
    statements = _listing_statements(bool(country), bool(category), directory)
    if after is None:
        read = _read(session, statements.page, {**values, "skip": (page - 1) * per_page})
    else:
        verified, name, last_id = after
        read = _read(session, statements.after[bool(verified)], {**values, "name": name, "last_id": last_id})
        if verified and len(read.cards) < per_page:
            more = _read(session, statements.unverified, {**values, "n": per_page - len(read.cards)})
            read.cards += more.cards
            read.total = read.total if read.total is not None else more.total
    if read.total is None:  # no row brought it: a page past the end
        read.total = session.scalar(statements.count, values) or 0
    return read


@dataclass(frozen=True)
class _ListingStatements:
    # Pages of cards with their details (`marketplace.producers.cards.with_details`), their total in each card's row:
    page: Select[Any]  # a page by number: bound `skip` and `n`
    after: dict[bool, Select[Any]]  # by `verified`: the page after a cursor within that value, `name`, `last_id`, `n`
    unverified: Select[Any]  # the first `n` unverified groups (the verified ran out after a cursor)
    count: Select[Any]  # the total alone


@cache
def _listing_statements(by_country: bool, by_category: bool, directory: bool) -> _ListingStatements:
    """Build `list_groups`' statements for one shape of filter once, with the filter's values bound (`country`,
    `category`).

    The total is the kept count of the row `kept` and `kept_country` name (`listing_count`: a category code or "" for
    every listed group, a country or "" for all) instead of a count of the groups. Composing them on each request was
    about a tenth of the API list's CPU time (issue 19). Each page is one statement with its cards' details (and for the
    `directory`, their covers and the counts by country).
    """
    query = select(*CARD_COLUMNS).where(ProducerGroup.listed == true())  # unlisted groups show nowhere public
    # The listing order's columns: the group's, or with a category its rows in `listing_membership` (one a category a listed
    # group makes something in, with the group's place in the order and its country), whose indexes the page walks.
    verified, name, group_id, country = ProducerGroup.verified, ProducerGroup.name, ProducerGroup.id, ProducerGroup.country
    if by_category:
        member = ListingMembership
        query = query.join(member, member.group_id == ProducerGroup.id).where(
            member.category == bindparam("category", type_=member.category.type)
        )
        verified, name, group_id, country = member.verified, member.name, member.group_id, member.country
    if by_country:
        query = query.where(country == bindparam("country", type_=ProducerGroup.country.type))
    count = select(ListingCount.groups).where(
        ListingCount.category == bindparam("kept", type_=ListingCount.category.type),
        ListingCount.country == bindparam("kept_country", type_=ListingCount.country.type),
    )
    # The total comes with the page's rows (an uncorrelated subquery, evaluated once): one round trip fewer.
    ordered = query.order_by(verified.desc(), name, group_id).add_columns(count.scalar_subquery().label("total"))
    n = bindparam("n", type_=Integer)
    # Within one value of `verified`, (name, id) is a range of the listing index; the unverified
    # groups follow the verified ones, from their start.
    beyond = tuple_(name, group_id) > tuple_(
        bindparam("name", type_=ProducerGroup.name.type), bindparam("last_id", type_=Integer)
    )
    details = {"with_covers": directory, "with_countries": directory}
    return _ListingStatements(
        page=with_details(ordered.offset(bindparam("skip", type_=Integer)).limit(n), **details),
        # `verified` written out, as a literal, as it was when these were built per request (the same plans).
        after={
            flag: with_details(ordered.where(verified == value, beyond).limit(n), **details)
            for flag, value in ((True, true()), (False, false()))
        },
        unverified=with_details(ordered.where(verified == false()).limit(n), **details),
        count=count,
    )


def _read(session: Session, statement: Select[Any], values: dict[str, Any]) -> CardPage:
    """Return the page of cards `statement` reads with `values` bound, its total None when it read no group."""
    return read_cards(session.execute(statement, values))
