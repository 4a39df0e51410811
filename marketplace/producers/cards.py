"""What a group's card on the home page and the directory shows, read as plain rows instead of ORM entities.

A card shows a group's name, place, size and badge, the categories of its capabilities and its certifications.
Loading the groups as entities with their capabilities and certifications (`selectinload`) built every
related object, its identity-map entry and its instrumented collections: about a third of the home page's
CPU time (issue 19). Here the page's groups are rows of the card's columns, and their capabilities'
categories and certifications come in one more statement, a `UNION ALL` of the two tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from marketplace.producers.models import Capability, Certification, ProducerGroup

# The group's own columns a card shows (and the listing order's key: verified, name, id), in this order.
CARD_COLUMNS = (
    ProducerGroup.id,
    ProducerGroup.slug,
    ProducerGroup.name,
    ProducerGroup.verified,
    ProducerGroup.city,
    ProducerGroup.region,
    ProducerGroup.country,
    ProducerGroup.artisan_count,
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
    """A listed group as its card shows it (`templates/_groups.html`, `group_card`).

    `categories` holds its capabilities' category codes in capability order (repeats kept), `certifications`
    its certifications in the order they were added.
    """

    id: int
    slug: str
    name: str
    verified: bool
    city: str
    region: str
    country: str
    artisan_count: int
    categories: list[str] = field(default_factory=list)
    certifications: list[CardCertification] = field(default_factory=list)


_CAPABILITY, _CERTIFICATION = 0, 1

# Each group's capabilities' categories and its certifications, for a page of groups, in one statement: rows of
# (group id, kind, row id, category or scheme, a claim's name, verified).
_CARD_DETAILS = union_all(
    select(
        Capability.group_id,
        literal(_CAPABILITY).label("kind"),
        Capability.id,
        Capability.category.label("code"),
        literal("").label("name"),
        literal(False).label("verified"),
    ).where(Capability.group_id.in_(bindparam("ids", expanding=True))),
    select(
        Certification.group_id,
        literal(_CERTIFICATION),
        Certification.id,
        Certification.scheme,
        Certification.name,
        Certification.verified,
    ).where(Certification.group_id.in_(bindparam("ids", expanding=True))),
)
_CARD_DETAILS_IN_ORDER = select(_CARD_DETAILS.subquery()).order_by("kind", "id")


def cards(session: Session, rows: Iterable[Sequence[Any]]) -> list[GroupCard]:
    """Return the cards of `rows` (each starting with the values of `CARD_COLUMNS`, in order), in that order.

    Runs one statement, for the capabilities' categories and the certifications of every group in `rows`
    (none for no rows).
    """
    page = [GroupCard(*row[: len(CARD_COLUMNS)]) for row in rows]
    if not page:
        return page
    by_id = {card.id: card for card in page}
    for group_id, kind, _id, code, name, verified in session.execute(_CARD_DETAILS_IN_ORDER, {"ids": list(by_id)}):
        card = by_id[group_id]
        if kind == _CAPABILITY:
            card.categories.append(code)
        else:
            card.certifications.append(CardCertification(code, name, bool(verified)))
    return page
