"""What a group's card on the home page and the directory shows, read as plain rows instead of ORM entities.

A card shows a group's name, place, size and badge, the categories of its capabilities and its certifications.
Loading the groups as entities with their capabilities and certifications (`selectinload`) built every
related object, its identity-map entry and its instrumented collections: about a third of the home page's
CPU time (issue 19). Here the page's groups are rows of the card's columns, and their capabilities'
categories and certifications come in one more statement, a `UNION ALL` of the two tables, with each group's
cover photo when the page shows covers (the home page and the directory): on PostgreSQL each statement is a round
trip to the server and about a tenth of a millisecond of the client's CPU time (issue 19).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import Integer, String, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from marketplace.countries import country_name
from marketplace.db import InList
from marketplace.i18n import N_, format_number, translate
from marketplace.producers.covers import FIRST_PHOTOS_OF_IDS, Cover, cover_of, cover_picture
from marketplace.producers.models import Capability, Certification, ProducerGroup
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


_CAPABILITY, _CERTIFICATION, _COVER = 0, 1, 2


def _card_details(with_covers: bool) -> Any:
    """Build the statement `cards` runs for a page of groups (bound `ids`), ordered by kind and row id.

    Rows of (group id, kind, row id, category or scheme or a cover's upload path, a claim's name or a cover's caption,
    verified), and with covers three more: a cover's width and height (pixels) and its product's title (None for a
    gallery photo). A cover row is the group's first photo (`marketplace.producers.covers`), row id 0.
    """
    extra = (
        (cast(null(), Integer).label("width"), cast(null(), Integer).label("height"), cast(null(), String).label("title"))
        if with_covers
        else ()
    )
    arms = [
        select(
            Capability.group_id,
            literal(_CAPABILITY).label("kind"),
            Capability.id,
            Capability.category.label("code"),
            literal("").label("name"),
            literal(False).label("verified"),
            *extra,
        ).where(InList(Capability.group_id, "ids")),
        select(
            Certification.group_id,
            literal(_CERTIFICATION),
            Certification.id,
            Certification.scheme,
            Certification.name,
            Certification.verified,
            *extra,
        ).where(InList(Certification.group_id, "ids")),
    ]
    if with_covers:
        first = FIRST_PHOTOS_OF_IDS.subquery()
        arms.append(
            select(
                first.c.group_id,
                literal(_COVER),
                literal(0),
                first.c.path,
                first.c.caption,
                literal(False),
                first.c.width,
                first.c.height,
                first.c.product_title,
            )
        )
    return select(union_all(*arms).subquery()).order_by("kind", "id")


# Built once (composing them per request cost CPU time on every page, issue 19).
_CARD_DETAILS = {with_covers: _card_details(with_covers) for with_covers in (False, True)}


def cards(session: Session, rows: Iterable[Sequence[Any]], *, with_covers: bool = False) -> list[GroupCard]:
    """Return the cards of `rows` (each starting with the values of `CARD_COLUMNS`, in order), in that order.

    Runs one statement, for the capabilities' categories and the certifications of every group in `rows`
    and, `with_covers`, each group's cover (`GroupCard.cover`, as `marketplace.producers.covers.covers` gives it);
    none for no rows.
    """
    page = [GroupCard(*row[: len(CARD_COLUMNS)]) for row in rows]
    if not page:
        return page
    by_id = {card.id: card for card in page}
    for group_id, kind, _id, code, name, verified, *photo in session.execute(_CARD_DETAILS[with_covers], {"ids": list(by_id)}):
        card = by_id[group_id]
        if kind == _CAPABILITY:
            card.categories.append(code)
        elif kind == _CERTIFICATION:
            card.certifications.append(CardCertification(code, name, bool(verified)))
        else:
            width, height, product_title = photo
            card.cover = cover_of(card.name, code, width, height, name, product_title)
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
    link = escape(url_for("discovery.profile", slug=card.slug))
    badge = f'<span class="badge verified" title="{_plain(_CHECKED_BY_LOOM)}">{_plain(_VERIFIED)}</span>' if card.verified else ""
    places = ", ".join(unique_ignoring_case(place for place in (card.city, card.region) if place))
    value = Markup(f"<bdi>{escape(places)}</bdi>") + (", " if card.city or card.region else "") + country_name(card.country)
    meta = _filled_text(translate(_META), {"value": value, "group_artisan_count": format_number(card.artisan_count)})
    tags = "".join(f'<span class="tag">{escape(CATEGORIES[code].title)}</span>' for code in unique_ignoring_case(card.categories))
    certifications = ""
    if card.certifications:
        badges = "".join(
            f'<span class="badge{" verified" if c.checked else " claimed" if c.self_declared else ""}" >'
            f'<span dir="auto">{escape(c.title)}</span>{" " + _plain(_SELF_DECLARED) if c.self_declared else ""}</span>'
            for c in card.certifications
        )
        certifications = f'\n    <p class="certs">{badges}</p>\n  '
    return Markup(
        f'\n<article class="card">\n  {picture}\n  <h3><a href="{link}"><span dir="auto">{escape(card.name)}</span></a>\n'
        f'    {badge}</h3>\n  <p class="meta">{meta}</p>\n  <p class="tags">\n    {tags}\n  </p>\n  {certifications}\n'
        "</article>\n"
    )


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


def _filled_text(message: str, values: dict[str, Any]) -> Markup:
    """Fill a translated message as a template's `{% trans %}` does: the message as Markup, each value escaped."""
    return Markup(message) % values
