"""Words shared by pages of every blueprint: counts with their plural noun, in the viewer's locale."""
from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal

VIEWER_LOCALE = "en"  # every page is English until the translation layer (issue 16) picks the viewer's locale


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """Say how many, in the viewer's locale and with the noun's plural form: `{{ n|count("product") }}` → "1 product", "1,200 products"."""
    noun = singular if Locale.parse(VIEWER_LOCALE).plural_form(number) == "one" else (plural or f"{singular}s")
    return f"{format_decimal(number, locale=VIEWER_LOCALE)} {noun}"
