"""Loom's one money type: a Decimal amount in an ISO 4217 currency, rounded one way, split so it adds up.

- **Decimals** come from CLDR through Babel (`babel.numbers.get_currency_precision`): 2 for USD, EUR,
  KES and INR, 0 for UGX and RWF, 3 for BHD. No hand-kept list; Stripe's own list of zero-decimal
  currencies lives in `payments/gateway.py` and is used only for Stripe's smallest-unit integers.
- **One rounding rule**: half away from zero (`ROUND_HALF_UP`) to the currency's decimals, the rule
  Odoo's `float_round` and Stripe's dashboards use, so an amount rounds the same in Loom, in the
  group's Odoo and in Stripe.
- **Splits add up**: a share is rounded, the rest is the total minus that rounded share, never
  rounded on its own (deposit + balance = total; fee + net = gross).
- **Formatting** is Babel's `format_currency` for the viewer's locale with the currency's own decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, is_currency

ROUNDING = ROUND_HALF_UP
# The largest unit price Loom takes in, in any currency (10 million: enough for shillings and dong), and the
# largest total: the database keeps Numeric(18, 4), and a unit price times 10 million units stays below 10^14.
MAX_UNIT_PRICE = Decimal("10000000")
MAX_TOTAL = Decimal("99999999999999")


class UnknownCurrency(ValueError):
    """The code is not an ISO 4217 currency that CLDR knows."""


@lru_cache(maxsize=512)
def currency_code(code: str) -> str:
    """Return the upper-case ISO 4217 code; raise `UnknownCurrency` for anything else (`"usd"` → `"USD"`)."""
    normalized = (code or "").strip().upper()
    if len(normalized) != 3 or not normalized.isascii() or not normalized.isalpha() or not is_currency(normalized):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code.")
    return normalized


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """The number of decimals an amount in `currency` has (CLDR): 2 for USD, 0 for UGX, 3 for BHD."""
    return get_currency_precision(currency_code(currency))


def quantum(currency: str) -> Decimal:
    """The smallest amount of `currency` as a Decimal exponent: `Decimal("0.01")` for USD, `Decimal("1")` for UGX."""
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round `amount` to the currency's decimals with Loom's one rule (half up); raise `ValueError` on non-finite input."""
    value = Decimal(amount) if not isinstance(amount, Decimal) else amount
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not an amount of money.")
    return value.quantize(quantum(currency), rounding=ROUNDING)


def is_rounded(amount: Decimal, currency: str) -> bool:
    """Whether `amount` has no more decimals than the currency allows (125000.50 UGX has too many)."""
    try:
        return amount.is_finite() and amount == amount.quantize(quantum(currency))
    except InvalidOperation:  # beyond the context's precision: certainly not a sensible amount
        return False


def percent_of(amount: Decimal, percent: Decimal | int, currency: str) -> Decimal:
    """`percent` % of `amount` (a percentage such as 50 or Decimal("5.0")), rounded to the currency."""
    return round_money(Decimal(amount) * Decimal(percent) / 100, currency)


def split_percent(total: Decimal, percent: Decimal | int, currency: str) -> tuple[Decimal, Decimal]:
    """Split `total` into (`percent` % of it, the rest); the two always add up to `total` exactly.

    The share is rounded to the currency and the rest is the difference: 50 % of 250,001 UGX is
    (125,001, 125,000); 50 % of 0.05 USD is (0.03, 0.02).
    """
    share = percent_of(total, percent, currency)
    return share, round_money(total, currency) - share


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, always rounded to that currency's decimals."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        code = currency_code(self.currency)
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", round_money(self.amount, code))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def times(self, quantity: int | Decimal) -> Money:
        """The amount for `quantity` units at this unit price, rounded once."""
        return Money(self.amount * Decimal(quantity), self.currency)

    def split_percent(self, percent: Decimal | int) -> tuple[Money, Money]:
        """(`percent` % of this amount, the rest): see `split_percent`."""
        share, rest = split_percent(self.amount, percent, self.currency)
        return Money(share, self.currency), Money(rest, self.currency)

    def format(self, locale: str = "en") -> str:
        """Format the amount with its currency's decimals for `locale` ("$1,092.50")."""
        return format_money(self.amount, self.currency, locale)

    def _same(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return other

    def __str__(self) -> str:
        return self.format()


def format_money(amount: Decimal | int | None, currency: str, locale: str = "en") -> str:
    """`amount` for people reading `locale`: symbol or code, grouping, the currency's decimals ("UGX 250,001", "$1,092.50")."""
    if amount is None:
        return ""
    return _shown(amount, currency, None, locale)


def format_amount(amount: Decimal | int | None, currency: str, locale: str = "en") -> str:
    """`amount` with grouping and the currency's decimals but no symbol ("250,001", "1,092.50"), for tables with a currency
    column."""
    if amount is None:
        return ""
    return _shown(amount, currency, "#,##0.##", locale)


def _shown(amount: Decimal | int | float, currency: str, pattern: str | None, locale: str) -> str:
    """Return `amount` rounded to `currency` and formatted with `pattern` for `locale`, remembered per amount.

    A page shows the same prices again and again (a search document's prices are floats): each is rounded and formatted
    once per currency, pattern and locale. The memo is keyed on the amount's type and exact text (`repr` of a float, which
    reads back to the same float; a Decimal's own text, so "-0" and "0", "1.5" and "1.50" stay apart). Raises
    `UnknownCurrency` or `ValueError` (a non-finite amount) as `round_money` and `currency_code` do.
    """
    kind = type(amount)
    if kind is float:
        return _shown_text(kind, repr(amount), currency, pattern, locale)
    if kind is Decimal or kind is int:
        return _shown_text(kind, str(amount), currency, pattern, locale)
    code = currency_code(currency)  # anything else as it comes, unremembered
    return _formatted(str(round_money(amount, code)), code, pattern, locale)


@lru_cache(maxsize=8192)
def _shown_text(kind: type, text: str, currency: str, pattern: str | None, locale: str) -> str:
    code = currency_code(currency)
    return _formatted(str(round_money(kind(text), code)), code, pattern, locale)


@lru_cache(maxsize=8192)
def _formatted(rounded: str, code: str, pattern: str | None, locale: str) -> str:
    """Babel's `format_currency` of an amount already rounded to the currency (given as its exact text, so "-0.00" and
    "0.00" stay apart), remembered: a page shows the same prices again and again, and each costs Babel's pattern engine
    tens of microseconds; Babel parses the locale only for a text not remembered yet."""
    return format_currency(Decimal(rounded), code, format=pattern, locale=locale, currency_digits=True)
