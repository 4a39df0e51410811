"""The pricing helper: a fair unit price from what a piece takes to make, and the artisans' share of it.

Hourly wages are indicative living-wage rates for home-based artisan work, in USD (rounded from
Global Living Wage Coalition / Anker benchmarks and fair-trade premiums); a group replaces them with
its own rate in the form. They are a starting point, not a rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import get_territory_currencies

from marketplace.money import round_money

FAIR_HOURLY_WAGE_USD: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "KE": "1.20",
        "UG": "0.80",
        "RW": "0.80",
        "TZ": "0.90",
        "ET": "0.70",
        "GH": "1.10",
        "NG": "1.00",
        "IN": "0.90",
        "BD": "0.75",
        "NP": "0.85",
        "GT": "1.80",
        "PE": "1.90",
        "BO": "1.50",
        "MX": "2.20",
        "VN": "1.30",
        "KH": "1.00",
        "PH": "1.40",
        "ID": "1.20",
    }.items()
}
DEFAULT_WAGE_USD = Decimal("1.00")


def fair_wage(country: str) -> Decimal:
    """Return the fair hourly wage in USD for a country (ISO 3166 alpha-2), or the default where none is known."""
    return FAIR_HOURLY_WAGE_USD.get(country.upper(), DEFAULT_WAGE_USD)


def working_currency(group: Any, category: str | None = None) -> str:
    """Return the ISO 4217 code a group prices in: its profile's choice, else its capability for `category`,
    else the currency most of its capabilities use, else its country's (Babel), else USD."""
    if group.currency:
        return group.currency
    capabilities = list(group.capabilities)
    for capability in capabilities:
        if capability.category == category:
            return capability.currency
    if capabilities:
        return Counter(c.currency for c in capabilities).most_common(1)[0][0]
    return next(iter(get_territory_currencies(group.country)), "USD")


@dataclass(frozen=True)
class PriceSuggestion:
    """A suggested unit price: the parts in the group's `currency`, the price to quote in `quote_currency`."""

    currency: str
    materials: Decimal
    labour: Decimal
    overhead: Decimal
    margin: Decimal
    unit_price: Decimal
    artisan_share_percent: Decimal  # the part of the price that pays the artisans' hours
    quote_currency: str
    exchange_rate: Decimal | None  # units of `currency` for 1 unit of `quote_currency`; None when they are the same
    quoted_unit_price: Decimal
    share_floor_percent: int

    @property
    def below_floor(self) -> bool:
        """Tell whether the artisans' share of the price falls below the floor (both in percent)."""
        return self.artisan_share_percent < self.share_floor_percent


def suggest_price(
    *,
    materials: Decimal,
    hours: Decimal,
    hourly_wage: Decimal,
    overhead_percent: Decimal,
    margin_percent: Decimal,
    currency: str = "USD",
    quote_currency: str | None = None,
    exchange_rate: Decimal | None = None,
    share_floor_percent: int = 0,
) -> PriceSuggestion:
    """Materials plus fairly paid hours, plus overhead on both, plus the group's margin on the lot.

    Amounts are per unit in the group's `currency` and rounded to it (`marketplace.money`), so the parts
    add up to the suggested price; percentages are plain numbers (15 means 15 %). The price to quote is
    converted to `quote_currency` at `exchange_rate` (units of `currency` for one of `quote_currency`)
    and rounded to that currency. Raises `ValueError` when the currencies differ and no positive rate is given.
    """
    quote_currency = quote_currency or currency
    materials = round_money(materials, currency)
    labour = round_money(hours * hourly_wage, currency)
    cost = materials + labour
    overhead = round_money(cost * overhead_percent / 100, currency)
    margin = round_money((cost + overhead) * margin_percent / 100, currency)
    unit_price = cost + overhead + margin
    share = (labour / unit_price * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) if unit_price else Decimal("0")
    if quote_currency == currency:
        rate, quoted = None, unit_price
    else:
        if exchange_rate is None or exchange_rate <= 0:
            raise ValueError(f"an exchange rate from {quote_currency} to {currency} is needed")
        rate, quoted = exchange_rate, round_money(unit_price / exchange_rate, quote_currency)
    return PriceSuggestion(
        currency, materials, labour, overhead, margin, unit_price, share, quote_currency, rate, quoted, share_floor_percent
    )
