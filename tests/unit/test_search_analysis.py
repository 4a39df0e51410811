"""The words both search backends index and look for: every script, Snowball stems, translations."""

from __future__ import annotations

import pytest

from search.analysis import analyze, analyzed, highlight
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
