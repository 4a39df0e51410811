"""The words of handmade goods search knows beyond what the stemmer gives: synonyms, broader terms,
translations of product words, and the words each category's goods are called.

Plain data, read by search.analysis (synonyms, translations) and search.documents (category words).
Each entry is a pair a buyer of handmade goods would be surprised to see treated apart.
"""
from __future__ import annotations

# Words buyers use interchangeably, mapped to one canonical English word.
SYNONYMS: dict[str, str] = {
    "basketry": "basket",
    "basketwork": "basket",
    "jewellery": "jewelry",
    "jewelery": "jewelry",
    "embroidery": "embroider",
    "carpet": "rug",
    "pottery": "ceramic",
    "cushion": "pillow",
    "homeware": "home",
    "decor": "home",
    "blanket": "throw",
    "serviette": "napkin",
    "knit": "knitwear",
    "jumper": "sweater",
    "karite": "shea",
    "colour": "color",
    "woollen": "woolen",
    # Woven, handwoven: what weavers do (hand weaving is the rule among artisans, not a kind apart).
    "woven": "weave",
    "handwoven": "weave",
    "furnishings": "furniture",
    "footstool": "stool",
    "ottoman": "pouf",
    "pouffe": "pouf",
    "leash": "lead",
    "quilting": "quilt",
}

# A kind of a broader thing: a tote is a bag, but a buyer asking for totes wants totes, not every bag.
# Indexed text gets the broader word beside the word itself; a query keeps the word it was given.
BROADER: dict[str, str] = {
    "tote": "bag",
    "handbag": "bag",
    "purse": "bag",
    "pendant": "necklace",
    "bangle": "bracelet",
    "shawl": "scarf",
    "stole": "scarf",
    "wrap": "scarf",
    "mat": "rug",
    "placemat": "mat",
    "earthenware": "ceramic",
    "terracotta": "ceramic",
    "sweater": "knitwear",
    "cardigan": "knitwear",
    "handloom": "weave",  # weaving on a hand loom: "handloom" asks for that, "woven" finds it too
    "chair": "furniture",
    "stool": "furniture",
    "bench": "furniture",
    "cabinet": "furniture",
    "shelf": "furniture",
    "shelves": "furniture",
    "chest": "furniture",
    "pouf": "furniture",
    "vase": "decor",
    "figurine": "decor",
    "mirror": "decor",
    "dog": "pet",
    "cat": "pet",
    "kennel": "pet",
    "harness": "pet",
    "quilt": "bedding",
    "bedspread": "bedding",
    "kantha": "quilt",
}

# Product words in the languages buyers and groups write besides English, to the English word, every
# form listed (plurals included; Swahili nouns change their class prefix: kikapu, vikapu). Words that
# are also English words with another meaning (Spanish "collar", French "pot") are left out.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "es": {
        "cesta": "basket", "cestas": "basket", "canasta": "basket", "canastas": "basket", "cesteria": "basket",
        "bolsa": "bag", "bolsas": "bag", "bolso": "bag", "bolsos": "bag",
        "bufanda": "scarf", "bufandas": "scarf", "chal": "shawl", "chales": "shawl",
        "alfombra": "rug", "alfombras": "rug", "tapete": "rug", "tapetes": "rug",
        "manta": "throw", "mantas": "throw", "cojin": "pillow", "cojines": "pillow",
        "servilleta": "napkin", "servilletas": "napkin", "mantel": "tablecloth", "manteles": "tablecloth",
        "ceramica": "ceramic", "ceramicas": "ceramic", "alfareria": "ceramic",
        "joyeria": "jewelry", "joyas": "jewelry", "pulsera": "bracelet", "pulseras": "bracelet",
        "pendientes": "earring", "aretes": "earring", "arete": "earring", "cuentas": "bead", "chaquira": "bead",
        "lana": "wool", "algodon": "cotton", "cuero": "leather", "madera": "wood", "vidrio": "glass",
        "yute": "jute", "seda": "silk", "miel": "honey", "cafe": "coffee", "jabon": "soap", "jabones": "soap",
        "vela": "candle", "velas": "candle", "sueter": "sweater", "sueteres": "sweater", "jersey": "sweater",
        "tejido": "weave", "tejidos": "weave", "tejedoras": "weaver", "tejedores": "weaver",
        "bordado": "embroider", "bordados": "embroider", "papel": "paper", "juguete": "toy", "juguetes": "toy",
        "mueble": "furniture", "muebles": "furniture", "silla": "chair", "sillas": "chair", "taburete": "stool", "taburetes": "stool",
        "banco": "bench", "bancos": "bench", "espejo": "mirror", "espejos": "mirror", "florero": "vase", "floreros": "vase",
        "jarron": "vase", "jarrones": "vase", "mascota": "pet", "mascotas": "pet", "perro": "dog", "perros": "dog",
        "gato": "cat", "gatos": "cat", "decoracion": "decor", "colcha": "quilt", "colchas": "quilt",
    },
    "fr": {
        "panier": "basket", "paniers": "basket", "vannerie": "basket", "corbeille": "basket", "corbeilles": "basket",
        "sac": "bag", "sacs": "bag", "cabas": "tote",
        "echarpe": "scarf", "echarpes": "scarf", "foulard": "scarf", "foulards": "scarf", "chale": "shawl", "chales": "shawl",
        "tapis": "rug", "plaid": "throw", "plaids": "throw", "couverture": "throw", "couvertures": "throw",
        "coussin": "pillow", "coussins": "pillow", "serviette": "napkin", "serviettes": "napkin",
        "nappe": "tablecloth", "nappes": "tablecloth", "ceramique": "ceramic", "ceramiques": "ceramic", "poterie": "ceramic",
        "bijoux": "jewelry", "bijou": "jewelry", "collier": "necklace", "colliers": "necklace",
        "bracelets": "bracelet", "boucles": "earring", "perles": "bead", "perle": "bead",
        "laine": "wool", "coton": "cotton", "cuir": "leather", "bois": "wood", "verre": "glass", "soie": "silk",
        "miel": "honey", "savon": "soap", "savons": "soap", "bougie": "candle", "bougies": "candle",
        "pull": "sweater", "pulls": "sweater", "tricot": "knitwear", "tisse": "weave", "tissage": "weave",
        "tisserands": "weaver", "broderie": "embroider", "papier": "paper", "jouet": "toy", "jouets": "toy",
        "karite": "shea",
        "meuble": "furniture", "meubles": "furniture", "chaise": "chair", "chaises": "chair", "tabouret": "stool",
        "tabourets": "stool", "miroir": "mirror", "miroirs": "mirror", "vases": "vase", "chien": "dog", "chiens": "dog",
        "chats": "cat", "animaux": "pet", "poufs": "pouf", "courtepointe": "quilt",
    },
    "sw": {
        "kikapu": "basket", "vikapu": "basket", "kiondo": "basket", "viondo": "basket",
        "mfuko": "bag", "mifuko": "bag", "mkoba": "bag", "mikoba": "bag",
        "kitambaa": "fabric", "vitambaa": "fabric", "kanga": "fabric", "kikoi": "fabric", "kikoy": "fabric",
        "mkeka": "mat", "mikeka": "mat", "zulia": "rug", "mazulia": "rug", "blanketi": "throw", "mablanketi": "throw",
        "shanga": "bead", "mkufu": "necklace", "mikufu": "necklace", "bangili": "bracelet", "hereni": "earring",
        "pamba": "cotton", "ngozi": "leather", "mbao": "wood", "kioo": "glass", "asali": "honey", "kahawa": "coffee",
        "sabuni": "soap", "mshumaa": "candle", "mishumaa": "candle", "ufinyanzi": "ceramic", "vyungu": "ceramic",
        "chungu": "ceramic", "sufu": "wool", "mkonge": "sisal", "katani": "sisal", "karatasi": "paper",
        "samani": "furniture", "kiti": "chair", "viti": "chair", "kigoda": "stool", "vigoda": "stool",
        "mbwa": "dog", "paka": "cat", "kipenzi": "pet", "vipenzi": "pet",
    },
}

# What each category's goods are called: the words a capability of that category is found by. Not
# the display label, whose descriptive words ("handwoven", "recycled", "natural", "carved") would
# credit every group of the category with a way of making it may not use. A category missing here
# (one added to the taxonomy later) is found by its name.
CATEGORY_WORDS: dict[str, str] = {
    "jewelry": "jewelry",
    "jewelry.necklaces": "necklaces pendants",
    "jewelry.earrings": "earrings",
    "jewelry.bracelets": "bracelets bangles",
    "jewelry.rings": "rings",
    "jewelry.beadwork": "beadwork beads",
    "baskets": "baskets",
    "baskets.storage": "storage laundry baskets",
    "baskets.market": "market baskets totes",
    "baskets.wall": "wall baskets plates",
    "baskets.trays": "trays bread baskets",
    "baskets.planters": "planters plant baskets",
    "textiles": "textiles",
    "textiles.scarves": "scarves shawls",
    "textiles.throws": "throws blankets",
    "textiles.cushions": "cushion covers",
    "textiles.table": "table linen napkins tablecloths placemats",
    "textiles.rugs": "rugs floor mats",
    "textiles.fabric": "fabric cloth",
    "textiles.embroidery": "embroidery applique",
    "textiles.bedding": "bedding quilts bedspreads",
    "apparel": "apparel clothing",
    "apparel.knitwear": "knitwear",
    "apparel.garments": "garments",
    "apparel.kids": "children's clothing",
    "apparel.footwear": "footwear sandals shoes",
    "bags": "accessories",  # hats and leather goods are accessories, not bags
    "bags.totes": "tote shopping bags",
    "bags.pouches": "pouches clutches",
    "bags.leather": "leather goods",
    "bags.hats": "hats",
    "bags.hair": "hair accessories clips headbands",
    "home": "home decor",
    "home.ceramics": "ceramics",
    "home.woodcraft": "woodcraft",
    "home.metalwork": "metalwork",
    "home.candles": "candles candle holders",
    "home.wall-art": "wall art hangings",
    "home.lighting": "lamps lighting",
    "home.decor": "home decor vases decorative objects",
    "home.mirrors": "mirrors frames",
    "home.garden": "garden decor",
    "furniture": "furniture",
    "furniture.seating": "chairs stools benches",
    "furniture.tables": "side tables coffee tables",
    "furniture.storage": "cabinets shelves chests",
    "furniture.poufs": "poufs floor cushions",
    "furniture.outdoor": "outdoor furniture",
    "kitchen": "kitchen dining",
    "kitchen.tableware": "tableware bowls",
    "kitchen.utensils": "utensils boards",
    "kitchen.glassware": "glassware",
    "personal-care": "personal care",
    "personal-care.soap": "soap",
    "personal-care.butters": "butters balms",
    "personal-care.oils": "oils serums",
    "personal-care.cosmetics": "cosmetics",
    "toys": "toys gifts",
    "toys.toys": "toys dolls",
    "toys.ornaments": "ornaments seasonal decorations",
    "toys.stationery": "paper stationery",
    "toys.baby": "baby nursery",
    "pets": "pet products",
    "pets.beds": "pet beds",
    "pets.toys": "pet toys",
    "pets.collars": "dog collars leads harnesses",
    "pets.bowls": "pet bowls feeders",
    "food": "food",
    "food.coffee-tea": "coffee tea",
    "food.spices": "spices herbs",
    "food.honey": "honey",
    "food.preserves": "dried fruit preserves",
    "food.chocolate": "chocolate sweets",
}

# Words so common in any language's descriptions that they tell groups apart by nothing.
STOPWORDS = frozenset(
    # English
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "they", "this", "to", "we", "with", "you", "your", "who", "what", "which", "can", "make", "makes", "made"]
    # Spanish, French, Swahili: the articles and particles of a buyer's query
    + ["de", "del", "el", "la", "las", "los", "y", "para", "con", "en", "un", "una", "por"]
    + ["le", "les", "des", "du", "et", "pour", "avec", "une", "au", "aux"]
    + ["na", "ya", "wa", "za", "kwa", "cha", "vya"]
)
