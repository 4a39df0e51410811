"""Materials are recognised through the taxonomy's words, by stem, plural and spelling, not by an exact list."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.discovery.sentence import understand
from search.materials import canonical_material, filter_values

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("line", "text", "materials"),
    [
        ("2,000 Sisal Baskets", "Baskets", ("sisal",)),
        ("500 woollen scarves", "scarves", ("wool",)),
        ("woolen throws and cotton cushions", "throws cushions", ("wool", "cotton")),
        ("sea grass baskets", "baskets", ("seagrass",)),
        ("terra-cotta vases", "vases", ("terracotta",)),
        ("leathers bags", "bags", ("leather",)),
        ("bamboos lamps, glasses beads", "lamps, beads", ("bamboo", "glass")),
        ("hessian bags", "bags", ("jute",)),
    ],
)
def test_a_material_is_read_in_any_case_plural_or_spelling(line: str, text: str, materials: tuple[str, ...]) -> None:
    understood = understand(line, TODAY)
    assert (understood.text, understood.materials) == (text, materials)


def test_a_material_without_goods_beside_it_stays_words() -> None:
    assert understand("sea grass", TODAY).materials == () and understand("woollen", TODAY).materials == ()


def test_what_a_group_lists_is_filtered_by_the_taxonomys_word_and_its_own() -> None:
    assert filter_values(["Sisal", "Woollen yarn", "recycled glass", "natural dyes", "Sea-grass", "Cottons"]) == [
        "sisal",
        "wool",
        "woollen yarn",
        "glass",
        "recycled glass",
        "natural dyes",
        "seagrass",
        "cotton",
    ]
    assert canonical_material("BAMBOOS") == "bamboo" and canonical_material("papier-mâché") is None


def test_results_list_what_the_group_wrote_without_repeating_a_taxonomy_word() -> None:
    from search.materials import shown

    assert shown(filter_values(["sisal", "cotton thread", "Woollen yarn"])) == ["sisal", "cotton thread", "woollen yarn"]
