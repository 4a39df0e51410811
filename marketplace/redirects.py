"""Where Loom may send a browser back to after a step (`?next=`): a path on this site, nothing else."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

MAX_LENGTH = 2000


def _unsafe(text: str) -> bool:
    # Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\t/evil.example"
    # or "/\\evil.example" become "//evil.example": any whitespace, control character or backslash refuses.
    return "\\" in text or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def local_path(target: str | None) -> str | None:
    """Return `target` if it is a path on this site (with its query and fragment), else None.

    Refused: anything with a scheme or a host, protocol-relative `//host`, backslashes, whitespace or
    control characters (raw or percent-encoded), and overlong values.
    """
    if not target or len(target) > MAX_LENGTH or _unsafe(target) or _unsafe(unquote(target)):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    if unquote(parts.path).startswith("//"):
        return None
    return target


def link_to(path: str) -> str:
    """Return a request's (decoded) `path` as a link back to it on this site, or "/" if it could lead elsewhere.

    A 404 page renders the address it was asked for: `/\\evil.example` or `/<tab>/evil.example` would,
    written back into a link, read as `//evil.example` in a browser. The path is percent-encoded (so a
    `?` or `#` in it stays part of the path) and must pass `local_path`.
    """
    return local_path(quote(path, safe="/:@!$&'()*+,;=-._~")) or "/"
