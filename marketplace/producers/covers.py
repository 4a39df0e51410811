"""The picture a group's card shows: its first gallery photo, else the first photo of one of its products."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from marketplace.db import InList
from marketplace.i18n import N_, translate
from marketplace.i18n import lazy_gettext as _l
from marketplace.producers.models import Photo, ProducerGroup, Product
from marketplace.producers.taxonomy import CATEGORIES


@dataclass(frozen=True)
class Cover:
    """A photo as a card shows it: upload path, size in pixels, alt text."""

    path: str
    width: int
    height: int
    alt: str

    def as_dict(self) -> dict[str, Any]:
        """Return the cover as a plain dict (path, width, height, alt), as stored in search documents."""
        return asdict(self)


def cover_of(group_name: str, path: str, width: int, height: int, caption: str, product_title: str | None) -> Cover:
    """Return the cover for one photo row: its caption as alt text, else the product's title, else "Work of <group>"."""
    alt = caption or (str(_l("%(product)s by %(name)s", product=product_title, name=group_name)) if product_title else "")
    return Cover(path, width, height, alt or str(_l("Work of %(name)s", name=group_name)))


def covers(session: Session, where: ColumnElement[bool] | Iterable[int]) -> dict[int, Cover]:
    """Return each group's cover, by group id, in one statement; groups without any photo are absent.

    `where` is a condition on `Photo.group_id` (such as a range) or the group ids themselves. Gallery
    photos come first (the group chose them to show itself), then product photos, each oldest first.
    """
    if isinstance(where, ColumnElement):
        rows = session.execute(first_photos(where))
    else:
        rows = session.execute(FIRST_PHOTOS_OF_IDS, {"ids": list(where)})
    return {r.group_id: cover_of(r.group_name, r.path, r.width, r.height, r.caption, r.product_title) for r in rows}


def first_photos(condition: ColumnElement[bool]) -> Select[Any]:
    """The statement `covers` runs: each group's first photo (gallery first, then products', oldest first) where `condition`."""
    ranked = (
        select(
            Photo.group_id,
            Photo.path,
            Photo.width,
            Photo.height,
            Photo.caption,
            Product.title.label("product_title"),
            ProducerGroup.name.label("group_name"),
            func.row_number().over(partition_by=Photo.group_id, order_by=(Photo.product_id.is_not(None), Photo.id)).label("rank"),
        )
        .join(ProducerGroup, ProducerGroup.id == Photo.group_id)
        .outerjoin(Product, Product.id == Photo.product_id)
        .where(condition)
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1)


# Built once for the pages (the cards of home and directory, `marketplace.producers.cards`; search rebuilds by id): composing
# it was a tenth of the home page's CPU time.
FIRST_PHOTOS_OF_IDS = first_photos(InList(Photo.group_id, "ids"))


def loaded_cover(group: ProducerGroup) -> Cover | None:
    """Return the cover of a group whose gallery and products' photos are already loaded (the profile), or None."""
    for photo in group.photos:
        return cover_of(group.name, photo.path, photo.width, photo.height, photo.caption, None)
    for product in group.products:
        for photo in product.photos:
            return cover_of(group.name, photo.path, photo.width, photo.height, photo.caption, product.title)
    return None


def what_it_makes(codes: Iterable[str]) -> list[str]:
    """Return the top-level category names of taxonomy `codes` in the language in force, once each, in first-seen order.

    Unknown codes are skipped.
    """
    tops = dict.fromkeys(code.split(".", 1)[0] for code in codes)
    return [CATEGORIES[code].title for code in tops if code in CATEGORIES]


_MAKES = N_("Makes %(makes)s")


def cover_picture(path: str | None, width: int, height: int, alt: str, name: str, makes: Iterable[str] = ()) -> Markup:
    """Return a card's picture as HTML (the `cover` macro of templates/_groups.html, as it rendered, byte for byte).

    The photo at upload path `path` (`width` × `height` pixels, `alt` text), else a drawn placeholder: the first letters
    of the first three words of `name` and, from taxonomy codes `makes`, what the group makes in the language in force.
    Every value is escaped. A page shows up to twenty cards, and the macro's filters and calls cost a tenth of a search
    page's CPU time (issue 19).
    """
    # Written with escape() and f-strings: Markup.format runs Python's string.Formatter, three times slower.
    if path:
        return Markup(
            f'\n<img class="cover" src="{escape(url_for("producers.media", path=path))}" alt="{escape(alt)}"'
            f' width="{escape(width)}" height="{escape(height)}" loading="lazy">\n\n'
        )
    made = what_it_makes(makes)
    initials = escape("".join(word[0] for word in name.split())[:3].upper())
    if not made:
        return Markup(f'\n<div class="cover placeholder" aria-hidden="true"><span>{initials}</span></div>\n')
    says = Markup(translate(_MAKES)) % {"makes": ", ".join(made)}
    shown = escape(" · ".join(made[:2]))
    return Markup(
        f'\n<div class="cover placeholder" role="img" aria-label="{says}"><span>{initials}</span>'
        f'<small aria-hidden="true">{shown}</small></div>\n'
    )
