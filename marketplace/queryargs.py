"""Numbers and dates from a URL's query string, read strictly: a bad value is a 400 with the reason, never a 500.

`str.isdigit()` accepts "²" and "٣" that `int()` then refuses, and an unbounded page number
overflows the database: every numeric or date query parameter goes through these functions.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from marketplace.errors import DomainError
from marketplace.i18n import format_number as format_decimal

_WHOLE = re.compile(r"[0-9]{1,12}")  # ASCII digits only
_GROUPED = re.compile(
    r"[0-9]{1,3}(?:([,\u00a0\u202f' ])[0-9]{3}(?:\1[0-9]{3}){0,2})"
)  # 2,000 · 2 000 · 1'000'000: one separator throughout
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def whole_number(args: Mapping[str, str], name: str, *, low: int, high: int, default: int | None = None) -> int | None:
    """The parameter as an int in [low, high]; `default` when absent or empty. Raises DomainError (400) otherwise.

    Thousands may be grouped as people write them ("2,000", "2 000", "1'000'000"), one separator throughout.
    """
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if _GROUPED.fullmatch(raw):
        raw = re.sub(r"[^0-9]", "", raw)
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        raise DomainError(
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=format_decimal(low),
                high=format_decimal(high),
            ),
            field=name,
        )
    return int(raw)


_NUMBER = re.compile(
    r"(?:[0-9]{1,15}\.?[0-9]{0,15}|\.[0-9]{1,15})(?:[eE][-+]?[0-9]{1,3})?"
)  # 12.50, .5, 1e-3; no 1_000, no 1E+999999


def decimal_number(args: Mapping[str, str], name: str, *, high: float) -> float | None:
    """The parameter as a finite number from 0 to below `high`, written in ASCII (12.50, 1e-3); None when absent.

    Raises `DomainError` for anything else (a malformed query parameter).
    """
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw) if _NUMBER.fullmatch(raw) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value < Decimal(high):
        raise DomainError(
            _("%(name)s must be a number from 0 to %(high)s, such as 12.50.", name=name, high=format(high, ",.0f")), field=name
        )
    return float(value)


def iso_date(args: Mapping[str, str], name: str) -> dt.date | None:
    """The parameter as a calendar date written YYYY-MM-DD; None when absent or empty. Raises DomainError (400) otherwise."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(name)s must be a date written YYYY-MM-DD.", name=name), field=name) from None


MAX_CURSOR_LENGTH = 600  # base64 of [verified, a name of up to 200 characters, id], with room to spare
ListingKey = tuple[bool, str, int]  # where a page of the group listing ends: (verified, name, id)


def encode_listing_cursor(key: ListingKey) -> str:
    """Write where a page of the group listing ended as an opaque URL-safe cursor for the next page."""
    return (
        base64.urlsafe_b64encode(json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()).decode().rstrip("=")
    )


def _not_a_cursor(name: str) -> DomainError:
    return DomainError(_("%(name)s is not a page cursor Loom wrote; start again from the first page.", name=name), field=name)


def _decode_cursor(raw: str, invalid: DomainError) -> object:
    """Return the JSON value inside a cursor Loom wrote (unpadded URL-safe base64); raise `invalid` for anything else."""
    if len(raw) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (ValueError, binascii.Error, RecursionError):
        raise invalid from None


def _cursor_text(args: Mapping[str, str], name: str) -> str:
    """Return the cursor parameter without surrounding spaces; raise DomainError (400) when it is longer than any cursor,
    spaces included (the API document's maxLength: a long run of spaces is not an absent cursor)."""
    given = args.get(name) or ""
    if len(given) > MAX_CURSOR_LENGTH:
        raise _not_a_cursor(name)
    return given.strip()


def listing_cursor(args: Mapping[str, str], name: str) -> ListingKey | None:
    """The parameter as a group-listing cursor (verified, name, id) as `encode_listing_cursor` wrote it; None when absent.

    Anything else (not base64 or JSON, another shape, an overlong name, an id out of range) raises
    DomainError (400): a cursor is only ever one Loom wrote.
    """
    raw = _cursor_text(args, name)
    if not raw:
        return None
    invalid = _not_a_cursor(name)
    values = _decode_cursor(raw, invalid)
    if not (
        isinstance(values, list)
        and len(values) == 3
        and isinstance(values[0], bool)
        and isinstance(values[1], str)
        and len(values[1]) <= 200
        and "\x00" not in values[1]
        and type(values[2]) is int
        and 1 <= values[2] <= 2**31 - 1
    ):
        raise invalid
    return values[0], values[1], values[2]


def encode_id_cursor(last_id: int) -> str:
    """Write where a newest-first page (orders, requests for quotation) ended as an opaque cursor for the next page."""
    return base64.urlsafe_b64encode(json.dumps([last_id]).encode()).decode().rstrip("=")


def id_cursor(args: Mapping[str, str], name: str) -> int | None:
    """The parameter as a newest-first page cursor (the last id shown) as `encode_id_cursor` wrote it; None when absent.

    Anything else (not base64 or JSON, another shape, an id out of range) raises DomainError (400).
    """
    raw = _cursor_text(args, name)
    if not raw:
        return None
    invalid = _not_a_cursor(name)
    values = _decode_cursor(raw, invalid)
    if not (isinstance(values, list) and len(values) == 1 and type(values[0]) is int and 1 <= values[0] <= 2**31 - 1):
        raise invalid
    return values[0]
