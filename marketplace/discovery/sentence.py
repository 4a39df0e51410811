"""Understand what a buyer types on one line: "2,000 sisal baskets, fair trade, by March".

The quantity, the deadline, certification words and material words become the search's own filters;
the words left over stay free text. Pure functions: no request, no database, no clock of their own
(the caller passes today in the buyer's calendar).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from marketplace.errors import DomainError
from marketplace.producers.taxonomy import CERTIFICATION_SCHEMES
from search.analysis import BROADER, analyze, analyzed
from search.materials import canonical_material
from search.vocabulary import CATEGORY_WORDS

MAX_UNITS = 10_000_000

# Certification words a buyer types, to the schemes they mean. "Fair trade" is a family: WFTO's
# guarantee, Fairtrade International, Fair Trade USA and the Federation all answer it.
FAIR_TRADE = ("wfto", "fairtrade", "fair-trade-usa", "fair-trade-federation")
ORGANIC = ("organic", "gots")
_CERTIFICATION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"wfto(?:\s+guaranteed)?(?:\s+fair[\s-]*trade)?", ("wfto",)),
    (r"fair[\s-]*trade\s+usa", ("fair-trade-usa",)),
    (r"fair[\s-]*trade\s+federation(?:\s+members?)?", ("fair-trade-federation",)),
    (r"fair[\s-]*trade(?:\s+certified)?|fairly\s+traded", FAIR_TRADE),
    (r"gots(?:\s+certified)?", ("gots",)),
    (r"(?:certified\s+)?organic", ORGANIC),
    (r"oeko[\s-]*tex(?:\s+(?:standard\s+)?100)?", ("oeko-tex",)),
    (r"fsc(?:\s+certified)?", ("fsc",)),
    (r"rainforest\s+alliance(?:\s+certified)?", ("rainforest-alliance",)),
    (r"craft\s*mark", ("craftmark",)),
    (r"handloom\s+mark", ("handloom-mark",)),
    (r"b[\s-]*corp(?:oration)?(?:\s+certified)?", ("b-corp",)),
    (r"nest(?:\s+ethical\s+handcraft|\s+certified|\s+seal)", ("nest-ethical-handcraft",)),
)
_CERTIFICATIONS = [
    (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE), codes) for pattern, codes in _CERTIFICATION_WORDS
]
assert all(code in CERTIFICATION_SCHEMES for _, codes in _CERTIFICATION_WORDS for code in codes)

# Words that name goods (a category's words, and the kinds search knows): "baskets", "totes", "beads".
_GOODS = frozenset(analyzed(list(CATEGORY_WORDS.values())).split()) | frozenset(BROADER) | frozenset(BROADER.values())


def _materials_at(words: list[str]) -> dict[int, str]:
    """Map the places of `words` that name a taxonomy material (search.materials) to it.

    A name of two words ("sea grass", "terra cotta") maps its first place to the material and its second to "".
    """
    named: dict[int, str] = {}
    i = 0
    while i < len(words):
        pair = canonical_material(f"{words[i]} {words[i + 1]}") if i + 1 < len(words) and words[i] and words[i + 1] else None
        if pair is not None:
            named[i], named[i + 1] = pair, ""
            i += 2
            continue
        single = canonical_material(words[i])
        if single is not None:
            named[i] = single
        i += 1
    return named


def _names_goods(word: str) -> bool:
    return any(t in _GOODS for t in analyze(word))


_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:20[0-9]{2})"
_LEAD = (
    r"(?P<lead>by|before|until|till|til|due(?:\s+by)?|no\s+later\s+than|latest|deadline:?|for)\s+(?:the\s+)?(?P<end>end\s+of\s+)?"
)
_DATES = (
    re.compile(rf"(?<!\w){_LEAD}(?P<iso>{_YEAR}-[0-9]{{2}}-[0-9]{{2}})(?!\w)", re.IGNORECASE),
    re.compile(rf"(?<!\w){_LEAD}(?P<day>{_DAY})\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>{_YEAR}))?(?!\w)", re.IGNORECASE),
    re.compile(rf"(?<!\w){_LEAD}(?P<month>{_MONTH})\s+(?P<day>{_DAY})(?:,?\s+(?P<year>{_YEAR}))?(?!\w)", re.IGNORECASE),
    re.compile(rf"(?<!\w){_LEAD}(?P<month>{_MONTH})(?:\s+(?P<year>{_YEAR}))?(?!\w)", re.IGNORECASE),
)

# A quantity: 2000, 2,000, 2 000, 2'000, 2k, 2.5k; not a size ("40 cm"), a share ("10 %") or a year.
_GROUPED = r"[0-9]{1,3}(?:[,\u00a0\u202f' ][0-9]{3})+"
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?:(?P<thousands>[0-9]+(?:\.[0-9]+)?)\s?k|(?P<number>{_GROUPED}|[0-9]+))(?![\w.,]?[0-9])"
    r"(?!\s*(?:%|x\b|cm\b|mm\b|m\b|ml\b|l\b|g\b|kg\b|oz\b|lbs?\b|in\b|inch(?:es)?\b|\"|ft\b|years?\b|yrs?\b|days?\b|weeks?\b|months?\b))"
    r"(?:\s*(?:units?|pcs\.?|pieces?|pc\.?|items?)(?!\w))?",
    re.IGNORECASE,
)

_FILLER = re.compile(r"(?<!\w)(?:i\s+need|we\s+need|need|looking\s+for|please|certified|and|with|of|in)(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Understood:
    """What a typed line asks for: the filters found in it and the words left for free-text search."""

    text: str
    units: int | None = None
    by: dt.date | None = None
    certifications: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()

    @property
    def found_anything(self) -> bool:
        """Tell whether the sentence gave any filter (units, a date, certifications or materials)."""
        return bool(self.units or self.by or self.certifications or self.materials)


def _next(month: int, day: int | None, year: int | None, today: dt.date) -> dt.date | None:
    """The date meant: the given day (or the month's last day) in `year`, or its next occurrence after today."""
    for candidate_year in [year] if year else [today.year, today.year + 1]:
        last = calendar.monthrange(candidate_year, month)[1]
        if day is not None and day > last:
            return None
        date = dt.date(candidate_year, month, day or last)
        if year or date > today:
            return date
    return None


def _deadline(match: re.Match[str], today: dt.date) -> dt.date | None:
    groups = match.groupdict()
    if groups.get("iso"):
        try:
            date = dt.date.fromisoformat(groups["iso"])
        except ValueError:
            return None
    else:
        month = _MONTHS[groups["month"].lower().rstrip(".")]
        day = int(re.sub(r"\D", "", groups["day"])) if groups.get("day") else None
        year = int(groups["year"]) if groups.get("year") else None
        if day is None and groups["lead"].lower() == "before":  # before March: by the end of February
            first = _next(month, 1, year, today - dt.timedelta(days=1))
            return first - dt.timedelta(days=1) if first else None
        date = _next(month, day, year, today)
        if date is None:
            return None
    if groups["lead"].lower() == "before" and (groups.get("iso") or groups.get("day")):
        date -= dt.timedelta(days=1)
    return date


def _quantity(match: re.Match[str]) -> int | None:
    if match["thousands"]:
        value = float(match["thousands"]) * 1000
        if value != int(value):
            return None
        units = int(value)
    else:
        units = int(re.sub(r"[^0-9]", "", match["number"]))
    return units if 1 <= units <= MAX_UNITS else None


def understand(sentence: str, today: dt.date) -> Understood:
    """Read the quantity, deadline, certifications and materials out of a search line.

    `today` is the buyer's calendar date: "by March" is the end of the next March after it, "by 15 April"
    the next 15 April, "before 15 April" the 14th. Only the first quantity and the first deadline count.
    Material words become filters only beside a word naming goods ("sisal baskets"; "papyrus" alone,
    "shea butter" or "recycled glass" stay words).
    Returns an `Understood` whose `text` is the line without what was understood (and without filler
    words such as "and", "certified"); a line with nothing to understand comes back unchanged as `text`.
    Raises DomainError (field "q") for a deadline that names no real day ("by 31 February").
    """
    text = sentence
    by = None
    for pattern in _DATES:
        match = pattern.search(text)
        if match:
            by = _deadline(match, today)
            if by is None:
                raise DomainError(
                    _("There is no such date as “%(date)s”: check the day and the month.", date=match.group(0).strip()), field="q"
                )
            text = text[: match.start()] + " " + text[match.end() :]
            break
    units = None
    for match in _QUANTITY.finditer(text):
        units = _quantity(match)
        if units is not None:
            text = text[: match.start()] + " " + text[match.end() :]
            break
    certifications: list[str] = []
    for pattern, codes in _CERTIFICATIONS:
        if pattern.search(text):
            certifications.extend(codes)
            text = pattern.sub(" ", text)
    materials: list[str] = []
    kept: list[str] = []
    words = text.split()
    bare = [w.strip(",;.!?()") for w in words]
    named = _materials_at(bare)
    has_product_word = any(_names_goods(w) for i, w in enumerate(bare) if i not in named)
    for i, word in enumerate(words):
        if i in named and has_product_word:  # "sisal baskets": sisal is the filter; "papyrus" alone stays words
            if named[i]:
                materials.append(named[i])
            if word.endswith(","):
                kept.append(",")
        else:
            kept.append(word)
    found = Understood("", units, by, tuple(dict.fromkeys(certifications)), tuple(dict.fromkeys(materials)))
    if not found.found_anything:
        return Understood(sentence.strip())
    rest = _FILLER.sub(" ", " ".join(kept))
    rest = re.sub(r"\s*[,;:]+\s*", ", ", rest)
    rest = re.sub(r"\s+", " ", rest).strip(" ,;:.-&")
    return Understood(rest, found.units, found.by, found.certifications, found.materials)
