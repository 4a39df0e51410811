"""Numbers, money, dates and country names come out of the remembered formatters exactly as Babel writes them (issue 19).

Pages format the same values many times, so `marketplace.i18n` and `marketplace.money` remember each text per value,
pattern and locale, with Babel's `Locale` parsed once. These tests compare every remembered path with Babel called
directly, for every shipped locale, for values that are equal as numbers but written differently ("0" and "-0",
"1.5" and "1.50"): a memo keyed on the number alone would hand one the other's text. Then whole pages, rendered in
every locale with the memos and with Babel called directly, must be byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from marketplace import countries, i18n, money
from marketplace.countries import country_name
from marketplace.i18n import LOCALES, current_locale, format_day, format_moment, format_number, formatted_decimal
from marketplace.money import format_amount, format_money
from tests import factories

# Equal pairs side by side: the second of each would get the first's text from a memo keyed on the number's value.
NUMBERS: list[int | float | Decimal] = [
    0,
    Decimal("0"),
    Decimal("-0"),
    Decimal("-0.0"),
    Decimal("1.5"),
    Decimal("1.50"),
    Decimal("1.500"),
    1,
    1.0,
    Decimal("1E+3"),
    1000,
    12345,
    -12345,
    1234567.891,
    Decimal("1234567.8951"),
    Decimal("0.005"),
    Decimal("99999999999999.9999"),
    Decimal("-2.25"),
    2**40,
]
PATTERNS = [None, "0", "0.0", "#,##0.##", "0.00#"]
CURRENCIES = ["USD", "EUR", "KES", "UGX", "INR", "BHD", "JPY", "ETB"]
AMOUNTS = [
    Decimal("0"),
    Decimal("-0.001"),  # rounds to -0.00 (USD), which Babel writes "-$0.00"
    Decimal("0.001"),
    Decimal("1092.5"),
    Decimal("1092.50"),
    Decimal("-1092.505"),
    Decimal("250001"),
    250001,
    Decimal("99999999999999"),
    Decimal("0.0005"),
]


@pytest.mark.parametrize("locale", [*LOCALES, "en_IN", "de_CH"])
def test_numbers_read_as_babel_writes_them_in_every_locale(locale: str) -> None:
    for _ in range(2):  # once into the memo, once out of it
        for pattern in PATTERNS:
            for value in NUMBERS:
                expected = format_decimal(value, format=pattern, locale=locale)
                assert formatted_decimal(value, pattern, locale) == expected, (value, pattern, locale)


@pytest.mark.parametrize("locale", [*LOCALES, "en_IN"])
def test_money_reads_as_babel_writes_it_in_every_locale_and_currency(locale: str) -> None:
    for _ in range(2):
        for currency in CURRENCIES:
            for amount in AMOUNTS:
                rounded = money.round_money(amount, currency)
                symbol = format_currency(rounded, currency, locale=locale, currency_digits=True)
                bare = format_currency(rounded, currency, format="#,##0.##", locale=locale, currency_digits=True)
                assert format_money(amount, currency, locale) == symbol, (amount, currency, locale)
                assert format_amount(amount, currency, locale) == bare, (amount, currency, locale)


def test_dates_numbers_and_countries_follow_the_locale_in_force_inside_one_request(app: Flask) -> None:
    day = dt.date(2026, 11, 29)
    moment = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    with app.test_request_context("/?lang=fr"):
        for _ in range(2):
            assert current_locale() == "fr"
            assert format_number(12345) == format_decimal(12345, locale="fr")
            assert format_day(day) == format_date(day, locale="fr")
            assert format_day(day, "full") == format_date(day, "full", locale="fr")
            assert format_moment(moment) == format_datetime(moment, tzinfo=dt.UTC, locale="fr")
            assert country_name("KE") == Locale.parse("fr").territories["KE"]
            with force_locale("sw"):  # an e-mail in its reader's language, in the middle of a French page
                assert current_locale() == "sw"
                assert format_number(12345) == format_decimal(12345, locale="sw")
                assert format_day(day, "long") == format_date(day, "long", locale="sw")
                assert country_name("KE") == Locale.parse("sw").territories["KE"]
            assert current_locale() == "fr"
            assert format_day(day, "long") == format_date(day, "long", locale="fr")
    with app.test_request_context("/"):
        assert current_locale() == "en"
        assert country_name("US") == "United States"
        assert format_number(12345) == "12,345"


def _babel_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route every remembered formatter straight to Babel, parsing the locale on each call, as before issue 19's memos."""
    monkeypatch.setattr(
        i18n, "formatted_decimal", lambda value, pattern, locale: format_decimal(value, format=pattern, locale=locale)
    )
    monkeypatch.setattr(i18n, "_formatted_day", lambda value, pattern, locale: format_date(value, format=pattern, locale=locale))
    monkeypatch.setattr(
        money,
        "_formatted",
        lambda rounded, code, pattern, locale: format_currency(
            Decimal(rounded), code, format=pattern, locale=locale, currency_digits=True
        ),
    )
    monkeypatch.setattr(countries, "_country_name", countries._country_name.__wrapped__)


def _pages(client: FlaskClient, paths: list[str]) -> dict[tuple[str, str], str]:
    pages = {}
    for locale in LOCALES:
        for path in paths:
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={locale}")
            assert response.status_code == 200, (path, locale)
            # a form's one-time values differ on every render
            pages[locale, path] = re.sub(r'(name="(?:csrf_token|submission)"[^>]*value=")[^"]*', r"\1", response.text)
    return pages


def test_pages_in_every_locale_are_the_same_with_the_memos_as_with_babel_called_directly(
    app: Flask, session: Session, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)  # fresh pages, as a signed-in visitor gets them
    group = factories.producer_group(session, artisan_count=1250, city="Machakos", region="Eastern", verified=True)
    factories.capability(session, group, moq=1200, price_min=Decimal("0.5"), price_max=Decimal("1250.75"))
    factories.capability(
        session, group, category="textiles.scarves", currency="UGX", price_min=Decimal("2500.4"), price_max=Decimal("1000000")
    )
    other = factories.producer_group(session, country="UG", artisan_count=0)
    factories.capability(session, other, currency="BHD", price_min=Decimal("1.0005"), price_max=Decimal("12.3456"))
    paths = ["/", f"/groups/{group.slug}", f"/groups/{other.slug}", "/groups", "/api/v1/groups"]
    remembered = _pages(client, paths)
    again = _pages(client, paths)  # out of the memos this time
    with monkeypatch.context() as patch:
        _babel_directly(patch)
        direct = _pages(client, paths)
    assert direct["fr", f"/groups/{group.slug}"] != direct["en", f"/groups/{group.slug}"]
    for key, page in direct.items():
        assert remembered[key] == page, key
        assert again[key] == page, key
