"""Turning names into URL slugs, and user text into text every reader (and XML) can take."""
from __future__ import annotations

import re
import unicodedata


def slugify(text: str, *, max_length: int = 80) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "group"


# What XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE/U+FFFF) and the C1 controls,
# which a word processor's paste brings along (U+000B, a vertical tab, is Word's line break) and no reader wants.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Remove control characters other than tab, CR and LF (and what XML 1.0 cannot carry) from user text."""
    return _UNWANTED.sub("", text)


def clean_values(value: object) -> object:
    """Return `value` with every string in it (through dicts, lists and tuples) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_values(v) for v in value]
    return value
