"""The fixed vocabularies of handmade goods: a two-level category tree, certifications, reference lists."""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
from flask_babel import LazyString

from marketplace.countries import country_choices, country_name  # noqa: F401  (re-exported: the taxonomy's words for places)
from marketplace.i18n import N_, catalog_memo, translate
from marketplace.money import UnknownCurrency, currency_code

_LABELS = "_loom_category_labels"  # categories' labels, kept on each catalog


@dataclass(frozen=True)
class Category:
    code: str  # "baskets.storage"
    name: str  # in English: the data's word (search documents, the API), translated where people read it
    parent: str | None  # the top-level code, None for a top-level category

    @property
    def title(self) -> str:
        """Return the category's name in the language in force ("Baskets" → "Vikapu" in Swahili)."""
        return translate(self.name)

    @property
    def label(self) -> str:
        """Return "Department › Category" in the language in force, for pages and e-mails (remembered per catalog: a search
        page names a category for each match and each facet value)."""
        labels = catalog_memo(_LABELS)
        text = labels.get(self.code)
        if text is None:
            text = labels[self.code] = f"{CATEGORIES[self.parent].title} › {self.title}" if self.parent else self.title
        return text

    @property
    def english_label(self) -> str:
        """Return "Department › Category" in English: the label kept in search documents and the API."""
        return f"{CATEGORIES[self.parent].name} › {self.name}" if self.parent else self.name


# Modelled on the departments wholesale marketplaces for handmade goods use (Faire, Etsy Wholesale,
# fair-trade importers' catalogues), narrowed to what producer groups of home-based artisans make.
_TREE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("jewelry", N_("Jewelry")): [
        ("necklaces", N_("Necklaces & pendants")),
        ("earrings", N_("Earrings")),
        ("bracelets", N_("Bracelets & bangles")),
        ("rings", N_("Rings")),
        ("beadwork", N_("Beadwork & beaded jewelry")),
    ],
    ("baskets", N_("Baskets")): [
        ("storage", N_("Storage & laundry baskets")),
        ("market", N_("Market baskets & totes")),
        ("wall", N_("Wall baskets & plates")),
        ("trays", N_("Trays & bread baskets")),
        ("planters", N_("Planters & plant baskets")),
    ],
    ("textiles", N_("Textiles")): [
        ("scarves", N_("Scarves & shawls")),
        ("throws", N_("Throws & blankets")),
        ("cushions", N_("Cushion covers")),
        ("table", N_("Table linen & napkins")),
        ("rugs", N_("Rugs & floor mats")),
        ("fabric", N_("Handwoven fabric by the metre")),
        ("embroidery", N_("Embroidery & appliqué")),
        ("bedding", N_("Bedding & quilts")),
    ],
    ("apparel", N_("Apparel")): [
        ("knitwear", N_("Knitwear")),
        ("garments", N_("Garments")),
        ("kids", N_("Children's clothing")),
        ("footwear", N_("Footwear & sandals")),
    ],
    ("bags", N_("Bags & accessories")): [
        ("totes", N_("Tote & shopping bags")),
        ("pouches", N_("Pouches & clutches")),
        ("leather", N_("Leather goods")),
        ("hats", N_("Hats")),
        ("hair", N_("Hair accessories")),
    ],
    ("home", N_("Home decor")): [
        ("ceramics", N_("Ceramics & pottery")),
        ("woodcraft", N_("Carved wood")),
        ("metalwork", N_("Metalwork & recycled brass")),
        ("candles", N_("Candles & holders")),
        ("wall-art", N_("Wall art & hangings")),
        ("lighting", N_("Lamps & lighting")),
        ("decor", N_("Vases & decorative objects")),
        ("mirrors", N_("Mirrors & frames")),
        ("garden", N_("Garden & outdoor decor")),
    ],
    ("furniture", N_("Furniture")): [
        ("seating", N_("Chairs, stools & benches")),
        ("tables", N_("Side & coffee tables")),
        ("storage", N_("Cabinets, shelves & chests")),
        ("poufs", N_("Poufs & floor cushions")),
        ("outdoor", N_("Outdoor furniture")),
    ],
    ("kitchen", N_("Kitchen & dining")): [
        ("tableware", N_("Tableware & bowls")),
        ("utensils", N_("Utensils & boards")),
        ("glassware", N_("Recycled glassware")),
    ],
    ("personal-care", N_("Personal care")): [
        ("soap", N_("Soap")),
        ("butters", N_("Shea butter & balms")),
        ("oils", N_("Oils & serums")),
        ("cosmetics", N_("Natural cosmetics")),
    ],
    ("toys", N_("Toys & gifts")): [
        ("toys", N_("Toys & dolls")),
        ("ornaments", N_("Ornaments & seasonal decor")),
        ("stationery", N_("Paper & stationery")),
        ("baby", N_("Baby & nursery")),
    ],
    ("pets", N_("Pet products")): [
        ("beds", N_("Pet beds & baskets")),
        ("toys", N_("Pet toys")),
        ("collars", N_("Collars, leads & harnesses")),
        ("bowls", N_("Pet bowls & feeders")),
    ],
    ("food", N_("Food & agriculture")): [
        ("coffee-tea", N_("Coffee & tea")),
        ("spices", N_("Spices & herbs")),
        ("honey", N_("Honey")),
        ("preserves", N_("Dried fruit & preserves")),
        ("chocolate", N_("Chocolate & sweets")),
    ],
}

CATEGORIES: dict[str, Category] = {}
for (_top, _top_name), _children in _TREE.items():
    CATEGORIES[_top] = Category(_top, _top_name, None)
    for _child, _child_name in _children:
        CATEGORIES[f"{_top}.{_child}"] = Category(f"{_top}.{_child}", _child_name, _top)

LEAF_CATEGORIES: tuple[Category, ...] = tuple(c for c in CATEGORIES.values() if c.parent is not None)
TOP_CATEGORIES: tuple[Category, ...] = tuple(c for c in CATEGORIES.values() if c.parent is None)


def lazy_category(code: str) -> LazyString:
    """Return the category's label in whichever language is in force when it is turned into text (for e-mails)."""
    return LazyString(lambda: CATEGORIES[code].label if code in CATEGORIES else code)


def lazy_country(code: str) -> LazyString:
    """Return the country's name in whichever language is in force when it is turned into text (for e-mails)."""
    return LazyString(lambda: country_name(code))


def category_choices() -> list[tuple[str, str, str]]:
    """(code, name, top-level name) for a grouped <select>, in the language in force: one optgroup per department."""
    return [(c.code, c.title, CATEGORIES[c.parent].title) for c in LEAF_CATEGORIES if c.parent]


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
        CertificationScheme(
            "wfto",
            "WFTO Guaranteed Fair Trade",
            "World Fair Trade Organization",
            "https://wfto.com/",
            ("World Fair Trade Organization", "WFTO Guaranteed"),
        ),
        CertificationScheme(
            "fairtrade",
            "Fairtrade International",
            "Fairtrade International (FLOCERT)",
            "https://www.fairtrade.net/",
            ("Fairtrade", "FLO", "FLOCERT"),
        ),
        CertificationScheme(
            "fairtrade-textile", "Fairtrade Textile Standard", "Fairtrade International (FLOCERT)", "https://www.fairtrade.net/"
        ),
        CertificationScheme(
            "fair-trade-usa",
            "Fair Trade Certified (Fair Trade USA)",
            "Fair Trade USA",
            "https://www.fairtradecertified.org/",
            ("Fair Trade USA", "Fair Trade Certified"),
        ),
        CertificationScheme(
            "fair-trade-federation",
            "Fair Trade Federation member",
            "Fair Trade Federation",
            "https://www.fairtradefederation.org/",
            ("Fair Trade Federation", "FTF"),
        ),
        CertificationScheme("fair-for-life", "Fair for Life", "Ecocert", "https://www.fairforlife.org/"),
        CertificationScheme("goodweave", "GoodWeave", "GoodWeave International", "https://goodweave.org/"),
        CertificationScheme(
            "fair-wear", "Fair Wear member", "Fair Wear Foundation", "https://www.fairwear.org/", ("Fair Wear Foundation",)
        ),
        CertificationScheme(
            "sa8000", "SA8000", "Social Accountability International", "https://sa-intl.org/programs/sa8000/", ("SA 8000",)
        ),
        CertificationScheme("amfori-bsci", "amfori BSCI", "amfori", "https://www.amfori.org/", ("BSCI",)),
        CertificationScheme("smeta", "Sedex SMETA audit", "Sedex", "https://www.sedex.com/", ("SMETA", "Sedex")),
        CertificationScheme(
            "gots",
            "GOTS (Global Organic Textile Standard)",
            "Global Standard gGmbH",
            "https://global-standard.org/",
            ("Global Organic Textile Standard",),
        ),
        CertificationScheme(
            "organic",
            "Organic (EU / USDA NOP)",
            "EU organic regulation / USDA National Organic Program",
            "https://www.ams.usda.gov/about-ams/programs-offices/national-organic-program",
            ("USDA Organic", "EU Organic"),
        ),
        CertificationScheme(
            "oeko-tex",
            "OEKO-TEX Standard 100",
            "OEKO-TEX Association",
            "https://www.oeko-tex.com/",
            ("OEKO-TEX", "Oeko Tex Standard 100"),
        ),
        CertificationScheme(
            "grs",
            "Global Recycled Standard (GRS)",
            "Textile Exchange",
            "https://textileexchange.org/",
            ("Global Recycled Standard",),
        ),
        CertificationScheme(
            "lwg",
            "Leather Working Group (LWG)",
            "Leather Working Group",
            "https://www.leatherworkinggroup.com/",
            ("Leather Working Group",),
        ),
        CertificationScheme(
            "fsc",
            "FSC (Forest Stewardship Council)",
            "Forest Stewardship Council",
            "https://fsc.org/",
            ("Forest Stewardship Council",),
        ),
        CertificationScheme(
            "rainforest-alliance",
            "Rainforest Alliance Certified",
            "Rainforest Alliance",
            "https://www.rainforest-alliance.org/",
            ("Rainforest Alliance",),
        ),
        CertificationScheme(
            "craftmark",
            "Craftmark (India)",
            "All India Artisans and Craftworkers Welfare Association (AIACA)",
            "https://www.aiacaonline.org/",
            ("Craftmark",),
        ),
        CertificationScheme(
            "handloom-mark",
            "Handloom Mark (India)",
            "Textiles Committee, Ministry of Textiles, Government of India",
            "https://textilescommittee.nic.in/",
            ("Handloom Mark",),
        ),
        CertificationScheme(
            "india-handloom",
            "India Handloom Brand",
            "Ministry of Textiles, Government of India",
            "https://www.indiahandloombrand.gov.in/",
        ),
        CertificationScheme(
            "b-corp", "Certified B Corporation", "B Lab", "https://www.bcorporation.net/", ("B Corp", "B Corporation")
        ),
        CertificationScheme(
            "nest-ethical-handcraft",
            "Nest Ethical Handcraft",
            "Nest",
            "https://www.buildanest.org/",
            ("Nest", "Nest Seal of Ethical Handcraft"),
        ),
    )
}

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


# Materials groups make things from and buyers ask for, one canonical word each (search.materials
# recognises them through stemming, plurals and the spellings below; a material not listed is still
# searchable as text and as the group typed it).
MATERIALS: tuple[str, ...] = (
    "sisal",
    "jute",
    "raffia",
    "seagrass",
    "sweetgrass",
    "palm",
    "banana",
    "papyrus",
    "rattan",
    "wicker",
    "bamboo",
    "willow",
    "straw",
    "hemp",
    "cotton",
    "linen",
    "silk",
    "wool",
    "alpaca",
    "cashmere",
    "mohair",
    "yak",
    "felt",
    "leather",
    "suede",
    "wood",
    "teak",
    "mango",
    "olive",
    "walnut",
    "brass",
    "copper",
    "silver",
    "gold",
    "bronze",
    "tin",
    "iron",
    "glass",
    "clay",
    "terracotta",
    "porcelain",
    "stoneware",
    "soapstone",
    "beeswax",
    "cork",
    "coconut",
    "kenaf",
    "abaca",
    "coir",
)
# Other ways of writing a material (British/American, split or hyphenated words, trade names), to its word above.
MATERIAL_SPELLINGS: dict[str, str] = {
    "woollen": "wool",
    "woolen": "wool",
    "lambswool": "wool",
    "merino": "wool",
    "rafia": "raffia",
    "sea grass": "seagrass",
    "sweet grass": "sweetgrass",
    "terra cotta": "terracotta",
    "soap stone": "soapstone",
    "stone ware": "stoneware",
    "bees wax": "beeswax",
    "hessian": "jute",
    "burlap": "jute",
    "coconut fibre": "coir",
    "coconut fiber": "coir",
    "manila hemp": "abaca",
    "palm leaf": "palm",
    "banana leaf": "banana",
    "banana fibre": "banana",
    "banana fiber": "banana",
    "flax": "linen",
    "sterling silver": "silver",
}
