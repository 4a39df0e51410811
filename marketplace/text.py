"""Turning names into URL slugs."""
from __future__ import annotations

import re
import unicodedata


def slugify(text: str, *, max_length: int = 80) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "group"
