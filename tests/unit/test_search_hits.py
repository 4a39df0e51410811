"""Explaining a page of hits (issue 19): the same highlights and matches, each distinct word judged once per page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import search.query as query_module
from search import analysis
from search.analysis import _DISPLAY_WORD, BROADER, analyze, highlight, word_term
from search.materials import materials_in, shown
from search.query import SearchQuery, TermMatcher, described_by_words, make_hit


def reference_highlight(
    text: str, is_match: Callable[[str], bool], before: str = "\x02", after: str = "\x03", width: int = 160
) -> str | None:
    """The highlight as written before issue 19: every word of the text judged where it stands."""
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


# Query words, their typos, forms and translations, a kind of a broader thing (tote: bag), stopwords, other scripts.
WORDS = [
    "baskets", "Basket", "baskte", "basketry", "cesta", "bags", "tote", "Totes", "sisal", "Sisal", "sisl", "weavers",
    "woven", "the", "and", "of", "Sololá", "solola", "ቅርጫት", "टोकरी", "टोकरियाँ", "2,000", "30cm", "x",
]  # fmt: skip
SEPARATORS = [" ", ", ", ". ", " - ", "/", "\n", "(", ") ", "—", "'"]
texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=90).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=300, deadline=None)
@given(query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), page=st.lists(texts, min_size=1, max_size=8))
def test_highlights_are_what_judging_every_word_gave(query: list[str], page: list[str]) -> None:
    terms = analyze(" ".join(query))
    matcher = TermMatcher(terms)  # one matcher for the whole page, its judgements kept from text to text
    expected = [reference_highlight(text, TermMatcher(terms)) for text in page]
    assert [matcher.highlight(text) for text in page] == expected
    assert [highlight(text, TermMatcher(terms)) for text in page] == expected


def test_a_long_text_is_cut_around_its_first_match_as_before() -> None:
    text = " ".join(["Woven by hand in Kitui."] * 20 + ["Our sisal baskets travel far."] + ["Baskets again."] * 20)
    matcher = TermMatcher(analyze("baskets"))
    snippet = matcher.highlight(text)
    assert snippet == reference_highlight(text, TermMatcher(analyze("baskets")))
    assert snippet is not None and snippet.startswith("…") and snippet.endswith("…") and "\x02baskets\x03" in snippet


class CountingMatcher(TermMatcher):
    def __init__(self, terms: list[str]) -> None:
        super().__init__(terms)
        self.asked: list[str] = []

    def __call__(self, word_term: str) -> bool:
        self.asked.append(word_term)
        return super().__call__(word_term)


def group(i: int) -> dict:
    capability = {
        "category": "home.baskets",
        "label": "Baskets",
        "title": "Sisal market baskets",
        "materials": ["sisal", "recycled glass"],
        "techniques": ["weaving"],
        "terms": "sisal market basket weav glass recycl",
        "moq": 50,
        "lead_time_days": 30,
        "price_min": 4.0,
        "price_max": 9.0,
        "currency": "USD",
        "capacity_keys": [],
        "ready_on": "2026-12-30",
    }
    return {
        "id": i,
        "slug": f"group-{i}",
        "name": f"Kitui Sisal Weavers {i}",
        "story": "We weave sisal baskets at home in Kitui; every basket is woven by hand and dyed with natural dyes.",
        "country": "KE",
        "region": "Kitui",
        "city": "Kitui",
        "verified": True,
        "rating": 4.5,
        "artisan_count": 40,
        "certifications": [],
        "verified_certifications": [],
        "materials": ["sisal", "glass", "recycled glass"],
        "techniques": ["weaving"],
        "capabilities": [capability, {**capability, "title": "Table mats", "terms": "tabl mat sisal"}],
    }


def test_a_page_of_hits_judges_each_distinct_word_once() -> None:
    # Issue 19: Loom's own time per search on Elasticsearch was mostly spent judging the same words of
    # every hit again (names, stories, capability words): now once per word per page, the hits unchanged.
    query = SearchQuery(text="sisal baskets")
    matcher = CountingMatcher(query.terms)
    docs = [group(i) for i in range(20)]
    hits = [make_hit(doc, query, 1.0, matcher) for doc in docs]
    shown_words = {
        w for doc in docs for text in (doc["name"], doc["story"], ", ".join(doc["materials"] + doc["techniques"]))
        for w in _DISPLAY_WORD.findall(text)
    }  # fmt: skip
    broader = {w for w in shown_words if word_term(w) in BROADER}
    capability_words = {w for doc in docs for c in doc["capabilities"] for w in c["terms"].split()}
    assert len(matcher.asked) <= len(shown_words) + len(broader) + len(capability_words)  # was every word of every hit
    fresh = [make_hit(group(i), query, 1.0, TermMatcher(query.terms)) for i in range(20)]
    assert hits == fresh
    assert hits[0].highlights["story"] == reference_highlight(group(0)["story"], TermMatcher(query.terms))
    assert [m.title for m in hits[0].matches] == ["Sisal market baskets", "Table mats"]


def test_a_capability_is_described_by_the_words_as_before() -> None:
    matcher = TermMatcher(analyze("sisl mats"))
    for terms in ("sisal market basket", "tabl mat", "leather bag", "", "sis sisa"):
        capability = {"terms": terms}
        assert described_by_words(capability, matcher) == any(TermMatcher(matcher.terms)(w) for w in terms.split())


def test_materials_listed_as_before_and_the_memo_is_not_shared_out() -> None:
    assert shown(["cotton", "cotton thread", "sisal"]) == ["cotton thread", "sisal"]
    found = materials_in("recycled glass and sea grass")
    found.append("changed by a caller")
    assert materials_in("recycled glass and sea grass") == ["glass", "seagrass"]


@pytest.fixture
def no_highlighters_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_module, "_HIGHLIGHTERS", {}, raising=False)


def test_searches_with_the_same_terms_judge_each_word_once_between_them(
    no_highlighters_kept: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 19: a search's next page, a filter ticked, the same words asked again show texts already read: the words
    # judged for one search are not judged again for the next with the same terms, and give the same highlights.
    judged: list[str] = []
    marks = analysis.marks

    def counted(word: str, is_match: Callable[[str], bool]) -> bool:
        judged.append(word)
        return marks(word, is_match)

    monkeypatch.setattr(analysis, "marks", counted)
    query = SearchQuery(text="sisal baskets")
    first = [make_hit(group(i), query, 1.0, TermMatcher(query.terms)) for i in range(5)]
    assert judged
    judged.clear()
    again = [make_hit(group(i), query, 1.0, TermMatcher(query.terms)) for i in range(5)]
    assert judged == [] and again == first
    other = SearchQuery(text="glass")  # other terms: judged afresh, by their own rule
    glass = make_hit(group(0), other, 1.0, TermMatcher(other.terms))
    assert judged and glass.highlights["capabilities"] == reference_highlight(
        ", ".join(group(0)["materials"] + group(0)["techniques"]), TermMatcher(other.terms)
    )
    assert "story" not in glass.highlights


def test_a_shared_highlighter_is_kept_only_so_long(no_highlighters_kept: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_module, "WORDS_JUDGED_KEPT", 5, raising=False)
    monkeypatch.setattr(query_module, "HIGHLIGHTERS_KEPT", 4, raising=False)
    small = TermMatcher(["sisal"])
    assert TermMatcher(["sisal"]).highlight is small.highlight
    small.highlight("Our sisal baskets are woven at home in Kitui by forty women.")
    assert TermMatcher(["sisal"]).highlight is not small.highlight  # it judged more than 5 words: a new one
    kept = [TermMatcher([f"word{i}"]).highlight for i in range(4)]
    assert TermMatcher(["word3"]).highlight is kept[3]
    TermMatcher(["word4"])  # a fifth list of terms: the older half is forgotten, the newer kept
    assert TermMatcher(["word0"]).highlight is not kept[0] and TermMatcher(["word3"]).highlight is kept[3]
    counting = CountingMatcher(["sisal"])  # a subclass judges by its own answers
    counting.highlight("sisal")
    assert counting.asked == ["sisal"]
