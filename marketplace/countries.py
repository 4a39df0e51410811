"""Countries by their ISO 3166-1 alpha-2 codes, named as people say them (pycountry's common names)."""
from __future__ import annotations

from functools import cache

import pycountry


def country_name(code: str) -> str:
    """Name the country of a two-letter code (any case): its common name, else its official one, else the code itself."""
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or country.name if country else code


@cache
def country_choices() -> list[tuple[str, str]]:
    """List every country as (alpha-2 code, name), sorted by name: the choices of a country field."""
    return sorted(((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries), key=lambda c: c[1])
