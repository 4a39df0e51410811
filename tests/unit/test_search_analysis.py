"""The words both search backends index and look for: every script, Snowball stems, translations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.analysis import analyze, analyzed, edit_distance, highlight
from search.documents import category_words
from search.query import TermMatcher


def test_every_unicode_letter_is_kept() -> None:
    assert analyze("ሐበሻ ቅርጫት Addis") == ["ሐበሻ", "ቅርጫት", *analyze("Addis")]  # Amharic (Ethiopic)
    hindi = analyze("हस्तनिर्मित टोकरी")
    assert len(hindi) == 2 and hindi[0] == "हस्तनिर्मित"  # vowel signs and viramas stay inside the word
    assert analyze("হাতে তৈরি ঝুড়ি") == analyze("হাতে  তৈরি,ঝুড়ি") and len(analyze("হাতে তৈরি ঝুড়ি")) == 3  # Bengali
    assert analyze("Sololá, Hà Nội, Köln") == analyze("Solola, Ha Noi, Koln")  # accents folded from Latin letters only


@pytest.mark.parametrize(
    "forms",
    [
        ("dyed", "dyeing", "dyes", "dye"),
        ("canvas", "canvases"),
        ("series",),
        ("weave", "weaving", "woven", "handwoven"),
        ("printed", "printing", "print"),
        ("baskets", "basket", "basketry"),
        ("scarves", "scarf"),
        ("knives", "knife"),
    ],
)
def test_one_stem_for_every_form_of_a_word(forms: tuple[str, ...]) -> None:
    stems = {tuple(analyze(f)) for f in forms}
    assert len(stems) == 1 and all(len(s) == 1 for s in stems), stems


def test_hindi_words_are_stemmed_as_hindi() -> None:
    assert analyze("टोकरी") == analyze("टोकरियाँ")  # basket, baskets


@pytest.mark.parametrize("word", ["cesta", "cestas", "canasta", "panier", "paniers", "kikapu", "vikapu"])
def test_spanish_french_and_swahili_product_words_mean_the_english_ones(word: str) -> None:
    assert analyze(word) == analyze("basket")


def test_buyers_queries_in_other_languages() -> None:
    assert sorted(analyze("bolsas de cuero")) == sorted(analyze("leather bags"))
    assert sorted(analyze("écharpes en laine")) == sorted(analyze("wool scarves"))
    assert sorted(analyze("mifuko ya ngozi")) == sorted(analyze("leather bag"))


def test_a_kind_of_thing_is_indexed_with_its_broader_word_but_asked_for_as_itself() -> None:
    assert analyzed("jute totes").split() == [*analyze("jute totes"), *analyze("bag")]
    assert analyze("totes") != analyze("bags")


def test_category_words_name_the_goods_not_how_they_are_made() -> None:
    assert "weav" not in analyze(" ".join(category_words("textiles.fabric")))  # label: "Handwoven fabric by the metre"
    assert "recycl" not in analyze(" ".join(category_words("home.metalwork")))  # label: "Metalwork & recycled brass"
    assert analyze("jewelry")[0] in analyze(" ".join(category_words("jewelry.earrings")))


def test_highlights_find_words_in_any_script() -> None:
    snippet = highlight("ከአዲስ አበባ ሐበሻ ቅርጫት እንሰራለን", TermMatcher(analyze("ቅርጫት")))
    assert snippet is not None and "\x02ቅርጫት\x03" in snippet


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, written out from its definition (the oracle for the library)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("baskets", "baskets", 0),
        ("baksets", "baskets", 1),  # a swap is one edit, as Elasticsearch's fuzzy_transpositions
        ("basket", "baskets", 1),
        ("kikapu", "kikap", 1),
        ("ca", "abc", 3),  # optimal string alignment: the swapped pair is not edited again (unrestricted: 2)
        ("टोकरी", "टोकरि", 1),  # code points, not bytes
        ("sisal", "jute", 5),  # over the limit: the limit + 1
    ],
)
def test_edit_distance_counts_a_swap_as_one_edit_and_stops_past_the_limit(a: str, b: str, distance: int) -> None:
    assert _osa(a, b) == distance
    assert edit_distance(a, b, 2) == min(distance, 3)


@given(st.text("abcsé", max_size=8), st.text("abcsé", max_size=8), st.integers(0, 2))
def test_edit_distance_is_the_optimal_string_alignment_within_the_limit(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(_osa(a, b), limit + 1)
