"""Language normalisation shared by both search backends: folding, stemming, synonyms, typo rules.

Done in Python rather than in Elasticsearch analyzers because the server Loom tests against (and
many small deployments) has no analysis-common module, and because the embedded backend must behave
the same. Both backends index the output of `analyze()` and search with it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import regex
import Stemmer
from rapidfuzz.distance import OSA

from search.vocabulary import BROADER as _BROADER
from search.vocabulary import STOPWORDS as _STOPWORDS
from search.vocabulary import SYNONYMS as _SYNONYMS
from search.vocabulary import TRANSLATIONS

# A word is a run of letters, combining marks and digits in any script: Amharic, Devanagari and
# Bengali words keep their vowel signs and viramas (which are marks, not letters).
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_LATIN = regex.compile(r"\p{Latin}")

# Snowball stemmers (PyStemmer) by script: a word in Devanagari is stemmed as Hindi, in Cyrillic as
# Russian and so on; Latin-script words as English, after the product words of Spanish, French and
# Swahili are translated (vocabulary.TRANSLATIONS). Scripts without a Snowball stemmer (Ethiopic,
# Bengali, Thai, Han…) are matched as written.
_SCRIPT_STEMMERS = {
    "Latin": "english",
    "Devanagari": "hindi",
    "Arabic": "arabic",
    "Cyrillic": "russian",
    "Greek": "greek",
    "Tamil": "tamil",
    "Armenian": "armenian",
}
_SCRIPTS = {script: regex.compile(rf"\p{{{script}}}") for script in _SCRIPT_STEMMERS}
_STEMMERS = {script: Stemmer.Stemmer(language) for script, language in _SCRIPT_STEMMERS.items()}
_ENGLISH = _STEMMERS["Latin"]

# Where Snowball's English rules go wrong for the words of handmade goods (as Lucene's stemmer_override).
_OVERRIDES = {
    "dyed": "dye",
    "dyes": "dye",
    "dyeing": "dye",
    "scarves": "scarf",
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
    "women": "woman",
    "children": "child",
    "clothing": "clothing",
    "wedding": "wedding",
    "bedding": "bedding",
    "canvas": "canvas",
    "canvases": "canvas",
}

STOPWORDS = _STOPWORDS
_TRANSLATED = {word: english for table in TRANSLATIONS.values() for word, english in table.items()}


def fold(text: str) -> str:
    """Case-fold and strip accents from Latin letters only: "Sololá" -> "solola"; other scripts'
    marks (a Devanagari vowel sign, an Ethiopic syllable) are part of their letters and stay."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    base_is_latin = False
    for char in decomposed:
        if unicodedata.combining(char):
            if base_is_latin:
                continue
        else:
            base_is_latin = char.isascii() or bool(_LATIN.match(char))
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


def _script(word: str) -> str | None:
    if word.isascii():
        return "Latin"
    return next((script for script, pattern in _SCRIPTS.items() if pattern.match(word)), None)


def stem(word: str) -> str:
    """The stem of one folded word, by its script's Snowball stemmer (unchanged if it has none)."""
    if word in _OVERRIDES:
        return _OVERRIDES[word]
    if word.isdigit():
        return word
    script = _script(word)
    return _STEMMERS[script].stemWord(word) if script else word


def _canonical(word: str) -> str:
    stemmed = stem(word)
    return SYNONYMS.get(stemmed, stemmed)


SYNONYMS: dict[str, str] = {stem(word): stem(canonical) for word, canonical in _SYNONYMS.items()}
BROADER: dict[str, str] = {_canonical(word): _canonical(broader) for word, broader in _BROADER.items()}


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The indexed form of one folded word (memoised: a catalogue's vocabulary is small)."""
    english = _TRANSLATED.get(word)
    return _canonical(english if english is not None else word)


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
    """Return the optimal string alignment distance of `a` and `b` (Damerau-Levenshtein where no substring is edited
    twice: an adjacent swap costs 1), or `limit` + 1 when it is over `limit`.

    Counted in code points by rapidfuzz (`rapidfuzz.distance.OSA`); a swap is one edit, as in Elasticsearch's fuzzy
    matching (`fuzzy_transpositions`, on by default). The Python loop it replaced was 8 % of a search page's CPU (issue 19).
    """
    return OSA.distance(a, b, score_cutoff=limit)


@lru_cache(maxsize=200_000)
def word_term(word: str) -> str | None:
    """The indexed form of one word as written, or None for a stopword (memoised for highlighting)."""
    folded = fold(word)
    return None if folded in STOPWORDS else term(folded)


def marks(word: str, is_match: Callable[[str], bool]) -> bool:
    """Tell whether a highlight marks `word` as written: its indexed form, or the broader term it brings, is a match."""
    indexed = word_term(word)
    return indexed is not None and (is_match(indexed) or (indexed in BROADER and is_match(BROADER[indexed])))


class Highlighter:
    """Mark the words `is_match` accepts in any number of texts, judging each distinct word once.

    The texts of one page of hits share most of their words, so the judgement is kept per word as
    written (two sets), and a text with no marked word is dismissed by set operations alone. A highlighter
    may be shared between threads: a word joins `marked` (when marked) before it joins `judged`.
    """

    def __init__(self, is_match: Callable[[str], bool]) -> None:
        self.is_match = is_match
        self.judged: set[str] = set()
        self.marked: set[str] = set()

    @property
    def words_judged(self) -> int:
        """Return how many distinct words (as written) this highlighter has judged."""
        return len(self.judged)

    def __call__(self, text: str, *, before: str = "\x02", after: str = "\x03", width: int = 160) -> str | None:
        """Return a snippet of about `width` characters around the first marked word of `text`, or None."""
        if not text:
            return None
        ascii_only = text.isascii()
        if ascii_only:  # the same words as _DISPLAY_WORD finds, at a third of its cost
            words = set(text.encode().translate(_ASCII_SEPARATORS_TO_SPACE).decode().split())
        else:
            words = set(_DISPLAY_WORD.findall(text))
        unjudged = words - self.judged
        if unjudged:
            self.marked.update(w for w in unjudged if marks(w, self.is_match))
            self.judged |= unjudged
        marked = words & self.marked
        if not marked:
            return None
        if ascii_only:
            spans = (m.span() for m in _ascii_words(frozenset(marked)).finditer(text))
        else:
            spans = (m.span() for m in _DISPLAY_WORD.finditer(text) if m.group() in marked)
        return _snippet(text, spans, before, after, width)


# In ASCII text a word of _WORD is a run of ASCII letters and digits (ASCII has no combining marks).
_ASCII_SEPARATORS_TO_SPACE = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


@lru_cache(maxsize=4096)
def _ascii_words(words: frozenset[str]) -> re.Pattern[str]:
    """A pattern that finds exactly these whole words in ASCII text (the runs of _ASCII_WORD equal to one of them)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


def highlight(
    text: str, is_match: Callable[[str], bool], *, before: str = "\x02", after: str = "\x03", width: int = 160
) -> str | None:
    """Mark the words of `text` whose indexed form `is_match` accepts; return a snippet around the first."""
    return Highlighter(is_match)(text, before=before, after=after, width=width)


def _snippet(text: str, spans: Iterator[tuple[int, int]], before: str, after: str, width: int) -> str:
    """Cut `text` around the first of `spans` (at least one, in order), marking those that fall inside the cut."""
    first = next(spans)
    start = max(0, first[0] - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + width)
    end = max(end, first[1])
    pieces, position = [], start
    for left, right in itertools.chain((first,), spans):
        if left >= end:
            break  # the rest of a long text is not read
        right = min(right, end)
        pieces += [text[position:left], before, text[left:right], after]
        position = right
    pieces.append(text[position:end])
    return ("…" if start else "") + "".join(pieces).strip() + ("…" if end < len(text) else "")


_DISPLAY_WORD = _WORD
