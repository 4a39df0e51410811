"""The pricing helper: a fair unit price from what a piece takes to make, and the artisans' share of it.

Hourly wages are indicative living-wage rates for home-based artisan work, in USD (rounded from
Global Living Wage Coalition / Anker benchmarks and fair-trade premiums); a group replaces them with
its own rate in the form. They are a starting point, not a rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from marketplace.money import round_money

FAIR_HOURLY_WAGE_USD: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "KE": "1.20", "UG": "0.80", "RW": "0.80", "TZ": "0.90", "ET": "0.70", "GH": "1.10", "NG": "1.00",
        "IN": "0.90", "BD": "0.75", "NP": "0.85", "GT": "1.80", "PE": "1.90", "BO": "1.50", "MX": "2.20",
        "VN": "1.30", "KH": "1.00", "PH": "1.40", "ID": "1.20",
    }.items()
}  # fmt: skip
DEFAULT_WAGE_USD = Decimal("1.00")


def fair_wage(country: str) -> Decimal:
    return FAIR_HOURLY_WAGE_USD.get(country.upper(), DEFAULT_WAGE_USD)


@dataclass(frozen=True)
class PriceSuggestion:
    materials: Decimal
    labour: Decimal
    overhead: Decimal
    margin: Decimal
    unit_price: Decimal
    artisan_share_percent: Decimal  # the part of the price that pays the artisans' hours


def suggest_price(
    *, materials: Decimal, hours: Decimal, hourly_wage: Decimal, overhead_percent: Decimal, margin_percent: Decimal, currency: str = "USD"
) -> PriceSuggestion:
    """Materials plus fairly paid hours, plus overhead on both, plus the group's margin on the lot.

    Amounts are per unit in `currency` and rounded to it (`marketplace.money`), so the parts add up to
    the suggested price; percentages are plain numbers (15 means 15 %).
    """
    materials = round_money(materials, currency)
    labour = round_money(hours * hourly_wage, currency)
    cost = materials + labour
    overhead = round_money(cost * overhead_percent / 100, currency)
    margin = round_money((cost + overhead) * margin_percent / 100, currency)
    unit_price = cost + overhead + margin
    share = (labour / unit_price * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) if unit_price else Decimal("0")
    return PriceSuggestion(materials, labour, overhead, margin, unit_price, share)
