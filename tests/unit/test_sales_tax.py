"""A sales tax computed as Odoo computes it, and deposits whose taxes add up to the order's (marketplace.billing.taxes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.billing.taxes import Amounts, TaxRule, amounts_of, split_deposit, tax_of
from marketplace.money import is_rounded, round_money

D = Decimal


def test_a_tax_on_top_is_added_line_by_line_or_once_for_the_document() -> None:
    lines = [D("0.05"), D("0.05"), D("0.05")]  # 15 % of each is 0.0075
    assert tax_of(lines, TaxRule("VAT", D(15), False), "USD") == D("0.03")  # round_per_line: 0.01 × 3
    assert tax_of(lines, TaxRule("VAT", D(15), False, per_line=False), "USD") == D("0.02")  # round_globally: round(0.0225)
    assert amounts_of([D("59.97"), D("28.35")], TaxRule("VAT", D(15), False), "USD") == Amounts(
        D("88.32"), D("13.25"), D("101.57")
    )


def test_an_included_tax_stays_inside_the_price() -> None:
    order = amounts_of([D("250001"), D("24690")], TaxRule("VAT", D(15), True), "UGX")
    assert (order.total, order.tax, order.untaxed) == (D("274691"), D("35829"), D("238862"))


def test_rounding_globally_moves_the_deposit_so_the_taxes_add_up() -> None:
    rule = TaxRule("VAT", D(15), False, per_line=False)
    lines = [D("59.97"), D("28.35")]
    order = amounts_of(lines, rule, "USD")
    deposit, balance = split_deposit(order, lines, rule, 50, "USD")
    # 44.16 would give 6.62 + round(44.16 × 0.15 = 6.624) = 6.62 → 13.24, one cent short of the order's 13.25
    assert deposit == Amounts(D("44.17"), D("6.63"), D("50.80"))
    assert balance == Amounts(D("44.15"), D("6.62"), D("50.77"))


RULES = st.builds(
    TaxRule,
    st.just("VAT"),
    st.sampled_from([D(5), D(7.5), D(15), D(16), D(18), D(21), D("12.5")]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(
    currency=st.sampled_from(["USD", "EUR", "KES", "INR", "UGX", "BHD"]),
    cents=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=6),
    rule=st.one_of(st.none(), RULES),
    percent=st.integers(min_value=1, max_value=99),
)
def test_deposit_and_balance_add_up_and_each_is_what_odoo_books(
    currency: str, cents: list[int], rule: TaxRule | None, percent: int
) -> None:
    lines = [round_money(D(c) / 100, currency) for c in cents]
    lines = [x for x in lines if x > 0] or [round_money(1, currency)]
    order = amounts_of(lines, rule, currency)
    deposit, balance = split_deposit(order, lines, rule, percent, currency)
    assert deposit.total + balance.total == order.total
    assert deposit.tax + balance.tax == order.tax
    assert all(is_rounded(x, currency) for x in (*deposit.__dict__.values(), *balance.__dict__.values()))
    # What Odoo books: the deposit invoice is one line of its base; the balance every order line less that deposit.
    if deposit.base:
        assert tax_of([deposit.base], rule, currency) == deposit.tax
        assert tax_of([*lines, -deposit.base], rule, currency) == balance.tax


@pytest.mark.parametrize("percent", [0, 100])
def test_no_deposit_or_all_of_it(percent: int) -> None:
    rule = TaxRule("VAT", D(15), False)
    order = amounts_of([D("10.00")], rule, "USD")
    deposit, balance = split_deposit(order, [D("10.00")], rule, percent, "USD")
    assert deposit.total + balance.total == order.total == D("11.50")


def test_a_deposit_of_the_whole_order_is_one_line_with_the_tax_odoo_books_on_it() -> None:
    # UGX 5 + 6 with 5 % included, rounded per line: the order's tax is 0 + 0, but the deposit invoice is one line
    # of 11, on which Odoo books 1; the balance invoice (5 + 6 − 11) then books −1. Found by Hypothesis.
    rule = TaxRule("VAT", D(5), True)
    order = amounts_of([D(5), D(6)], rule, "UGX")
    deposit, balance = split_deposit(order, [D(5), D(6)], rule, 99, "UGX")
    assert deposit == Amounts(D(11), D(1), D(11))
    assert balance == Amounts(D(0), D(-1), D(0))
    assert tax_of([D(5), D(6), -deposit.base], rule, "UGX") == balance.tax
