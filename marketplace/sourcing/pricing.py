"""The pricing helper: a fair unit price from what a piece takes to make, and the artisans' share of it.

Hourly wages are indicative living-wage rates for home-based artisan work, in USD (rounded from
Global Living Wage Coalition / Anker benchmarks and fair-trade premiums); a group replaces them with
its own rate in the form. They are a starting point, not a rule.

The helper works in the group's own currency, so the wage it offers is that USD rate converted at a
reference rate (`REFERENCE_RATES_PER_USD`): the market rates of 29 Sep 2026 as published in the npm
package `@fawazahmed0/currency-api` 2026.9.29 (`v1/currencies/usd.json`, rounded to 4 decimals). The same
rates pre-fill the exchange rate between the group's currency and the RFQ's, which the group corrects
to the rate it really uses. A currency missing from the table gets no converted default.
"""

from __future__ import annotations

import datetime as dt
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

REFERENCE_RATES_DATE = dt.date(2026, 9, 29)
REFERENCE_RATES_PER_USD: dict[str, Decimal] = {  # units of the currency for 1 USD on REFERENCE_RATES_DATE (source above)
    code: Decimal(rate)
    for code, rate in {
        "USD": "1",
        "KES": "129.6747",
        "UGX": "3914.6682",
        "RWF": "1475.5332",
        "TZS": "2639.5882",
        "ETB": "162.8182",
        "GHS": "11.6462",
        "NGN": "1326.1644",
        "INR": "96.0853",
        "BDT": "123.1689",
        "NPR": "153.8086",
        "GTQ": "7.6358",
        "PEN": "3.4160",
        "BOB": "12.1629",
        "MXN": "18.0054",
        "VND": "25947.7680",
        "KHR": "4061.1483",
        "PHP": "62.5175",
        "IDR": "18016.3431",
        "EUR": "0.8802",
        "GBP": "0.7554",
        "CAD": "1.4188",
        "AUD": "1.4247",
        "ZAR": "16.4401",
        "XOF": "577.3903",
        "MAD": "9.6480",
        "EGP": "52.0502",
        "LKR": "330.9054",
        "PKR": "277.1362",
        "COP": "3368.9611",
        "BRL": "5.2242",
        "CHF": "0.8334",
        "JPY": "157.4773",
        "CNY": "6.7078",
        "THB": "33.6330",
    }.items()
}


def reference_rate(currency: str, per: str) -> Decimal | None:
    """Return how many units of `currency` make one unit of `per` at the reference rates, to 4 decimals.

    Both are ISO 4217 codes; the rate is crossed through USD (`REFERENCE_RATES_PER_USD`, dated
    `REFERENCE_RATES_DATE`). None when either currency is missing from the table.
    """
    mine, theirs = REFERENCE_RATES_PER_USD.get(currency.upper()), REFERENCE_RATES_PER_USD.get(per.upper())
    if mine is None or theirs is None:
        return None
    return (mine / theirs).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def fair_wage_usd(country: str) -> Decimal:
    """Return the fair hourly wage in USD for a country (ISO 3166 alpha-2), or the default where none is known."""
    return FAIR_HOURLY_WAGE_USD.get(country.upper(), DEFAULT_WAGE_USD)


def fair_wage(country: str, currency: str = "USD") -> Decimal | None:
    """Return the fair hourly wage for a country (ISO 3166 alpha-2) in `currency` (ISO 4217), an amount per hour.

    The country's USD rate (`fair_wage_usd`) converted at the reference rate and rounded to the currency's minor
    units (`marketplace.money`); None when the currency has no reference rate.
    """
    rate = reference_rate(currency, "USD")
    if rate is None:
        return None
    return round_money(fair_wage_usd(country) * rate, currency)


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
