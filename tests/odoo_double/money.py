"""What a fresh Odoo computes about money: currencies and their rounding, the company's default sales
tax, line and document totals ('round_per_line', Odoo's default), residuals and payment states.

Odoo rounds with `float_round` (half away from zero) to the currency's `rounding` (0.01, or 1.0 for
a currency without minor units); these functions do the same in Decimal and answer floats, as Odoo's
API does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

COMPANY_CURRENCY = 1  # a fresh database of the recordings' kind: a US company in USD
DEFAULT_SALE_TAX = 1  # the generic chart's "15%" sales tax, set as the company's default sales tax
DEFAULT_PURCHASE_TAX = 2  # the generic chart's "15%" purchase tax, the company's default on vendor bills

# res.currency as a fresh Odoo has them: (id, code, symbol, rounding, active, units per USD). Only the
# company currency is active until someone activates another (Accounting › Configuration › Currencies).
CURRENCIES = [
    (1, "USD", "$", 0.01, True, "1.0"),
    (125, "EUR", "€", 0.01, False, "0.92"),
    (69, "KES", "KSh", 0.01, False, "129.0"),
    (20, "INR", "₹", 0.01, False, "84.0"),
    (141, "UGX", "USh", 1.0, False, "3700.0"),
]


def to_decimal(value: Any) -> Decimal:
    return Decimal(repr(float(value or 0)))


def currency_round(value: Decimal, rounding: float) -> Decimal:
    """Odoo's float_round(value, precision_rounding=rounding): half away from zero, to a multiple of `rounding`."""
    step = Decimal(repr(rounding))
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def rounding_of(db: Any, currency_id: int) -> float:
    return db.models["res.currency"].records[currency_id]["rounding"]


def line_amounts(
    db: Any, quantity: Any, price_unit: Any, discount: Any, tax_ids: list[int], currency_id: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(untaxed, tax, total) of one line, each rounded by the currency as Odoo's round_per_line does.

    A tax-included tax is taken out of the line's rounded amount; a tax-excluded tax is added to the
    untaxed amount. Only percentage taxes (the kind sales taxes are) are modelled.
    """
    rounding = rounding_of(db, currency_id)
    gross = currency_round(to_decimal(quantity) * to_decimal(price_unit) * (1 - to_decimal(discount) / 100), rounding)
    taxes = [db.models["account.tax"].records[i] for i in tax_ids if i in db.models["account.tax"].records]
    included = sum((to_decimal(t["amount"]) for t in taxes if tax_included(db, t)), Decimal(0))
    included_tax = currency_round(gross * included / (100 + included), rounding) if included else Decimal(0)
    untaxed = gross - included_tax
    excluded_tax = sum(
        (currency_round(untaxed * to_decimal(t["amount"]) / 100, rounding) for t in taxes if not tax_included(db, t)), Decimal(0)
    )
    return untaxed, included_tax + excluded_tax, untaxed + included_tax + excluded_tax


def unrounded_tax(db: Any, quantity: Any, price_unit: Any, discount: Any, tax_ids: list[int]) -> Decimal:
    """A line's tax before rounding, what 'round_globally' adds over a document before rounding once (account_tax.py)."""
    gross = to_decimal(quantity) * to_decimal(price_unit) * (1 - to_decimal(discount) / 100)
    taxes = [db.models["account.tax"].records[i] for i in tax_ids if i in db.models["account.tax"].records]
    included = sum((to_decimal(t["amount"]) for t in taxes if tax_included(db, t)), Decimal(0))
    included_tax = gross * included / (100 + included) if included else Decimal(0)
    untaxed = gross - included_tax
    return included_tax + sum((untaxed * to_decimal(t["amount"]) / 100 for t in taxes if not tax_included(db, t)), Decimal(0))


def rounds_globally(db: Any) -> bool:
    """The company's tax_calculation_rounding_method (Accounting settings, "Rounding Method"): round_per_line by default."""
    return db.models["res.company"].records[1].get("tax_calculation_rounding_method") == "round_globally"


def tax_included(db: Any, tax: dict[str, Any]) -> bool:
    """17: the tax's own `price_include`; 18+: `price_include_override`, else the company's default (tax excluded)."""
    if db.version >= 18:
        return (tax.get("price_include_override") or "tax_excluded") == "tax_included"
    return bool(tax.get("price_include"))


def convert(db: Any, amount: Decimal, from_currency: int, to_currency: int) -> Decimal:
    """An amount in another currency, at the double's fixed rates, rounded by the target currency."""
    if from_currency == to_currency:
        return amount
    rates = db.rates
    return currency_round(amount * rates[to_currency] / rates[from_currency], rounding_of(db, to_currency))


def as_float(value: Decimal) -> float:
    return float(value)
