"""The fixed vocabularies of handmade goods: a two-level category tree, certifications, reference lists."""

from __future__ import annotations

from dataclasses import dataclass

import pycountry

from marketplace.countries import country_choices, country_name  # noqa: F401  (re-exported: the taxonomy's words for places)
from marketplace.money import UnknownCurrency, currency_code


@dataclass(frozen=True)
class Category:
    code: str  # "baskets.storage"
    name: str
    parent: str | None  # the top-level code, None for a top-level category

    @property
    def label(self) -> str:
        """Name the category for a person, under its parent ("Home › Baskets")."""
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
        ("bedding", "Bedding & quilts"),
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
        ("hair", "Hair accessories"),
    ],
    ("home", "Home decor"): [
        ("ceramics", "Ceramics & pottery"),
        ("woodcraft", "Carved wood"),
        ("metalwork", "Metalwork & recycled brass"),
        ("candles", "Candles & holders"),
        ("wall-art", "Wall art & hangings"),
        ("lighting", "Lamps & lighting"),
        ("decor", "Vases & decorative objects"),
        ("mirrors", "Mirrors & frames"),
        ("garden", "Garden & outdoor decor"),
    ],
    ("furniture", "Furniture"): [
        ("seating", "Chairs, stools & benches"),
        ("tables", "Side & coffee tables"),
        ("storage", "Cabinets, shelves & chests"),
        ("poufs", "Poufs & floor cushions"),
        ("outdoor", "Outdoor furniture"),
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
        ("baby", "Baby & nursery"),
    ],
    ("pets", "Pet products"): [
        ("beds", "Pet beds & baskets"),
        ("toys", "Pet toys"),
        ("collars", "Collars, leads & harnesses"),
        ("bowls", "Pet bowls & feeders"),
    ],
    ("food", "Food & agriculture"): [
        ("coffee-tea", "Coffee & tea"),
        ("spices", "Spices & herbs"),
        ("honey", "Honey"),
        ("preserves", "Dried fruit & preserves"),
        ("chocolate", "Chocolate & sweets"),
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
    name: str  # the scheme's official name
    issuer: str  # who certifies, or keeps the register an operator checks a claim against
    url: str  # the issuer's site (its public register, where there is one)
    aliases: tuple[str, ...] = ()  # other ways spreadsheets name it (matched ignoring case)


# The schemes buyers of handmade goods ask about; an operator can check each against its issuer's
# register. Anything else a group holds is an "other" claim (OTHER_CLAIM): shown as self-declared
# and never counted as verified.
CERTIFICATION_SCHEMES: dict[str, CertificationScheme] = {
    s.code: s
    for s in (
        CertificationScheme("wfto", "WFTO Guaranteed Fair Trade", "World Fair Trade Organization", "https://wfto.com/", ("World Fair Trade Organization", "WFTO Guaranteed")),
        CertificationScheme("fairtrade", "Fairtrade International", "Fairtrade International (FLOCERT)", "https://www.fairtrade.net/", ("Fairtrade", "FLO", "FLOCERT")),
        CertificationScheme("fairtrade-textile", "Fairtrade Textile Standard", "Fairtrade International (FLOCERT)", "https://www.fairtrade.net/"),
        CertificationScheme("fair-trade-usa", "Fair Trade Certified (Fair Trade USA)", "Fair Trade USA", "https://www.fairtradecertified.org/", ("Fair Trade USA", "Fair Trade Certified")),
        CertificationScheme("fair-trade-federation", "Fair Trade Federation member", "Fair Trade Federation", "https://www.fairtradefederation.org/", ("Fair Trade Federation", "FTF")),
        CertificationScheme("fair-for-life", "Fair for Life", "Ecocert", "https://www.fairforlife.org/"),
        CertificationScheme("goodweave", "GoodWeave", "GoodWeave International", "https://goodweave.org/"),
        CertificationScheme("fair-wear", "Fair Wear member", "Fair Wear Foundation", "https://www.fairwear.org/", ("Fair Wear Foundation",)),
        CertificationScheme("sa8000", "SA8000", "Social Accountability International", "https://sa-intl.org/programs/sa8000/", ("SA 8000",)),
        CertificationScheme("amfori-bsci", "amfori BSCI", "amfori", "https://www.amfori.org/", ("BSCI",)),
        CertificationScheme("smeta", "Sedex SMETA audit", "Sedex", "https://www.sedex.com/", ("SMETA", "Sedex")),
        CertificationScheme("gots", "GOTS (Global Organic Textile Standard)", "Global Standard gGmbH", "https://global-standard.org/", ("Global Organic Textile Standard",)),
        CertificationScheme("organic", "Organic (EU / USDA NOP)", "EU organic regulation / USDA National Organic Program", "https://www.ams.usda.gov/about-ams/programs-offices/national-organic-program", ("USDA Organic", "EU Organic")),
        CertificationScheme("oeko-tex", "OEKO-TEX Standard 100", "OEKO-TEX Association", "https://www.oeko-tex.com/", ("OEKO-TEX", "Oeko Tex Standard 100")),
        CertificationScheme("grs", "Global Recycled Standard (GRS)", "Textile Exchange", "https://textileexchange.org/", ("Global Recycled Standard",)),
        CertificationScheme("lwg", "Leather Working Group (LWG)", "Leather Working Group", "https://www.leatherworkinggroup.com/", ("Leather Working Group",)),
        CertificationScheme("fsc", "FSC (Forest Stewardship Council)", "Forest Stewardship Council", "https://fsc.org/", ("Forest Stewardship Council",)),
        CertificationScheme("rainforest-alliance", "Rainforest Alliance Certified", "Rainforest Alliance", "https://www.rainforest-alliance.org/", ("Rainforest Alliance",)),
        CertificationScheme("craftmark", "Craftmark (India)", "All India Artisans and Craftworkers Welfare Association (AIACA)", "https://www.aiacaonline.org/", ("Craftmark",)),
        CertificationScheme("handloom-mark", "Handloom Mark (India)", "Textiles Committee, Ministry of Textiles, Government of India", "https://textilescommittee.nic.in/", ("Handloom Mark",)),
        CertificationScheme("india-handloom", "India Handloom Brand", "Ministry of Textiles, Government of India", "https://www.indiahandloombrand.gov.in/"),
        CertificationScheme("b-corp", "Certified B Corporation", "B Lab", "https://www.bcorporation.net/", ("B Corp", "B Corporation")),
        CertificationScheme("nest-ethical-handcraft", "Nest Ethical Handcraft", "Nest", "https://www.buildanest.org/", ("Nest", "Nest Seal of Ethical Handcraft")),
    )
}  # fmt: skip

OTHER_CLAIM = "other"  # Certification.scheme of a claim outside the list: its own name, self-declared, never verified


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_SCHEME_NAMES: dict[str, str] = {
    _key(text): s.code for s in CERTIFICATION_SCHEMES.values() for text in (s.code, s.name, *s.aliases)
}


def scheme_code(text: str) -> str | None:
    """The scheme `text` names (its code, official name or a common alias, any case), or None."""
    return _SCHEME_NAMES.get(_key(text))


CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "KES", "INR", "GTQ", "ETB", "PEN", "GHS", "BDT", "UGX", "TZS")


def is_country(code: str) -> bool:
    """Tell whether `code` is an ISO 3166-1 alpha-2 country code (any case)."""
    return pycountry.countries.get(alpha_2=code.upper()) is not None


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency (the same CLDR data `marketplace.money` rounds by)."""
    try:
        currency_code(code)
    except UnknownCurrency:
        return False
    return True
