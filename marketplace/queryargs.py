"""Numbers and dates from a URL's query string, read strictly: a bad value is a 400 with the reason, never a 500.

`str.isdigit()` accepts "²" and "٣" that `int()` then refuses, and an unbounded page number
overflows the database: every numeric or date query parameter goes through these functions.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from marketplace.errors import DomainError
from marketplace.i18n import format_number as format_decimal

_WHOLE = re.compile(r"[0-9]{1,12}")  # ASCII digits only
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def whole_number(args: Mapping[str, str], name: str, *, low: int, high: int, default: int | None = None) -> int | None:
    """The parameter as an int in [low, high]; `default` when absent or empty. Raises DomainError (400) otherwise."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        raise DomainError(_("%(name)s must be a whole number from %(low)s to %(high)s.", name=name, low=format_decimal(low), high=format_decimal(high)), field=name)
    return int(raw)


_NUMBER = re.compile(r"(?:[0-9]{1,15}\.?[0-9]{0,15}|\.[0-9]{1,15})(?:[eE][-+]?[0-9]{1,3})?")  # 12.50, .5, 1e-3; no 1_000, no 1E+999999


def decimal_number(args: Mapping[str, str], name: str, *, high: float) -> float | None:
    """The parameter as a finite number from 0 to below `high`, written in ASCII (12.50, 1e-3); None when absent."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw) if _NUMBER.fullmatch(raw) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value < Decimal(high):
        raise DomainError(_("%(name)s must be a number from 0 to %(high)s, such as 12.50.", name=name, high=format(high, ',.0f')), field=name)
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
