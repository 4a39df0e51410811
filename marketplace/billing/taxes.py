"""The sales tax a group charges on Loom's prices, computed as the group's Odoo computes it.

A group with an Odoo maps Loom's prices to one of its Odoo's percent sale taxes (erp_connector's
Odoo page). Loom then bills exactly what that Odoo will book: the tax is part of every order's and
invoice's total, the buyer pays it through Stripe or by bank transfer, and the sync compares
Odoo's `amount_total` with Loom's.

The rule is Odoo's `account.tax` for a single percent tax (`account/models/account_tax.py`):
- **added on top** (price_include off): tax = amount × rate / 100;
- **included in the price** (price_include on): tax = amount × rate / (100 + rate), inside the amount;
- **rounding**, the company's `tax_calculation_rounding_method`: `round_per_line` (Odoo's default)
  rounds each line's tax to the currency, then adds; `round_globally` adds the unrounded taxes of a
  document and rounds once. Rounding is half away from zero (`marketplace.money`, Odoo's float_round).

Lines here are amounts already exact in the currency (whole quantities × prices in the currency's
decimals, or a deposit), so the untaxed amount is the same however Odoo rounds it.

Deposits follow Odoo's down payments: the deposit invoice has one line (the deposit), the balance
invoice has every order line less that deposit. Per line, taxes then add up exactly (deposit tax +
balance tax = order tax); rounding globally they can differ by one minor unit, so the deposit is
moved by the fewest minor units that make them add up (see `split_deposit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from marketplace.money import percent_of, quantum, round_money

ZERO = Decimal(0)


@dataclass(frozen=True)
class TaxRule:
    """One percent sales tax: its name, `rate` in percent (15 means 15 %), whether prices include it, how the books round it."""

    name: str
    rate: Decimal
    included: bool
    per_line: bool = True  # Odoo's round_per_line; False: round_globally

    @property
    def factor(self) -> Decimal:
        """Return the share of a line amount that is tax: rate/(100+rate) when included, rate/100 on top (Odoo's percent tax)."""
        return self.rate / (100 + self.rate) if self.included else self.rate / 100


def tax_of(amounts: Iterable[Decimal], rule: TaxRule | None, currency: str) -> Decimal:
    """Return the tax (Decimal, in `currency`) Odoo books on lines of these amounts (signed; a deduction is negative)."""
    if rule is None or not rule.rate:
        return ZERO
    if rule.per_line:
        return sum((round_money(a * rule.factor, currency) for a in amounts), ZERO)
    return round_money(sum((a * rule.factor for a in amounts), ZERO), currency)


@dataclass(frozen=True)
class Amounts:
    """An order's or invoice's money: `base` the lines' amount as Loom prices them, `tax`, and `total` the buyer pays."""

    base: Decimal
    tax: Decimal
    total: Decimal

    @property
    def untaxed(self) -> Decimal:
        """Return the amount before tax (total − tax), in the currency of the amounts."""
        return self.total - self.tax


def amounts_of(lines: Iterable[Decimal], rule: TaxRule | None, currency: str) -> Amounts:
    """Return the amounts of lines priced by Loom (each already rounded to the currency) under the rule.

    With a tax on top the total is the lines plus the tax; with an included one (or none) it is the lines.
    """
    lines = [round_money(a, currency) for a in lines]
    base = sum(lines, ZERO)
    tax = tax_of(lines, rule, currency)
    total = base + tax if rule is not None and not rule.included else base
    return Amounts(base, tax, total)


def split_deposit(
    order: Amounts, lines: list[Decimal], rule: TaxRule | None, percent: int, currency: str
) -> tuple[Amounts, Amounts]:
    """Split an order into its deposit invoice (`percent` % of its lines' amount) and the balance; they add up exactly.

    The deposit's base is `percent` % of the order's base (Loom's prices: before a tax on top, with an
    included one), its tax Odoo's tax on that one line. The balance is the rest, base, tax and total.
    Rounding globally, the balance invoice's own tax (Odoo's, on every line less the deposit) must equal
    the order's tax less the deposit's: the deposit is moved by the fewest minor units that make it so.
    Raises ValueError when no deposit within 100 minor units does (a rate no book uses).
    """
    # A deposit of the whole order is still one line in Odoo: per line, one line of the whole may round its tax
    # differently from the order's lines (UGX 5 + 6 at 5 % included: 0 + 0, but 1 on 11), so it is checked too.
    target = order.base if percent >= 100 else min(percent_of(order.base, percent, currency), order.base)
    if target <= 0:
        return Amounts(ZERO, ZERO, ZERO), order
    step = quantum(currency)
    for shift in range(0, 101):
        for base in (target + shift * step, target - shift * step):
            if base <= 0 or base > order.base:
                continue
            deposit_tax = tax_of([base], rule, currency)
            balance_lines = [*lines, -base]
            if tax_of(balance_lines, rule, currency) != order.tax - deposit_tax:
                continue
            deposit = Amounts(base, deposit_tax, base + deposit_tax if rule is not None and not rule.included else base)
            return deposit, Amounts(order.base - base, order.tax - deposit_tax, order.total - deposit.total)
    raise ValueError(f"no deposit near {target} {currency} splits the tax of {order.total} exactly")


__all__ = ["Amounts", "TaxRule", "amounts_of", "split_deposit", "tax_of"]
