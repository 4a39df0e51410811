"""Language normalisation shared by both search backends: folding, stemming, synonyms, typo rules.

Done in Python rather than in Elasticsearch analyzers because the server Loom tests against (and
many small deployments) has no analysis-common module, and because the embedded backend must behave
the same. Both backends index the output of `analyze()` and search with it.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "they", "this", "to", "we", "with", "you", "your", "who", "what", "which", "can", "make", "makes", "made"]
)

# Words buyers use interchangeably, mapped to one canonical term. Kept small and concrete: each
# pair is one a buyer of handmade goods would be surprised to see treated apart.
_SYNONYMS: dict[str, str] = {
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
}

# A kind of a broader thing: a tote is a bag, but a buyer asking for totes wants totes, not every bag.
# Indexed text gets the broader term beside the word itself; a query keeps the word it was given.
_BROADER: dict[str, str] = {
    "tote": "bag",
    "handbag": "bag",
    "purse": "bag",
    "pendant": "necklace",
    "bangle": "bracelet",
    "shawl": "scarf",
    "stole": "scarf",
    "wrap": "scarf",
    "mat": "rug",
    "earthenware": "ceramic",
    "terracotta": "ceramic",
    "sweater": "knitwear",
    "cardigan": "knitwear",
}

# A light English stemmer: plurals, -ing, -ed and a final -e, so that "printed", "printing" and "print"
# meet, as do "weave" and "weaving". Agent nouns ("weaver") stay apart. Irregular words first.
_IRREGULAR = {"knives": "knife", "leaves": "leaf", "shelves": "shelf", "scarves": "scarf", "women": "woman", "children": "child"}
_KEEP = frozenset({"earring", "string", "clothing", "wedding", "bedding", "spring", "sling"})
_VOWEL = re.compile(r"[aeiouy]")


def fold(text: str) -> str:
    """Lowercase and strip accents: "Sololá" -> "solola"."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


def stem(word: str) -> str:
    word = _singular(word)
    if word in _KEEP or word.isdigit():
        return word
    if len(word) > 5 and word.endswith("ing") and _VOWEL.search(word[:-3]):
        word = _undouble(word[:-3])
    elif len(word) > 4 and word.endswith("ed") and _VOWEL.search(word[:-2]):
        word = _undouble(word[:-2])
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


SYNONYMS: dict[str, str] = {stem(word): stem(canonical) for word, canonical in _SYNONYMS.items()}
BROADER: dict[str, str] = {SYNONYMS.get(stem(w), stem(w)): SYNONYMS.get(stem(b), stem(b)) for w, b in _BROADER.items()}


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The indexed form of one folded word (memoised: a catalogue's vocabulary is small)."""
    stemmed = stem(word)
    return SYNONYMS.get(stemmed, stemmed)


def analyze(text: str | None) -> list[str]:
    """Turn text into the terms both indexes store and queries look for."""
    if not text:
        return []
    return [term(w) for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def analyzed(*texts: str | Iterable[str] | None) -> str:
    """Join the analysed terms of several texts (or lists of texts) with spaces, ready to index;
    a word that is a kind of something broader brings the broader term along ("tote" → "tote bag")."""
    terms: list[str] = []
    for text in texts:
        if text is None:
            continue
        for part in [text] if isinstance(text, str) else text:
            for term_ in analyze(part):
                terms.append(term_)
                if term_ in BROADER:
                    terms.append(BROADER[term_])
    return " ".join(terms)


FUZZINESS = "AUTO:4,7"


def max_edits(word: str) -> int:
    """Elasticsearch's AUTO:4,7 fuzziness: exact up to 3 letters ("bag" must not find "bar"), one typo
    up to 6, two beyond."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 7 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, giving up past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=200_000)
def word_term(word: str) -> str | None:
    """The indexed form of one word as written, or None for a stopword (memoised for highlighting)."""
    folded = fold(word)
    return None if folded in STOPWORDS else term(folded)


def highlight(
    text: str, is_match: Callable[[str], bool], *, before: str = "\x02", after: str = "\x03", width: int = 160
) -> str | None:
    """Mark the words of `text` whose indexed form `is_match` accepts; return a snippet around the first."""
    if not text:
        return None
    spans = []
    for match in _DISPLAY_WORD.finditer(text):
        indexed = word_term(match.group(0))
        if indexed is not None and (is_match(indexed) or (indexed in BROADER and is_match(BROADER[indexed]))):
            spans.append(match.span())
    if not spans:
        return None
    start = max(0, spans[0][0] - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + width)
    end = max(end, spans[0][1])
    pieces, position = [], start
    for left, right in spans:
        if left >= end:
            break
        right = min(right, end)
        pieces += [text[position:left], before, text[left:right], after]
        position = right
    pieces.append(text[position:end])
    return ("…" if start else "") + "".join(pieces).strip() + ("…" if end < len(text) else "")


_DISPLAY_WORD = re.compile(r"[^\W_]+")
