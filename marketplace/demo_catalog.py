"""Where producer groups are and what they make there: the ground truth the demo generator draws from.

Each craft is a real pairing of place, material and technique (Machakos sisal baskets, Bolgatanga
elephant-grass baskets, Tamale shea butter, Sololá backstrap weaving, Puno alpaca knitwear, …).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Craft:
    category: str
    noun: str  # for group names: "Sisal Weavers"
    materials: tuple[str, ...]
    techniques: tuple[str, ...]
    price: tuple[float, float]  # indicative USD unit price range
    moq: tuple[int, ...]
    lead_time: tuple[int, int]  # days
    per_artisan_week: float  # units one artisan makes in a week
    product: str  # catalog title stem
    certifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class Place:
    country: str
    region: str
    city: str
    lat: float
    lon: float
    languages: tuple[str, ...]
    crafts: tuple[Craft, ...]


BASKET_SISAL = Craft(
    "baskets.storage",
    "Sisal Weavers",
    ("sisal", "cotton thread", "natural dye"),
    ("coiling", "twining"),
    (8, 28),
    (50, 100, 200),
    (21, 45),
    3,
    "Sisal storage basket",
    ("wfto", "fair-trade-federation"),
)
BASKET_MARKET = Craft(
    "baskets.market",
    "Kiondo Makers",
    ("sisal", "leather"),
    ("twining",),
    (12, 35),
    (50, 100),
    (30, 50),
    2,
    "Kiondo market bag",
    ("wfto",),
)
BOLGA = Craft(
    "baskets.market",
    "Bolga Basket Weavers",
    ("elephant grass", "leather"),
    ("plaiting",),
    (14, 40),
    (30, 60, 120),
    (30, 60),
    2,
    "Bolga market basket",
    ("fairtrade", "wfto"),
)
AGASEKE = Craft(
    "baskets.wall",
    "Agaseke Weavers",
    ("sisal", "sweetgrass", "natural dye"),
    ("coiling",),
    (10, 45),
    (30, 50),
    (30, 60),
    1.5,
    "Agaseke wall plate",
    ("wfto",),
)
HOGLA = Craft(
    "baskets.planters",
    "Hogla Basket Makers",
    ("hogla grass", "jute"),
    ("plaiting", "braiding"),
    (5, 18),
    (100, 200, 500),
    (30, 45),
    6,
    "Hogla planter basket",
    ("fair-trade-federation",),
)
BRASS = Craft(
    "jewelry.necklaces",
    "Brass Artisans",
    ("recycled brass", "bone", "horn"),
    ("lost-wax casting", "hammering"),
    (6, 30),
    (100, 200),
    (14, 35),
    12,
    "Recycled brass pendant",
    ("fair-trade-federation",),
)
EARRINGS = Craft(
    "jewelry.earrings",
    "Jewelry Collective",
    ("recycled brass", "glass beads"),
    ("wire wrapping", "hammering"),
    (4, 18),
    (100, 300),
    (14, 30),
    20,
    "Hammered brass earrings",
)
BEADS = Craft(
    "jewelry.beadwork",
    "Beadwork Women",
    ("glass beads", "leather"),
    ("bead embroidery", "stringing"),
    (3, 25),
    (100, 250),
    (14, 30),
    15,
    "Beaded bracelet",
    ("wfto",),
)
KROBO = Craft(
    "jewelry.bracelets",
    "Krobo Bead Makers",
    ("recycled glass", "powder glass beads"),
    ("bead casting", "stringing"),
    (2, 15),
    (200, 500),
    (14, 35),
    25,
    "Recycled glass bead bracelet",
    ("wfto",),
)
BACKSTRAP = Craft(
    "textiles.scarves",
    "Backstrap Weavers",
    ("cotton", "natural dye"),
    ("backstrap weaving", "brocade"),
    (18, 60),
    (30, 50, 100),
    (30, 60),
    2,
    "Backstrap-woven scarf",
    ("wfto", "fair-trade-federation"),
)
HUIPIL = Craft(
    "textiles.cushions",
    "Textile Cooperative",
    ("cotton", "repurposed huipil"),
    ("backstrap weaving", "embroidery"),
    (15, 45),
    (50, 100),
    (30, 45),
    4,
    "Huipil cushion cover",
    ("fair-trade-federation",),
)
BLOCKPRINT = Craft(
    "textiles.table",
    "Block Printers",
    ("cotton", "natural dye", "indigo"),
    ("hand block printing", "dabu mud resist"),
    (6, 25),
    (100, 200, 500),
    (21, 45),
    30,
    "Block-printed napkin set",
    ("gots", "fair-trade-federation"),
)
ARRAIOLOS = Craft(
    "textiles.rugs",
    "Rug Embroiderers",
    ("wool", "jute canvas"),
    ("arraiolos cross stitch",),
    (90, 420),
    (5, 10, 20),
    (45, 90),
    0.3,
    "Arraiolos wool rug",
)
KANTHA = Craft(
    "textiles.throws",
    "Kantha Stitchers",
    ("recycled cotton sari", "cotton"),
    ("kantha stitching", "quilting"),
    (25, 80),
    (30, 50, 100),
    (30, 60),
    1.5,
    "Kantha throw",
    ("wfto",),
)
PASHMINA = Craft(
    "textiles.scarves",
    "Pashmina Spinners",
    ("pashmina", "wool"),
    ("hand spinning", "handloom weaving"),
    (60, 220),
    (20, 50),
    (45, 90),
    0.5,
    "Handloom pashmina shawl",
    ("craftmark",),
)
NETELA = Craft(
    "textiles.scarves",
    "Shemma Weavers",
    ("hand-spun cotton",),
    ("pit loom weaving",),
    (12, 40),
    (50, 100),
    (30, 45),
    3,
    "Netela cotton scarf",
    ("wfto",),
)
KENTE = Craft(
    "textiles.fabric",
    "Kente Weavers",
    ("cotton", "rayon"),
    ("strip weaving", "narrow loom"),
    (20, 70),
    (20, 50),
    (30, 60),
    1,
    "Kente strip cloth",
    (),
)
JUTE_RUG = Craft(
    "textiles.rugs",
    "Jute Weavers",
    ("jute", "cotton"),
    ("handloom weaving", "braiding"),
    (15, 90),
    (50, 100),
    (30, 60),
    2,
    "Braided jute rug",
    ("fair-trade-federation",),
)
JUTE_BAG = Craft(
    "bags.totes",
    "Jute Bag Makers",
    ("jute", "cotton"),
    ("sewing", "screen printing"),
    (2, 9),
    (300, 500, 1000),
    (21, 40),
    40,
    "Jute shopping tote",
    ("fair-trade-federation",),
)
ALPACA = Craft(
    "apparel.knitwear",
    "Alpaca Knitters",
    ("baby alpaca", "natural dye"),
    ("hand knitting", "crochet"),
    (25, 95),
    (30, 50, 100),
    (30, 60),
    2,
    "Hand-knit alpaca sweater",
    ("wfto", "fair-trade-federation"),
)
LEATHER = Craft(
    "bags.leather",
    "Leather Workers",
    ("vegetable-tanned leather",),
    ("hand stitching", "tooling"),
    (15, 80),
    (50, 100),
    (30, 45),
    4,
    "Leather tote",
    (),
)
SHEA = Craft(
    "personal-care.butters",
    "Shea Women's Association",
    ("shea nuts", "shea butter"),
    ("hand processing", "kneading"),
    (3, 12),
    (200, 500, 1000),
    (14, 30),
    60,
    "Raw shea butter jar",
    ("organic", "fairtrade"),
)
SOAP = Craft(
    "personal-care.soap",
    "Soap Makers",
    ("shea butter", "coconut oil", "black soap"),
    ("cold process",),
    (2, 7),
    (300, 500),
    (14, 30),
    80,
    "African black soap bar",
    ("organic",),
)
CERAMICS = Craft(
    "home.ceramics",
    "Potters",
    ("clay", "terracotta"),
    ("wheel throwing", "burnishing"),
    (6, 40),
    (50, 100, 200),
    (30, 60),
    8,
    "Burnished clay bowl",
    (),
)
SOAPSTONE = Craft(
    "home.woodcraft",
    "Soapstone Carvers",
    ("kisii soapstone",),
    ("carving", "polishing"),
    (4, 30),
    (50, 100),
    (21, 45),
    10,
    "Carved soapstone dish",
    ("fair-trade-federation",),
)
DHOKRA = Craft(
    "home.metalwork",
    "Dhokra Metal Artisans",
    ("brass", "bell metal"),
    ("lost-wax casting",),
    (10, 60),
    (30, 50),
    (30, 60),
    3,
    "Dhokra brass figurine",
    ("craftmark",),
)
COFFEE = Craft(
    "food.coffee-tea",
    "Coffee Growers",
    ("arabica coffee",),
    ("washed processing", "sun drying"),
    (6, 14),
    (100, 500),
    (14, 30),
    50,
    "Single-origin coffee, 1 kg",
    ("organic", "fairtrade", "rainforest-alliance"),
)
HONEY = Craft(
    "food.honey",
    "Beekeepers",
    ("forest honey", "beeswax"),
    ("top-bar hives",),
    (5, 12),
    (200, 500),
    (14, 30),
    40,
    "Forest honey, 500 g",
    ("organic",),
)
CANDLES = Craft(
    "home.candles",
    "Candle Makers",
    ("beeswax", "soy wax", "recycled glass"),
    ("hand pouring", "dipping"),
    (4, 18),
    (100, 200),
    (14, 30),
    30,
    "Beeswax pillar candle",
    (),
)
TOYS = Craft(
    "toys.toys",
    "Toy Makers",
    ("cotton", "felt", "wool"),
    ("felting", "hand sewing"),
    (6, 25),
    (50, 100),
    (30, 45),
    6,
    "Felted wool animal",
    (),
)
ORNAMENTS = Craft(
    "toys.ornaments",
    "Ornament Makers",
    ("felt", "wool", "glass beads"),
    ("needle felting",),
    (2, 9),
    (200, 500),
    (30, 60),
    25,
    "Felt holiday ornament",
    ("fair-trade-federation",),
)
PAPER = Craft(
    "toys.stationery",
    "Paper Makers",
    ("lokta paper", "recycled cotton"),
    ("handmade paper",),
    (2, 12),
    (100, 300),
    (21, 40),
    40,
    "Lokta paper notebook",
    ("fair-trade-federation",),
)

PLACES: tuple[Place, ...] = (
    Place("KE", "Machakos", "Machakos", -1.5177, 37.2634, ("Kamba", "Swahili", "English"), (BASKET_SISAL, BASKET_MARKET)),
    Place("KE", "Kitui", "Kitui", -1.3671, 38.0106, ("Kamba", "Swahili"), (BASKET_SISAL, HONEY)),
    Place("KE", "Nairobi", "Nairobi", -1.2921, 36.8219, ("Swahili", "English"), (BRASS, EARRINGS, LEATHER)),
    Place("KE", "Kisii", "Tabaka", -0.7800, 34.6700, ("Ekegusii", "Swahili"), (SOAPSTONE,)),
    Place("KE", "Kajiado", "Kajiado", -1.8524, 36.7768, ("Maa", "Swahili"), (BEADS,)),
    Place("GH", "Upper East", "Bolgatanga", 10.7856, -0.8514, ("Gurune", "English"), (BOLGA,)),
    Place("GH", "Northern", "Tamale", 9.4008, -0.8393, ("Dagbani", "English"), (SHEA, SOAP)),
    Place("GH", "Eastern", "Odumase Krobo", 6.1200, 0.0000, ("Krobo", "Twi", "English"), (KROBO,)),
    Place("GH", "Ashanti", "Bonwire", 6.7800, -1.4300, ("Twi", "English"), (KENTE,)),
    Place("IN", "Rajasthan", "Bagru", 26.8100, 75.5400, ("Hindi", "Rajasthani"), (BLOCKPRINT,)),
    Place("IN", "West Bengal", "Bolpur", 23.6700, 87.7200, ("Bengali",), (KANTHA, JUTE_BAG)),
    Place("IN", "Jammu and Kashmir", "Srinagar", 34.0837, 74.7973, ("Kashmiri", "Urdu"), (PASHMINA,)),
    Place("IN", "Chhattisgarh", "Kondagaon", 19.5900, 81.6600, ("Hindi", "Halbi"), (DHOKRA,)),
    Place("GT", "Sololá", "San Juan La Laguna", 14.6950, -91.2870, ("Tz'utujil", "Spanish"), (BACKSTRAP, HUIPIL)),
    Place("GT", "Quetzaltenango", "Quetzaltenango", 14.8347, -91.5180, ("K'iche'", "Spanish"), (BACKSTRAP, BEADS)),
    Place("GT", "Huehuetenango", "Todos Santos", 15.5088, -91.6050, ("Mam", "Spanish"), (COFFEE, HUIPIL)),
    Place("ET", "Addis Ababa", "Addis Ababa", 9.0300, 38.7400, ("Amharic", "English"), (NETELA, LEATHER, BRASS)),
    Place("ET", "Oromia", "Jimma", 7.6739, 36.8344, ("Oromo", "Amharic"), (COFFEE, HONEY)),
    Place("ET", "Amhara", "Bahir Dar", 11.5936, 37.3908, ("Amharic",), (NETELA, CERAMICS)),
    Place("PE", "Puno", "Puno", -15.8402, -70.0219, ("Quechua", "Aymara", "Spanish"), (ALPACA,)),
    Place("PE", "Cusco", "Chinchero", -13.3920, -72.0480, ("Quechua", "Spanish"), (ALPACA, BACKSTRAP)),
    Place("PE", "Piura", "Chulucanas", -5.0925, -80.1625, ("Spanish",), (CERAMICS,)),
    Place("BD", "Dhaka", "Dhaka", 23.8103, 90.4125, ("Bengali",), (JUTE_BAG, KANTHA)),
    Place("BD", "Rangpur", "Rangpur", 25.7439, 89.2752, ("Bengali",), (JUTE_RUG, HOGLA)),
    Place("RW", "Southern", "Huye", -2.5967, 29.7394, ("Kinyarwanda", "French", "English"), (AGASEKE,)),
    Place("NP", "Bagmati", "Kathmandu", 27.7172, 85.3240, ("Nepali",), (PAPER, ORNAMENTS, TOYS)),
    Place("UG", "Central", "Kampala", 0.3476, 32.5825, ("Luganda", "English"), (BEADS, CANDLES)),
    # A place where Stripe Connect pays groups out (most of the groups' countries are not on its list).
    Place("PT", "Évora", "Arraiolos", 38.7235, -7.9890, ("Portuguese",), (ARRAIOLOS,)),
)

ORG_WORDS = ("Cooperative", "Collective", "Association", "Self-Help Group", "Cooperative Society", "Workshop", "Guild")
NAME_PREFIXES = ("", "", "United ", "New Hope ", "Sunrise ", "Umoja ", "Mama ", "Harmony ", "Riverbank ", "Hillside ")
STORY_OPENINGS = (
    "We are {artisans} artisans from {place}, most of us working from home around our families and farms.",
    "Our group began with {founders} neighbours in {place} and today counts {artisans} artisans.",
    "In {place}, {craft} is passed from mothers to daughters; our {artisans} members keep it alive and paid fairly.",
)
STORY_MIDDLES = (
    "Each artisan works at home and brings finished pieces to our hub each week, where we check quality and pack orders.",
    "Team leaders in each village coordinate work by mobile phone, so we can take large orders without a factory.",
    "We pay per piece at agreed rates, in advance for materials, and put part of every order into a savings fund.",
)
STORY_ENDINGS = (
    "We export to shops in Europe and North America and welcome custom colours and sizes.",
    "Buyers can visit our hub; we reply to every request within two days.",
    "We are proud that {women} % of our artisans are women and many are young people learning the craft.",
)
