"""Text as people send it, made safe to keep: control characters out, lists split in linear time and bounded.

Every text input (forms, the importer, the API) goes through these functions on the way in, so a
name can never carry CR/LF into an e-mail subject, and a list field can never cost more than its
length to read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Control characters: C0 and C1, DEL, and the Unicode line and paragraph separators (they end lines too).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"\s+")

MAX_LIST_ITEMS = 30  # languages, materials, techniques
MAX_ITEM_LENGTH = 60


def clean_line(value: object) -> str:
    """Return one line of text: NFC, every control character and line break made a space, runs of spaces made one, stripped."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub(" ", unicodedata.normalize("NFC", str(value)))
    return _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()


def clean_text(value: object) -> str:
    """Return multi-line text (a story, a spec, a message): NFC, line breaks as \\n, tabs kept, other control characters
    removed."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", str(value)))
    return _CONTROLS.sub("", text).strip()


def word_list(
    value: str | Iterable[str] | None,
    *,
    separator: str = ",",
    max_items: int = MAX_LIST_ITEMS,
    max_length: int = MAX_ITEM_LENGTH,
    lower: bool = False,
) -> list[str]:
    """Split a list field ("Swahili, English") into clean entries, de-duplicated ignoring case, first spelling kept.

    Linear in the input's length. Raises ValueError (its message written for the person typing) when
    there are more than `max_items` distinct entries or one is longer than `max_length` characters.
    """
    parts = (value or "").split(separator) if isinstance(value, str) or value is None else value
    seen: dict[str, str] = {}
    for part in parts:
        entry = clean_line(part)
        if not entry:
            continue
        if len(entry) > max_length:
            raise ValueError(f"Keep each entry under {max_length} characters ({entry[:20]}… is longer).")
        key = entry.casefold()
        if key not in seen:
            if len(seen) == max_items:
                raise ValueError(f"Give at most {max_items} entries.")
            seen[key] = entry.lower() if lower else entry
    return list(seen.values())


def slugify(text: str, *, max_length: int = 80) -> str:
    """Return `text` as a URL slug: accents folded, other characters to hyphens, at most `max_length` long.

    "group" when nothing is left.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "group"


# What XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE/U+FFFF) and the C1 controls,
# which a word processor's paste brings along (U+000B, a vertical tab, is Word's line break) and no reader wants.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Remove control characters other than tab, CR and LF, and what XML 1.0 cannot carry, keeping everything else as it is."""
    return _UNWANTED.sub("", text)


def clean_values(value: object) -> object:
    """Return `value` with every string in it (through dicts, lists and tuples) passed through `xml_safe`: what goes to Odoo."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {k: clean_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_values(v) for v in value]
    return value
