"""Materials as the taxonomy words them: what a buyer types or a group lists, through stemming, plurals and spellings.

"Cottons", "Woollen", "sea grass" and "terra-cotta" name the taxonomy's cotton, wool, seagrass and
terracotta (marketplace.producers.taxonomy.MATERIALS and MATERIAL_SPELLINGS), compared by their analysed
terms (search.analysis: folding, Snowball stemming, synonyms), so both backends filter alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from marketplace.producers.taxonomy import MATERIAL_SPELLINGS, MATERIALS
from search.analysis import analyze


def material_key(text: str) -> str:
    """Return the analysed terms of `text`, space-joined: the form materials are compared in ("Cottons" → "cotton")."""
    return " ".join(analyze(text))


_BY_KEY: dict[str, str] = {material_key(spelling): word for spelling, word in MATERIAL_SPELLINGS.items()}
_BY_KEY |= {material_key(word): word for word in MATERIALS}
_LONGEST = max(len(key.split()) for key in _BY_KEY)


def canonical_material(text: str) -> str | None:
    """Return the taxonomy material `text` names as a whole (any case, plural or listed spelling), or None."""
    return _BY_KEY.get(material_key(text)) if text else None


def materials_in(text: str) -> list[str]:
    """Return the taxonomy materials named anywhere in `text`, once each, in order ("recycled glass" → ["glass"])."""
    return list(_materials_in(text))


@lru_cache(maxsize=8192)
def _materials_in(text: str) -> tuple[str, ...]:
    # Memoised: materials are a small vocabulary that every page of hits repeats (see `shown`).
    terms = analyze(text)
    found: list[str] = []
    i = 0
    while i < len(terms):
        for size in range(min(_LONGEST, len(terms) - i), 0, -1):  # the longest name first: "sea grass" before "grass"
            word = _BY_KEY.get(" ".join(terms[i : i + size]))
            if word is not None:
                found.append(word)
                i += size
                break
        else:
            i += 1
    return tuple(dict.fromkeys(found))


def filter_values(entries: Iterable[str]) -> list[str]:
    """Return what a capability's typed materials are filtered and counted by.

    Each entry gives the taxonomy materials it names, and itself (lower case) unless it is exactly one:
    ["Sisal", "recycled glass", "natural dyes"] → ["sisal", "glass", "recycled glass", "natural dyes"].
    """
    values: list[str] = []
    for entry in entries:
        named = materials_in(entry)
        values.extend(named)
        if canonical_material(entry) is None:
            values.append(entry.strip().lower())
    return list(dict.fromkeys(v for v in values if v))


def shown(values: list[str]) -> list[str]:
    """Return a capability's filter values as results list them: a taxonomy word another value already says is left out
    (["cotton", "cotton thread"] → ["cotton thread"])."""
    named = [(w, _materials_in(w)) for w in values]
    return [v for v in values if not any(w != v and v in inside for w, inside in named)]
