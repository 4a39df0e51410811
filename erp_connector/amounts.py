"""What Loom expects a group's Odoo to compute from what Loom sends: the tax mapping the group chose,
applied line by line, rounded as Odoo rounds (marketplace.money's one rule is Odoo's float_round) — so that any difference is
seen, never absorbed.

Odoo's default ('round_per_line') rounds each line's untaxed amount and each line's tax to the
currency's precision, half away from zero, then adds the lines. Loom does the same in Decimal with
the currency's ISO 4217 minor units (CLDR data through Babel). The comparison after each push is
what keeps this honest: if an Odoo rounds globally, or applies a fiscal position, or holds the
currency at another precision, the totals differ and the sync says so with both numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from marketplace.money import format_money, minor_units, round_money

ZERO = Decimal(0)


@dataclass(frozen=True)
class TaxMapping:
    """How Loom's prices map to the taxes of a group's Odoo.

    `tax_id` is the Odoo `account.tax` put on every line (None: no tax at all); `rate` its percentage;
    `included` whether Loom's prices already contain it (the Odoo tax must then be a tax-included one).
    """

    tax_id: int | None = None
    rate: Decimal = ZERO
    included: bool = False
    name: str = ""

    @property
    def tax_ids(self) -> list[int]:
        """Return the Odoo tax ids to put on a line: the chosen tax, or none."""
        return [self.tax_id] if self.tax_id else []

    def describe(self) -> str:
        """Describe the mapping for the group's admin.

        The tax, its rate in percent, included in or added to Loom's prices.
        """
        if not self.tax_id:
            return "no tax: Loom's prices go to Odoo as they are"
        how = "included in Loom's prices" if self.included else "added on top of Loom's prices"
        return f"{self.name or 'tax'} ({self.rate.normalize():f} %), {how}"


NO_TAX = TaxMapping()


@dataclass(frozen=True)
class LineAmounts:
    untaxed: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        """Return the line's total with tax (in the order's currency)."""
        return self.untaxed + self.tax


def line_amounts(quantity: Decimal, price_unit: Decimal, mapping: TaxMapping, currency: str) -> LineAmounts:
    """Return one line's untaxed amount and tax, each rounded per line as Odoo's round_per_line does.

    `quantity` in units, `price_unit` in `currency` as Loom sends it to Odoo.
    """
    gross = round_money(Decimal(quantity) * Decimal(price_unit), currency)
    if not mapping.tax_id or not mapping.rate:
        return LineAmounts(gross, ZERO)
    if mapping.included:
        tax = round_money(gross * mapping.rate / (100 + mapping.rate), currency)
        return LineAmounts(gross - tax, tax)
    return LineAmounts(gross, round_money(gross * mapping.rate / 100, currency))


def expected_total(
    lines: Iterable[tuple[Decimal, Decimal]], mapping: TaxMapping, currency: str, *, per_document: bool = False
) -> Decimal:
    """Return the total Odoo should show for (quantity, unit price) lines under the mapping, in the currency.

    `per_document`: Odoo 19 rounds a document's untaxed amount once, from the lines' unrounded
    amounts (`_round_tax_details_base_lines` spreads the difference over the lines), where 17 and 18
    add the lines' rounded amounts: lines of 1.5 × 19.99, 3.5 × 4.05 and 1 × −0.01 total 29.99 + 14.18
    − 0.01 = 44.16 on real 18, but round(29.985 + 14.175 − 0.01) = 44.15 on real 19. Taxes stay
    rounded per line; with a price-included tax (or none) the total is the rounded sum of the lines.
    """
    lines = [(Decimal(q), Decimal(p)) for q, p in lines]
    if not per_document:
        return sum((line_amounts(q, p, mapping, currency).total for q, p in lines), ZERO)
    untaxed = round_money(sum((q * p for q, p in lines), ZERO), currency)
    if not mapping.tax_id or not mapping.rate or mapping.included:
        return untaxed
    return untaxed + sum((round_money(q * p * mapping.rate / 100, currency) for q, p in lines), ZERO)


def same_amount(odoo_amount: float, expected: Decimal, currency: str) -> bool:
    """Compare Odoo's float with Loom's Decimal at the currency's precision.

    `odoo_amount` is the float Odoo answered, in `currency`.
    """
    return round_money(Decimal(repr(float(odoo_amount))), currency) == round_money(expected, currency)


def show(amount: Decimal | float, currency: str) -> str:
    """Format an amount for a sync error a person reads ("$1,092.50", "UGX 125,001"), through Babel like every page."""
    return format_money(Decimal(repr(amount)) if isinstance(amount, float) else amount, currency)


__all__ = [
    "NO_TAX",
    "LineAmounts",
    "TaxMapping",
    "expected_total",
    "line_amounts",
    "minor_units",
    "round_money",
    "same_amount",
    "show",
]
