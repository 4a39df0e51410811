"""Realistic buyer queries over a fixed catalogue: the groups a buyer expects must come first, on both backends."""

from __future__ import annotations

import pytest

from search.backends import SearchIndex
from search.query import SearchQuery
from search.service import find_groups

SISAL_BASKETS = {"machakos-sisal-weavers", "kitui-basket-collective", "kenya-basketry-federation", "huye-agaseke-cooperative"}
BASKETS = SISAL_BASKETS | {"bolgatanga-grass-weavers", "satkhira-hogla-weavers"}

# (query, the group that must come first, or several of which the first must be one, or None;
#  groups that must be exactly the first len(...) hits, in any order)
CASES: list[tuple[str, set[str] | None, set[str]]] = [
    ("sisal baskets", {"machakos-sisal-weavers", "kitui-basket-collective", "kenya-basketry-federation"}, SISAL_BASKETS),
    ("basketry", None, BASKETS),
    ("baskte", None, BASKETS),
    ("tote bags", {"rangpur-jute-crafts", "mombasa-tote-makers"}, {"rangpur-jute-crafts", "mombasa-tote-makers"}),
    ("totes", {"rangpur-jute-crafts", "mombasa-tote-makers"}, set()),
    ("alpaca sweater", {"puno-alpaca-knitters"}, set()),
    ("hand knitted alpaca", {"puno-alpaca-knitters"}, set()),
    ("shea butter", {"tamale-shea-women-s-association"}, {"tamale-shea-women-s-association", "tamale-black-soap-makers"}),
    ("african black soap", {"tamale-black-soap-makers"}, set()),
    ("pashmina shawls", {"srinagar-pashmina-house"}, set()),
    ("backstrap weaving", {"san-juan-backstrap-weavers"}, set()),
    ("Lake Atitlán", {"san-juan-backstrap-weavers"}, set()),
    ("kantha throws", {"bolpur-kantha-stitchers"}, set()),
    ("block printed napkins", {"bagru-block-print-studio"}, set()),
    ("indigo tablecloths", {"bagru-block-print-studio"}, set()),
    ("fair trade baskets kenya", {"machakos-sisal-weavers"}, set()),
    ("recycled brass necklace", {"nairobi-brass-artisans"}, set()),
    ("brass pendants", {"nairobi-brass-artisans"}, set()),
    ("soapstone", {"tabaka-soapstone-carvers"}, set()),
    ("felt ornaments", {"kathmandu-felt-makers"}, set()),
    ("lokta paper notebooks", {"kathmandu-lokta-paper"}, set()),
    ("beeswax candles", {"kampala-candle-makers"}, set()),
    ("coffee ethiopia", {"jimma-coffee-growers"}, set()),
    (
        "organic coffee",
        {"jimma-coffee-growers", "huehuetenango-coffee-cooperative"},
        {"jimma-coffee-growers", "huehuetenango-coffee-cooperative"},
    ),
    ("wool rugs", {"cusco-rug-weavers"}, set()),
    ("dhurrie", {"jaipur-dhurrie-weavers"}, set()),
    ("glass beads ghana", {"krobo-glass-bead-makers"}, set()),
    ("jute", {"rangpur-jute-crafts"}, set()),
    ("pottery", {"chulucanas-potters"}, set()),
    ("leather bags ethiopia", {"addis-leather-workshop"}, set()),
    ("netela scarves", {"addis-shemma-weavers"}, set()),
    ("bead embroidery guatemala", {"quetzaltenango-beadwork-women"}, set()),
    ("forest honey", {"jimma-forest-honey"}, set()),
    ("hogla planters", {"satkhira-hogla-weavers"}, set()),
    ("elephant grass market basket", {"bolgatanga-grass-weavers"}, set()),
    ("peace baskets rwanda", {"huye-agaseke-cooperative"}, set()),
    ("burnished clay vases", {"chulucanas-potters"}, set()),
    ("handloom scarves", {"srinagar-pashmina-house"}, set()),
]


@pytest.mark.parametrize(("text", "first", "top"), CASES, ids=[c[0] for c in CASES])
def test_the_expected_groups_come_first(catalogue_index: SearchIndex, text: str, first: set[str] | None, top: set[str]) -> None:
    result = find_groups(catalogue_index, SearchQuery(text=text, size=10))
    found = [h.slug for h in result.hits]
    assert found, f"nothing found for {text!r}"
    if first is not None:
        assert found[0] in first, f"{text!r}: first was {found[0]}, expected one of {sorted(first)}; got {found[:5]}"
    if top:
        assert set(found[: len(top)]) == top, f"{text!r}: expected {sorted(top)} at the top, got {found[: len(top) + 2]}"


def test_the_set_has_at_least_25_queries() -> None:
    assert len(CASES) >= 25


def test_both_backends_agree_on_every_judged_query(embedded_catalogue: SearchIndex, elasticsearch_catalogue: SearchIndex) -> None:
    """Same first hit and the same top 5 (as sets) on the embedded index and on Elasticsearch."""
    disagreements = []
    for text, _first, _top in CASES:
        embedded = [h.slug for h in find_groups(embedded_catalogue, SearchQuery(text=text, size=10)).hits]
        elastic = [h.slug for h in find_groups(elasticsearch_catalogue, SearchQuery(text=text, size=10)).hits]
        if embedded[:1] != elastic[:1] or set(embedded[:5]) != set(elastic[:5]):
            disagreements.append(f"{text!r}: embedded {embedded[:5]} / elasticsearch {elastic[:5]}")
    assert not disagreements, f"{len(disagreements)} of {len(CASES)} queries differ:\n" + "\n".join(disagreements)
