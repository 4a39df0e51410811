"""The fixed vocabularies of handmade goods: a two-level category tree, certifications, reference lists."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry
from babel import Locale

from marketplace.i18n import current_locale
from marketplace.money import UnknownCurrency, currency_code


@dataclass(frozen=True)
class Category:
    code: str  # "baskets.storage"
    name: str
    parent: str | None  # the top-level code, None for a top-level category

    @property
    def label(self) -> str:
        return f"{CATEGORIES[self.parent].name} › {self.name}" if self.parent else self.name


# Modelled on the departments wholesale marketplaces for handmade goods use (Faire, Etsy Wholesale,
# fair-trade importers' catalogues), narrowed to what producer groups of home-based artisans make.
_TREE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("jewelry", "Jewelry"): [
        ("necklaces", "Necklaces & pendants"),
        ("earrings", "Earrings"),
        ("bracelets", "Bracelets & bangles"),
        ("rings", "Rings"),
        ("beadwork", "Beadwork & beaded jewelry"),
    ],
    ("baskets", "Baskets"): [
        ("storage", "Storage & laundry baskets"),
        ("market", "Market baskets & totes"),
        ("wall", "Wall baskets & plates"),
        ("trays", "Trays & bread baskets"),
        ("planters", "Planters & plant baskets"),
    ],
    ("textiles", "Textiles"): [
        ("scarves", "Scarves & shawls"),
        ("throws", "Throws & blankets"),
        ("cushions", "Cushion covers"),
        ("table", "Table linen & napkins"),
        ("rugs", "Rugs & floor mats"),
        ("fabric", "Handwoven fabric by the metre"),
        ("embroidery", "Embroidery & appliqué"),
    ],
    ("apparel", "Apparel"): [
        ("knitwear", "Knitwear"),
        ("garments", "Garments"),
        ("kids", "Children's clothing"),
        ("footwear", "Footwear & sandals"),
    ],
    ("bags", "Bags & accessories"): [
        ("totes", "Tote & shopping bags"),
        ("pouches", "Pouches & clutches"),
        ("leather", "Leather goods"),
        ("hats", "Hats"),
    ],
    ("home", "Home decor"): [
        ("ceramics", "Ceramics & pottery"),
        ("woodcraft", "Carved wood"),
        ("metalwork", "Metalwork & recycled brass"),
        ("candles", "Candles & holders"),
        ("wall-art", "Wall art & hangings"),
        ("lighting", "Lamps & lighting"),
    ],
    ("kitchen", "Kitchen & dining"): [
        ("tableware", "Tableware & bowls"),
        ("utensils", "Utensils & boards"),
        ("glassware", "Recycled glassware"),
    ],
    ("personal-care", "Personal care"): [
        ("soap", "Soap"),
        ("butters", "Shea butter & balms"),
        ("oils", "Oils & serums"),
        ("cosmetics", "Natural cosmetics"),
    ],
    ("toys", "Toys & gifts"): [
        ("toys", "Toys & dolls"),
        ("ornaments", "Ornaments & seasonal decor"),
        ("stationery", "Paper & stationery"),
    ],
    ("food", "Food & agriculture"): [
        ("coffee-tea", "Coffee & tea"),
        ("spices", "Spices & herbs"),
        ("honey", "Honey"),
        ("preserves", "Dried fruit & preserves"),
    ],
}

CATEGORIES: dict[str, Category] = {}
for (_top, _top_name), _children in _TREE.items():
    CATEGORIES[_top] = Category(_top, _top_name, None)
    for _child, _child_name in _children:
        CATEGORIES[f"{_top}.{_child}"] = Category(f"{_top}.{_child}", _child_name, _top)

LEAF_CATEGORIES: tuple[Category, ...] = tuple(c for c in CATEGORIES.values() if c.parent is not None)
TOP_CATEGORIES: tuple[Category, ...] = tuple(c for c in CATEGORIES.values() if c.parent is None)


def category_choices() -> list[tuple[str, str, str]]:
    """(code, name, top-level name) for a grouped <select>: one optgroup per top-level category."""
    return [(c.code, c.name, CATEGORIES[c.parent].name) for c in LEAF_CATEGORIES if c.parent]


@dataclass(frozen=True)
class CertificationScheme:
    code: str
    name: str


CERTIFICATION_SCHEMES: dict[str, CertificationScheme] = {
    s.code: s
    for s in (
        CertificationScheme("wfto", "WFTO Guaranteed Fair Trade"),
        CertificationScheme("fairtrade", "Fairtrade International"),
        CertificationScheme("fair-trade-usa", "Fair Trade USA"),
        CertificationScheme("fair-trade-federation", "Fair Trade Federation member"),
        CertificationScheme("gots", "GOTS (Global Organic Textile Standard)"),
        CertificationScheme("organic", "Organic (EU / USDA NOP)"),
        CertificationScheme("oeko-tex", "OEKO-TEX Standard 100"),
        CertificationScheme("fsc", "FSC (Forest Stewardship Council)"),
        CertificationScheme("rainforest-alliance", "Rainforest Alliance"),
        CertificationScheme("craftmark", "Craftmark (India)"),
        CertificationScheme("handloom-mark", "Handloom Mark (India)"),
        CertificationScheme("b-corp", "Certified B Corporation"),
        CertificationScheme("nest-ethical-handcraft", "Nest Ethical Handcraft"),
    )
}

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "KES", "INR", "GTQ", "ETB", "PEN", "GHS", "BDT", "UGX", "TZS")


def is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code.upper()) is not None


def country_name(code: str) -> str:
    """Return the country's name in the locale in force (CLDR through Babel), else its English name, else the code."""
    locale = current_locale()
    territories = Locale.parse(locale).territories if locale != "en" else {}  # English keeps pycountry's common names
    if code and code.upper() in territories:
        return territories[code.upper()]
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or country.name if country else code


def country_choices() -> list[tuple[str, str]]:
    """Return (ISO 3166 code, name) for every country, named and sorted for the locale in force."""
    return _country_choices(current_locale())


@cache
def _country_choices(locale: str) -> list[tuple[str, str]]:
    territories = Locale.parse(locale).territories if locale != "en" else {}
    named = ((c.alpha_2, territories.get(c.alpha_2) or getattr(c, "common_name", c.name)) for c in pycountry.countries)
    return sorted(named, key=lambda c: c[1] if locale == "en" else c[1].casefold())


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency (the same CLDR data `marketplace.money` rounds by)."""
    try:
        currency_code(code)
    except UnknownCurrency:
        return False
    return True
