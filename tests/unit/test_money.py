"""Loom's one money type: the currency's own decimals (CLDR), one rounding rule, splits that add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.money import (
    Money,
    UnknownCurrency,
    format_amount,
    format_money,
    is_rounded,
    minor_units,
    percent_of,
    round_money,
    split_percent,
)
from payments.gateway import from_minor, to_minor

CURRENCIES = ["USD", "EUR", "KES", "INR", "UGX", "RWF", "GTQ", "ETB", "BHD", "JPY"]


@pytest.mark.parametrize(
    ("currency", "decimals"), [("USD", 2), ("EUR", 2), ("KES", 2), ("INR", 2), ("UGX", 0), ("RWF", 0), ("BHD", 3)]
)
def test_decimals_come_from_cldr(currency: str, decimals: int) -> None:
    assert minor_units(currency) == decimals
    assert minor_units(currency.lower()) == decimals


def test_unknown_currencies_are_refused() -> None:
    for code in ("ZZZ", "US", "", "usd1", "€€€"):
        with pytest.raises(UnknownCurrency):
            minor_units(code)


def test_one_rounding_rule_half_up_to_the_currencys_decimals() -> None:
    assert round_money(Decimal("125000.5"), "UGX") == Decimal("125001")
    assert round_money(Decimal("0.125"), "USD") == Decimal("0.13")
    assert round_money(Decimal("-0.125"), "USD") == Decimal("-0.13")
    assert round_money(Decimal("1.0005"), "BHD") == Decimal("1.001")
    with pytest.raises(ValueError):
        round_money(Decimal("Infinity"), "USD")


def test_the_shilling_order_that_charged_one_shilling_too_many() -> None:
    """1 × 250,001 UGX with a 50 % deposit: two invoices that add up, each payable as it stands."""
    deposit, balance = split_percent(Decimal("250001"), 50, "UGX")
    assert (deposit, balance) == (Decimal("125001"), Decimal("125000"))
    assert to_minor(deposit, "UGX") + to_minor(balance, "UGX") == 250001
    fee = percent_of(deposit, Decimal("5.0"), "UGX")
    assert fee == Decimal("6250") and is_rounded(deposit - fee, "UGX")


def test_stripe_is_never_asked_to_round() -> None:
    with pytest.raises(ValueError):
        to_minor(Decimal("125000.50"), "UGX")
    with pytest.raises(ValueError):
        to_minor(Decimal("10.005"), "USD")
    assert to_minor(Decimal("10.99"), "USD") == 1099 and from_minor(1099, "USD") == Decimal("10.99")
    assert to_minor(Decimal("1.230"), "BHD") == 1230 and from_minor(1230, "BHD") == Decimal("1.23")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.235"), "BHD")  # Stripe's three-decimal currencies end in 0


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000000"), allow_nan=False, allow_infinity=False, places=4)


@settings(max_examples=400, deadline=None)
@given(total=amounts, percent=st.integers(min_value=0, max_value=100), currency=st.sampled_from(CURRENCIES))
def test_deposit_and_balance_always_add_up_to_the_total(total: Decimal, percent: int, currency: str) -> None:
    total = round_money(total, currency)
    deposit, balance = split_percent(total, percent, currency)
    assert deposit + balance == total
    assert is_rounded(deposit, currency) and is_rounded(balance, currency)
    assert Decimal(0) <= deposit <= total and balance >= 0
    assert abs(deposit - total * percent / 100) <= Decimal(1).scaleb(-minor_units(currency)) / 2


@settings(max_examples=400, deadline=None)
@given(gross=amounts, fee_percent=st.decimals(min_value=0, max_value=30, places=1), currency=st.sampled_from(CURRENCIES))
def test_fee_and_net_add_up_to_the_gross(gross: Decimal, fee_percent: Decimal, currency: str) -> None:
    gross = round_money(gross, currency)
    fee = percent_of(gross, fee_percent, currency)
    net = gross - fee
    assert fee + net == gross and is_rounded(net, currency) and net >= 0


@settings(max_examples=400, deadline=None)
@given(amount=amounts, currency=st.sampled_from([c for c in CURRENCIES if c != "BHD"]))
def test_stripes_smallest_unit_round_trips(amount: Decimal, currency: str) -> None:
    amount = round_money(amount, currency)
    units = to_minor(amount, currency)
    assert isinstance(units, int) and from_minor(units, currency) == amount


def test_money_values_are_rounded_and_refuse_mixed_currencies() -> None:
    price = Money(Decimal("2.505"), "usd")
    assert price == Money(Decimal("2.51"), "USD") and price.times(3) == Money(Decimal("7.53"), "USD")
    part, rest = Money(Decimal("250001"), "UGX").split_percent(50)
    assert part + rest == Money(Decimal("250001"), "UGX")
    with pytest.raises(ValueError):
        _ = price + Money(Decimal("1"), "EUR")


def test_money_is_formatted_by_babel_with_the_currencys_decimals() -> None:
    assert format_money(Decimal("1092.5"), "USD") == "$1,092.50"
    assert format_money(Decimal("250001"), "UGX") == "UGX\xa0250,001" or format_money(Decimal("250001"), "UGX") == "UGX250,001"
    assert format_amount(Decimal("250001"), "UGX") == "250,001"
    assert format_amount(Decimal("1092"), "KES") == "1,092.00"
    assert format_money(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50\xa0€"
