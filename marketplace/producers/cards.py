"""What a group's card on the home page and the directory shows, read as plain rows instead of ORM entities.

A card shows a group's name, place, size and badge, the categories of its capabilities and its certifications.
Loading the groups as entities with their capabilities and certifications (`selectinload`) built every
related object, its identity-map entry and its instrumented collections: about a third of the home page's
CPU time (issue 19). Here the page's groups are rows of the card's columns, read in the same statement as their
capabilities' categories and certifications, each group's cover photo when the page shows covers (the home page and
the directory), and the kept counts when the page shows them (home): a `UNION ALL` over the page (`with_details`). On
PostgreSQL each statement is a round trip to the server, about a tenth of a millisecond of the client's CPU time and
as much of the server's (issue 19).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import Integer, Numeric, Select, String, bindparam, case, cast, literal, null, select, union_all

from marketplace.countries import country_name
from marketplace.db import InSelect
from marketplace.i18n import N_, catalog_memo, format_number, translate
from marketplace.producers.counts import ANYWHERE, SHOWN_CATEGORIES
from marketplace.producers.covers import Cover, cover_of, cover_picture, first_photos
from marketplace.producers.models import Capability, Certification, ListingCount, Photo, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES

# The group's own columns a card shows (and the listing order's key: verified, name, id), in this order; the API's list
# shows the rating too.
CARD_COLUMNS = (
    ProducerGroup.id,
    ProducerGroup.slug,
    ProducerGroup.name,
    ProducerGroup.verified,
    ProducerGroup.city,
    ProducerGroup.region,
    ProducerGroup.country,
    ProducerGroup.artisan_count,
    ProducerGroup.rating,
)


@dataclass(frozen=True, slots=True)
class CardCertification:
    """A certification as a card shows it: its scheme code (or `OTHER_CLAIM`), a claim's own name, whether checked.

    `title`, `self_declared` and `checked` are `Certification`'s own rules, read from these three values.
    """

    scheme: str
    name: str
    verified: bool

    self_declared = property(Certification.self_declared.fget)  # type: ignore[attr-defined]
    title = property(Certification.title.fget)  # type: ignore[attr-defined]
    checked = property(Certification.checked.fget)  # type: ignore[attr-defined]


@dataclass(slots=True)
class GroupCard:
    """A listed group as its card shows it (`templates/_groups.html`, `group_card`) and the API's list (`/api/v1/groups`).

    `rating` is the mean of its reviews' stars as kept on the group (None before any review). `categories` holds its
    capabilities' category codes in capability order (repeats kept), `certifications` its certifications in the order
    they were added; `cover` its card's photo (`marketplace.producers.covers.covers`) when read with covers, else None.
    """

    id: int
    slug: str
    name: str
    verified: bool
    city: str
    region: str
    country: str
    artisan_count: int
    rating: Decimal | None
    categories: list[str] = field(default_factory=list)
    certifications: list[CardCertification] = field(default_factory=list)
    cover: Cover | None = None


# The kinds of row `with_details` statements return, in the order they come.
_CARD, _CAPABILITY, _CERTIFICATION, _COVER, _COUNT, _COUNTRY = range(6)


def with_details(
    page: Select[Any], *, with_covers: bool = False, with_counts: bool = False, with_countries: bool = False
) -> Select[Any]:
    """Build one statement for a page of cards: `page`'s groups with their details, for `read_cards`.

    `page` selects `CARD_COLUMNS` in order (a walk of a listing index with its filters and limit) and may add one more
    column, `total` (the listing's count). The statement reads it once, as a materialized `page`, and adds to its rows
    the capabilities' categories and certifications of its groups, with each group's cover photo when `with_covers`
    (`marketplace.producers.covers`), with `with_counts` the kept listing counts (`listing_count`, the home page's), and
    with `with_countries` the kept counts by country of the category bound as `kept` (the directory's country filter):
    one statement, on PostgreSQL one round trip, where the page, its details and the counts were three (issue 19).
    Rows of (kind, o1, o2, id, group_id, s1, s2, s3, s4, s5, flag, n1, n2, a1), ordered by kind, then the cards in
    `page`'s order (verified first, then name, then id) and the details by their row id.
    """
    listed = page.cte("page").prefix_with("MATERIALIZED")
    of_page = select(listed.c.id)
    text, number, amount = cast(null(), String), cast(null(), Integer), cast(null(), Numeric)
    empty, no, zero = literal(""), literal(False), literal(0)
    arms = [
        select(
            literal(_CARD).label("kind"),
            case((listed.c.verified, 0), else_=1).label("o1"),
            listed.c.name.label("o2"),
            listed.c.id.label("id"),
            listed.c.id.label("group_id"),
            listed.c.slug.label("s1"),
            listed.c.name.label("s2"),
            listed.c.city.label("s3"),
            listed.c.region.label("s4"),
            listed.c.country.label("s5"),
            listed.c.verified.label("flag"),
            listed.c.artisan_count.label("n1"),
            (listed.c.total if "total" in listed.c else number).label("n2"),
            listed.c.rating.label("a1"),
        ),
        select(
            literal(_CAPABILITY), zero, empty, Capability.id, Capability.group_id, Capability.category, empty,
            text, text, text, no, number, number, amount,
        ).where(InSelect(Capability.group_id, of_page)),
        select(
            literal(_CERTIFICATION), zero, empty, Certification.id, Certification.group_id, Certification.scheme,
            Certification.name, text, text, text, Certification.verified, number, number, amount,
        ).where(InSelect(Certification.group_id, of_page)),
    ]  # fmt: skip
    if with_covers:
        first = first_photos(InSelect(Photo.group_id, of_page)).subquery()
        arms.append(
            select(
                literal(_COVER), zero, empty, zero, first.c.group_id, first.c.path, first.c.caption, first.c.product_title,
                text, text, no, first.c.width, first.c.height, amount,
            )
        )  # fmt: skip
    if with_counts:
        arms.append(
            select(
                literal(_COUNT), zero, empty, zero, number, ListingCount.category, empty, text, text, text, no,
                ListingCount.groups, number, amount,
            ).where(ListingCount.category.in_(SHOWN_CATEGORIES), ListingCount.country == ANYWHERE)
        )  # fmt: skip
    if with_countries:
        arms.append(
            select(
                literal(_COUNTRY), zero, empty, zero, number, ListingCount.country, empty, text, text, text, no,
                ListingCount.groups, number, amount,
            ).where(
                ListingCount.category == bindparam("kept", type_=ListingCount.category.type),
                ListingCount.country != ANYWHERE,
                ListingCount.groups > 0,
            )
        )  # fmt: skip
    rows = union_all(*arms).subquery()
    return select(rows).order_by(rows.c.kind, rows.c.o1, rows.c.o2, rows.c.id)


@dataclass(slots=True)
class CardPage:
    """What a `with_details` statement read: its cards in order; the `total` column's value (None when the page selects
    none, or read no group); read `with_counts`, the kept counts of listed groups by top-level category code, ""
    for every listed group (`marketplace.producers.counts`); and read `with_countries`, the kept counts of the listed
    groups of the page's category (or of all) by ISO 3166 country code, the countries without one left out."""

    cards: list[GroupCard]
    total: int | None
    counts: dict[str, int]
    countries: dict[str, int] = field(default_factory=dict)


def read_cards(rows: Iterable[Sequence[Any]]) -> CardPage:
    """Return the `CardPage` of a `with_details` statement's `rows`: each card with its capabilities' categories (in
    capability order, repeats kept), its certifications (in the order they were added) and its cover (None without a
    photo, or read without covers)."""
    page = CardPage([], None, {}, {})
    by_id: dict[int, GroupCard] = {}
    for kind, _o1, _o2, _id, group_id, s1, s2, s3, s4, s5, flag, n1, n2, a1 in rows:
        if kind == _CARD:
            card = by_id[group_id] = GroupCard(group_id, s1, s2, bool(flag), s3, s4, s5, n1, a1)
            page.cards.append(card)
            page.total = n2
        elif kind == _CAPABILITY:
            by_id[group_id].categories.append(s1)
        elif kind == _CERTIFICATION:
            by_id[group_id].certifications.append(CardCertification(s1, s2, bool(flag)))
        elif kind == _COVER:
            card = by_id[group_id]
            card.cover = cover_of(card.name, s1, n1, n2, s2, s3)
        elif kind == _COUNT:
            page.counts[s1] = n1
        else:
            page.countries[s1] = n1
    return page


_CHECKED_BY_LOOM = N_("Checked by Loom")
_VERIFIED = N_("Verified")
_SELF_DECLARED = N_("(self-declared)")
_META = N_("%(value)s · %(group_artisan_count)s artisans")


def card_html(card: GroupCard, photo: Cover | None = None) -> Markup:
    """Return a group's card as HTML (the `group_card` macro of templates/_groups.html as it rendered, byte for byte).

    `photo` is the card's cover (`GroupCard.cover`, read `with_covers`), None for a drawn placeholder. Every value is
    escaped; messages come from the catalog in force. The home page shows six cards, the directory twenty-four: the
    macro's filters and calls were a third of the directory's CPU time (issue 19).
    """
    picture = cover_picture(
        photo.path if photo else None,
        photo.width if photo else 0,
        photo.height if photo else 0,
        photo.alt if photo else "",
        card.name,
        card.categories,
    )
    words = _card_words()
    link = escape(url_for("discovery.profile", slug=card.slug))
    badge = words[_VERIFIED] if card.verified else ""
    places = ", ".join(unique_ignoring_case(place for place in (card.city, card.region) if place))
    value = Markup(f"<bdi>{escape(places)}</bdi>") + (", " if card.city or card.region else "") + _country(words, card.country)
    meta = words[_META] % {"value": value, "group_artisan_count": format_number(card.artisan_count)}
    tags = "".join(_tag(words, code) for code in unique_ignoring_case(card.categories))
    certifications = ""
    if card.certifications:
        badges = "".join(
            f'<span class="badge{" verified" if c.checked else " claimed" if c.self_declared else ""}" >'
            f'<span dir="auto">{escape(c.title)}</span>{words[_SELF_DECLARED] if c.self_declared else ""}</span>'
            for c in card.certifications
        )
        certifications = f'\n    <p class="certs">{badges}</p>\n  '
    return Markup(
        f'\n<article class="card">\n  {picture}\n  <h3><a href="{link}"><span dir="auto">{escape(card.name)}</span></a>\n'
        f'    {badge}</h3>\n  <p class="meta">{meta}</p>\n  <p class="tags">\n    {tags}\n  </p>\n  {certifications}\n'
        "</article>\n"
    )


def _card_words() -> dict[Any, Any]:
    """Return the words every card shows, as HTML in the catalog in force, made once per catalog (`catalog_memo`): the
    verified badge, "(self-declared)", the meta line's message, and as they come the category tags and country names.
    Each looked the catalog up afresh, seven times a card (issue 19)."""
    words = catalog_memo("_loom_card_words")
    if not words:
        words[_VERIFIED] = f'<span class="badge verified" title="{_plain(_CHECKED_BY_LOOM)}">{_plain(_VERIFIED)}</span>'
        words[_SELF_DECLARED] = " " + _plain(_SELF_DECLARED)
        words[_META] = Markup(translate(_META))
    return words


def _tag(words: dict[Any, Any], code: str) -> str:
    """A category's tag (raises KeyError for a code not in the taxonomy, as `CATEGORIES` does)."""
    tag = words.get(("tag", code))
    if tag is None:
        tag = words["tag", code] = f'<span class="tag">{escape(CATEGORIES[code].title)}</span>'
    return tag


def _country(words: dict[Any, Any], code: str) -> str:
    name = words.get(("country", code))
    if name is None:
        name = words["country", code] = country_name(code)
    return name


def unique_ignoring_case(values: Iterable[str]) -> list[str]:
    """Return `values` once each, the first of those equal but for case, in order (Jinja's `unique` filter)."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = value.lower()
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def _plain(message: str) -> Markup:
    """Return a message without variables in the catalog in force, as a template's `_()` writes it (`%%` is `%`)."""
    return Markup(translate(message)) % {}
