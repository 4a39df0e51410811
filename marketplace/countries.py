"""Countries by their ISO 3166-1 alpha-2 codes, named for the locale in force (CLDR through Babel; English keeps pycountry's
common names)."""

from __future__ import annotations

from functools import cache, lru_cache

import pycountry

from marketplace.i18n import babel_locale, current_locale


def country_name(code: str) -> str:
    """Return the country's name in the locale in force (CLDR through Babel), else its English name, else the code."""
    return _country_name(code, current_locale())


@lru_cache(maxsize=4096)
def _country_name(code: str, locale: str) -> str:
    territories = babel_locale(locale).territories if locale != "en" else {}  # English keeps pycountry's common names
    if code and code.upper() in territories:
        return territories[code.upper()]
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or country.name if country else code


def country_choices() -> list[tuple[str, str]]:
    """Return (ISO 3166 code, name) for every country, named and sorted for the locale in force: a country field's choices."""
    return _country_choices(current_locale())


@cache
def _country_choices(locale: str) -> list[tuple[str, str]]:
    territories = babel_locale(locale).territories if locale != "en" else {}
    named = ((c.alpha_2, territories.get(c.alpha_2) or getattr(c, "common_name", c.name)) for c in pycountry.countries)
    return sorted(named, key=lambda c: c[1] if locale == "en" else c[1].casefold())
