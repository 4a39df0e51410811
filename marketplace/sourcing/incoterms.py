"""The delivery terms a buyer asks for and a group quotes: the eleven Incoterms® 2020 rules, each in plain words.

The codes are ICC's Incoterms® 2020 (EXW, FCA, FAS, FOB, CFR, CIF, CPT, CIP, DAP, DPU, DDP). No maintained
Python or npm library ships them (PyPI and npm have only Odoo and Tryton add-ons, whose tables live inside those
ERPs), so they are listed here. A term is written as ICC writes it: the code, then the named place it refers to
("DAP Rotterdam"), here followed by what it means for who carries the goods.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _

from marketplace.i18n import lazy_gettext as _l

INCOTERMS: dict[str, object] = {  # code → what it means, in the reader's language (lazy)
    "EXW": _l("collected by the buyer at the group's workshop"),
    "FCA": _l("handed to the buyer's carrier"),
    "FAS": _l("placed beside the buyer's ship at the port"),
    "FOB": _l("loaded on board the buyer's ship at the port"),
    "CFR": _l("the group pays sea freight to the port of arrival"),
    "CIF": _l("the group pays sea freight and insurance to the port of arrival"),
    "CPT": _l("the group pays carriage to the named place"),
    "CIP": _l("the group pays carriage and insurance to the named place"),
    "DAP": _l("delivered to the door; the buyer pays import duties"),
    "DPU": _l("delivered and unloaded at the named place; the buyer pays import duties"),
    "DDP": _l("delivered to the door, import duties paid"),
}
PLACE_LENGTH = 120  # characters of a named place ("Port of Mombasa", "Northwind warehouse, Rotterdam")


def is_incoterm(code: object) -> bool:
    """Tell whether `code` is one of the Incoterms® 2020 codes (upper case, as listed in `INCOTERMS`)."""
    return isinstance(code, str) and code in INCOTERMS


def incoterm_choices() -> list[tuple[str, str]]:
    """Return (code, "CODE — plain words") for a select field, in ICC's order, in the request's language."""
    return [(code, _("%(code)s — %(meaning)s", code=code, meaning=meaning)) for code, meaning in INCOTERMS.items()]


def delivery_terms(code: str, place: str | None = "") -> str:
    """Write a term as people read it: "DAP Rotterdam — delivered to the door; …" (no place: "DAP — …").

    An unknown code (an old row) is shown as it is stored.
    """
    place = (place or "").strip()
    meaning = INCOTERMS.get(code)
    if meaning is None:
        return f"{code} {place}".strip()
    if place:
        return _("%(code)s %(place)s — %(meaning)s", code=code, place=place, meaning=meaning)
    return _("%(code)s — %(meaning)s", code=code, meaning=meaning)


def lazy_delivery_terms(code: str, place: str | None = "") -> LazyString:
    """Return `delivery_terms` written when turned into text, in the locale then in force (for e-mails)."""
    return LazyString(lambda: delivery_terms(code, place))


def same_terms(code: str, place: str | None, asked_code: str, asked_place: str | None) -> bool:
    """Tell whether a quoted term is the one asked for: the same code, and the same named place when both name one.

    Places are compared without case or surrounding spaces; a quote naming no place keeps the request's.
    """
    if code != asked_code:
        return False
    place, asked_place = (place or "").strip().casefold(), (asked_place or "").strip().casefold()
    return not place or not asked_place or place == asked_place
