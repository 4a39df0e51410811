"""One behaviour, two backends: every test here runs against the embedded index and real Elasticsearch."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import pytest

from marketplace.producers.capacity import MAX_WEEKS, deliverable_by
from search.backends import SearchIndex
from search.documents import build_document
from search.query import CapacityNeed, Near, SearchQuery, Sort, distance_km
from search.service import find_groups
from tests.integration.conftest import TODAY

BY = TODAY + dt.timedelta(weeks=20)


def slugs(result) -> list[str]:
    return [h.slug for h in result.hits]


def all_hits(index: SearchIndex, query: SearchQuery) -> list:
    hits, cursor = [], None
    for _ in range(100):
        result = index.search(replace(query, after=cursor))
        hits.extend(result.hits)
        cursor = result.next_cursor
        if cursor is None:
            return hits
    raise AssertionError("pagination did not end")


def facet(result, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


def test_every_group_is_found_with_no_words(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search(SearchQuery(size=100))
    assert result.total == 30 and len(result.hits) == 30


def test_facet_counts_keep_other_values_of_the_selected_facet(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search(SearchQuery(categories=("baskets",), size=100))

    assert result.total == 6
    assert set(slugs(result)) == {
        "machakos-sisal-weavers",
        "kitui-basket-collective",
        "bolgatanga-grass-weavers",
        "huye-agaseke-cooperative",
        "satkhira-hogla-weavers",
        "kenya-basketry-federation",
    }
    categories = facet(result, "category")
    assert categories["baskets.storage"] == 3 and categories["textiles.scarves"] == 4  # other categories still counted
    assert facet(result, "country") == {"KE": 3, "GH": 1, "RW": 1, "BD": 1}  # countries counted within baskets
    assert facet(result, "verified") == {"false": 4, "true": 2}


def test_filters_combine_within_one_capability(catalogue_index: SearchIndex) -> None:
    # Sisal is a material of storage and wall baskets; market baskets here are elephant grass.
    result = catalogue_index.search(SearchQuery(categories=("baskets.market",), materials=("sisal",)))
    assert result.total == 0
    result = catalogue_index.search(SearchQuery(categories=("baskets.storage",), materials=("sisal",), size=10))
    assert set(slugs(result)) == {"machakos-sisal-weavers", "kitui-basket-collective", "kenya-basketry-federation"}


def test_country_certification_and_verified_filters(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search(SearchQuery(countries=("GH",), certifications=("wfto",), verified=True))
    assert slugs(result) == ["krobo-glass-bead-makers"]
    assert facet(result, "certification")["wfto"] == 1 and facet(result, "country")["KE"] == 1


def test_units_by_date_uses_capacity_net_of_lead_time(catalogue_index: SearchIndex, catalogue_documents) -> None:
    need = CapacityNeed(units=20_000, by=BY)
    result = catalogue_index.search(SearchQuery(capacity=need, size=50))

    # Check against the capacity rules themselves, group by group.
    expected = set()
    for doc in catalogue_documents:
        for cap in doc["capabilities"]:
            if (
                deliverable_by(
                    TODAY, BY, lead_time_days=cap["lead_time_days"], weekly_capacity=cap["weekly_capacity"], calendar={}
                )
                >= need.units
            ):
                expected.add(doc["slug"])
    assert set(slugs(result)) == expected and "kenya-basketry-federation" in expected
    big = next(h for h in result.hits if h.slug == "kenya-basketry-federation")
    assert big.matches[0].units_by_date == deliverable_by(TODAY, BY, lead_time_days=60, weekly_capacity=5000, calendar={})


def test_units_by_date_is_exact_at_the_boundary(catalogue_index: SearchIndex) -> None:
    exact = deliverable_by(TODAY, BY, lead_time_days=30, weekly_capacity=400, calendar={})
    query = SearchQuery(text="machakos sisal weavers", categories=("baskets.storage",))
    assert "machakos-sisal-weavers" in slugs(catalogue_index.search(replace(query, capacity=CapacityNeed(exact, BY))))
    assert "machakos-sisal-weavers" not in slugs(catalogue_index.search(replace(query, capacity=CapacityNeed(exact + 1, BY))))


def test_nothing_can_be_delivered_inside_the_lead_time(catalogue_index: SearchIndex) -> None:
    soon = TODAY + dt.timedelta(days=15)
    result = catalogue_index.search(SearchQuery(capacity=CapacityNeed(1, soon), size=50))
    assert result.total == 0


def test_lead_time_moq_and_price_filters(catalogue_index: SearchIndex) -> None:
    fast = catalogue_index.search(SearchQuery(max_lead_time=20, size=50))
    assert set(slugs(fast)) == {
        "jimma-coffee-growers",
        "tamale-shea-women-s-association",
        "tamale-black-soap-makers",
        "huehuetenango-coffee-cooperative",
        "jimma-forest-honey",
    }
    small_order = catalogue_index.search(SearchQuery(categories=("textiles",), max_moq=25, size=50))
    assert set(slugs(small_order)) == {"srinagar-pashmina-house", "cusco-rug-weavers"}
    luxury = catalogue_index.search(SearchQuery(categories=("textiles",), price_min=100, size=50))
    assert set(slugs(luxury)) == {"srinagar-pashmina-house", "cusco-rug-weavers", "jaipur-dhurrie-weavers"}
    other_currency = catalogue_index.search(SearchQuery(price_max=1000, currency="EUR"))
    assert other_currency.total == 0


def test_distance_filter_and_sort(catalogue_index: SearchIndex) -> None:
    nairobi = Near(-1.2921, 36.8219, km=200)
    result = catalogue_index.search(SearchQuery(near=nairobi, sort=Sort.DISTANCE, size=50))

    assert slugs(result) == [
        "nairobi-brass-artisans",
        "machakos-sisal-weavers",
        "kenya-basketry-federation",
        "kitui-basket-collective",
    ]
    distances = [h.distance_km for h in result.hits]
    assert distances == sorted(distances) and distances[-1] == pytest.approx(
        distance_km(-1.2921, 36.8219, -1.3671, 38.0106), abs=0.2
    )


def test_sort_by_rating_and_by_lead_time(catalogue_index: SearchIndex) -> None:
    ratings = [h.rating if h.rating is not None else -1 for h in all_hits(catalogue_index, SearchQuery(sort=Sort.RATING, size=7))]
    assert ratings == sorted(ratings, reverse=True) and len(ratings) == 30
    baskets = catalogue_index.search(SearchQuery(categories=("baskets",), sort=Sort.LEAD_TIME, size=10))
    leads = [min(m.lead_time_days for m in h.matches) for h in baskets.hits]
    assert leads == sorted(leads) and baskets.hits[0].slug == "machakos-sisal-weavers"


@pytest.mark.parametrize("sort", [Sort.RELEVANCE, Sort.RATING, Sort.LEAD_TIME])
def test_deep_pagination_is_stable_and_complete(catalogue_index: SearchIndex, sort: Sort) -> None:
    query = SearchQuery(text="" if sort != Sort.RELEVANCE else "weaving", sort=sort)
    one_page = catalogue_index.search(replace(query, size=100))
    paged = all_hits(catalogue_index, replace(query, size=3))
    assert [h.slug for h in paged] == slugs(one_page)
    assert len({h.slug for h in paged}) == len(paged) == one_page.total


def test_typos_singulars_and_synonyms(catalogue_index: SearchIndex) -> None:
    assert (
        catalogue_index.search(SearchQuery(text="basketry", size=50)).total
        == catalogue_index.search(SearchQuery(text="baskets", size=50)).total
    )
    assert "machakos-sisal-weavers" in slugs(catalogue_index.search(SearchQuery(text="sisla baskte")))
    # A tote is a bag: "tote" finds the tote makers and the market baskets "& totes", not every bag
    # maker; "bags" finds the bag makers, tote makers among them.
    assert set(slugs(catalogue_index.search(SearchQuery(text="tote")))) == {
        "rangpur-jute-crafts",
        "mombasa-tote-makers",
        "bolgatanga-grass-weavers",
    }
    assert {"rangpur-jute-crafts", "mombasa-tote-makers", "addis-leather-workshop"} <= set(
        slugs(catalogue_index.search(SearchQuery(text="bags")))
    )
    assert slugs(catalogue_index.search(SearchQuery(text="Lake Atitlan")))[0] == "san-juan-backstrap-weavers"


def test_hits_say_why_they_matched(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search(SearchQuery(text="sisal", categories=("baskets.storage",), capacity=CapacityNeed(500, BY)))
    hit = next(h for h in result.hits if h.slug == "machakos-sisal-weavers")
    assert hit.highlights["name"] == "Machakos \x02Sisal\x03 Weavers"
    assert "\x02sisal\x03" in hit.highlights["story"]
    [match] = hit.matches
    assert (match.category, match.moq, match.lead_time_days) == ("baskets.storage", 50, 30)
    assert match.units_by_date == deliverable_by(TODAY, BY, lead_time_days=30, weekly_capacity=400, calendar={})


def has_term(doc: dict, term: str) -> bool:
    return any(term in doc[field].split() for field in ("name_terms", "capability_terms", "story_terms", "place_terms"))


def test_when_no_group_has_every_word_groups_with_some_are_shown(catalogue_index: SearchIndex) -> None:
    result = find_groups(catalogue_index, SearchQuery(text="sisal kathmandu", size=50))
    assert result.relaxed and {"machakos-sisal-weavers", "kathmandu-lokta-paper"} <= set(slugs(result))
    assert not find_groups(catalogue_index, SearchQuery(text="sisal baskets")).relaxed


def test_all_words_come_before_most_words_which_still_come(catalogue_index: SearchIndex, catalogue_documents) -> None:
    # Sisal baskets first; then groups with only one of the two words, which all-or-nothing matching hid.
    found = slugs(catalogue_index.search(SearchQuery(text="sisal baskets", size=50)))
    both = {d["slug"] for d in catalogue_documents if has_term(d, "sisal") and has_term(d, "basket")}
    one = {d["slug"] for d in catalogue_documents if has_term(d, "sisal") != has_term(d, "basket")}
    assert len(both) >= 3 and len(one) >= 2
    assert set(found[: len(both)]) == both and set(found[len(both) :]) == one


def test_exact_and_stemmed_matches_always_outrank_fuzzy_ones(catalogue_index: SearchIndex, catalogue_documents) -> None:
    # "wool" is one edit from "wood" and "woo…": every wool maker comes first, however verified or
    # well rated the others are; and "knitted" finds "knitting" by its stem, as exactly as "knit".
    found = slugs(catalogue_index.search(SearchQuery(text="wool", size=50)))
    exact = {d["slug"] for d in catalogue_documents if has_term(d, "wool")}
    assert len(exact) >= 3 and len(found) > len(exact)  # some fuzzy matches do come, after
    assert set(found[: len(exact)]) == exact
    assert slugs(catalogue_index.search(SearchQuery(text="knitted")))[0] == "puno-alpaca-knitters"


def test_boosts_order_equals_but_do_not_bury_a_better_match(catalogue_index: SearchIndex) -> None:
    # Both are coffee growers; the verified, better-rated, quicker one comes first...
    assert slugs(catalogue_index.search(SearchQuery(text="coffee")))[:2] == [
        "jimma-coffee-growers",
        "huehuetenango-coffee-cooperative",
    ]
    # ...but a group named for what was asked outranks verified groups that only mention it.
    assert slugs(catalogue_index.search(SearchQuery(text="soapstone")))[0] == "tabaka-soapstone-carvers"


def test_replayed_and_out_of_order_updates_never_overwrite_a_newer_document(
    empty_index: SearchIndex, catalogue_documents
) -> None:
    doc = copy.deepcopy(catalogue_documents[0])
    newer = {**copy.deepcopy(doc), "version": doc["version"] + 2, "name": "Machakos Sisal Weavers (renamed)"}
    older = {**copy.deepcopy(doc), "version": doc["version"] + 1, "name": "An older name"}

    assert empty_index.index([newer]) == 1
    assert empty_index.index([older]) == 0
    assert empty_index.index([newer]) == 0  # a replay changes nothing
    [hit] = empty_index.search(SearchQuery()).hits
    assert hit.name == "Machakos Sisal Weavers (renamed)"

    empty_index.delete(doc["id"], version=doc["version"])  # an old delete: ignored
    assert empty_index.count() == 1
    empty_index.delete(doc["id"], version=newer["version"] + 1)
    assert empty_index.count() == 0


def test_a_rebuild_replaces_the_whole_index(empty_index: SearchIndex, catalogue_documents) -> None:
    empty_index.index(catalogue_documents[:5])
    assert empty_index.rebuild(catalogue_documents[10:13]) == 3
    assert empty_index.count() == 3
    assert {h.id for h in empty_index.search(SearchQuery()).hits} == {d["id"] for d in catalogue_documents[10:13]}


def test_a_verified_certification_filter_ignores_claims_no_operator_checked(catalogue_index: SearchIndex) -> None:
    claimed = catalogue_index.search(SearchQuery(certifications=("wfto",), size=50))
    verified = catalogue_index.search(SearchQuery(verified_certifications=("wfto",), size=50))

    assert set(slugs(verified)) == {"machakos-sisal-weavers", "krobo-glass-bead-makers", "san-juan-backstrap-weavers"}
    assert {"huye-agaseke-cooperative", "puno-alpaca-knitters"} <= set(slugs(claimed)) - set(slugs(verified))
    # Hits say which of the claimed certifications are verified.
    coffee = find_groups(catalogue_index, SearchQuery(text="jimma coffee")).hits[0]
    assert (coffee.slug, coffee.certifications, coffee.verified_certifications) == (
        "jimma-coffee-growers",
        ["fairtrade", "organic"],
        ["fairtrade"],
    )
    # A verified group's unverified claim is still only a claim.
    assert "puno-alpaca-knitters" not in slugs(
        catalogue_index.search(SearchQuery(verified=True, verified_certifications=("wfto",), size=50))
    )
    counts = facet(verified, "verified_certification")
    assert counts["wfto"] == 3 and counts["fairtrade"] == 2 and "organic" not in counts  # counted ignoring its own selection
    assert facet(claimed, "verified_certification") == {"wfto": 3}


def units_of(hit, category: str) -> int | None:
    return next(m.units_by_date for m in hit.matches if m.category == category)


@pytest.mark.parametrize("category", [None, "baskets"])
def test_units_by_date_are_met_by_the_product_asked_for(catalogue_index: SearchIndex, category: str | None) -> None:
    # Bolgatanga also plaits placemats (5,000 a week), Kitui also keeps bees (5,000 jars a week): neither
    # can make 20,000 baskets, only the federation can.
    query = SearchQuery(text="baskets", categories=(category,) if category else (), capacity=CapacityNeed(20_000, BY), size=50)
    result = catalogue_index.search(query)

    assert slugs(result) == ["kenya-basketry-federation"]
    [match] = result.hits[0].matches  # why it matched: the baskets, with their units by the date
    assert (match.category, match.units_by_date) == (
        "baskets.storage",
        deliverable_by(TODAY, BY, lead_time_days=60, weekly_capacity=5000, calendar={}),
    )
    # The placemats and the honey still answer for themselves.
    assert "bolgatanga-grass-weavers" in slugs(catalogue_index.search(replace(query, text="table linen", categories=())))
    honey = catalogue_index.search(replace(query, text="honey", categories=()))
    kitui = next(h for h in honey.hits if h.slug == "kitui-basket-collective")
    assert [m.category for m in kitui.matches] == ["food.honey"]


def test_knitwear_capacity_is_not_met_by_scarves(catalogue_index: SearchIndex) -> None:
    need = CapacityNeed(10_000, BY)  # Puno knits 150 sweaters a week but weaves 3,000 scarves
    assert "puno-alpaca-knitters" not in slugs(catalogue_index.search(SearchQuery(text="alpaca knitwear", capacity=need)))
    scarves = catalogue_index.search(SearchQuery(text="alpaca scarves", capacity=need))
    puno = next(h for h in scarves.hits if h.slug == "puno-alpaca-knitters")
    assert [(m.category, m.units_by_date) for m in puno.matches] == [
        ("textiles.scarves", deliverable_by(TODAY, BY, lead_time_days=30, weekly_capacity=3000, calendar={}))
    ]
    # Typos find the same capability.
    assert "puno-alpaca-knitters" in slugs(catalogue_index.search(SearchQuery(text="alpaca scarvs", capacity=need)))


def test_words_that_name_no_product_leave_every_capability_in_play(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search(SearchQuery(text="kitui", capacity=CapacityNeed(20_000, BY)))
    [hit] = [h for h in result.hits if h.slug == "kitui-basket-collective"]  # found by its name: its honey can meet the need
    assert [m.category for m in hit.matches] == ["food.honey"]


def test_search_looks_as_far_ahead_as_booking(catalogue_index: SearchIndex, catalogue_documents) -> None:
    far = TODAY + dt.timedelta(weeks=60)
    result = catalogue_index.search(SearchQuery(text="machakos", capacity=CapacityNeed(1, far)))
    [hit] = [h for h in result.hits if h.slug == "machakos-sisal-weavers"]
    assert hit.matches[0].units_by_date == deliverable_by(TODAY, far, lead_time_days=30, weekly_capacity=400, calendar={})
    last = TODAY + dt.timedelta(weeks=MAX_WEEKS)
    beyond_a_year = catalogue_index.search(SearchQuery(text="machakos", capacity=CapacityNeed(400 * (MAX_WEEKS - 1), last)))
    assert "machakos-sisal-weavers" in slugs(beyond_a_year)
    assert all(len(c["capacity_keys"]) == MAX_WEEKS for d in catalogue_documents for c in d["capabilities"])


def group_row(
    group_id: int, name: str, story: str, category: str, materials: list[str], techniques: list[str], country: str = "ET"
) -> SimpleNamespace:
    """A group as the rebuild reads it (plain rows), for documents the catalogue does not hold."""
    capability = SimpleNamespace(
        id=group_id * 10,
        category=category,
        materials=materials,
        techniques=techniques,
        moq=10,
        lead_time_days=30,
        price_min=Decimal("5"),
        price_max=Decimal("9"),
        currency="USD",
        weekly_capacity=100,
        windows=[],
    )
    return SimpleNamespace(
        id=group_id,
        version=1,
        slug=f"group-{group_id}",
        name=name,
        story=story,
        country=country,
        region="",
        city="",
        latitude=None,
        longitude=None,
        verified=False,
        rating=None,
        rating_count=0,
        response_time_hours=None,
        artisan_count=20,
        languages=[],
        capabilities=[capability],
        certifications=[],
    )


def test_groups_that_write_in_their_own_script_are_found(empty_index: SearchIndex) -> None:
    empty_index.index(
        [
            build_document(group_row(1, "ሐበሻ ቅርጫት", "በአዲስ አበባ ቅርጫቶችን እንሰራለን", "baskets.storage", ["ሳር"], []), TODAY),
            build_document(group_row(2, "हस्तनिर्मित टोकरी समूह", "हम टोकरियाँ बनाते हैं", "baskets.storage", ["जूट"], [], "IN"), TODAY),
            build_document(group_row(3, "হাতে তৈরি ঝুড়ি", "আমরা পাটের ঝুড়ি বানাই", "baskets.storage", ["পাট"], [], "BD"), TODAY),
            build_document(
                group_row(4, "Addis Weavers", "We weave in Addis.", "textiles.scarves", ["cotton"], ["weaving"]), TODAY
            ),
        ]
    )

    def found(text: str) -> list[int]:
        return [h.id for h in empty_index.search(SearchQuery(text=text)).hits]

    assert found("ቅርጫት") == [1]
    assert found("ሐበሻ ቅርጫት Addis") == [1, 4]  # both words of the one, one word of the other
    assert found("टोकरी") == [2] and found("टोकरियाँ") == [2]  # stemmed as Hindi
    assert found("ঝুড়ি") == [3]
    assert found("পাট") == [3]  # a material in Bengali
    assert found("हस्तनिर्मत") == [2]  # a typo (a vowel sign missing) in Devanagari
    hit = empty_index.search(SearchQuery(text="हस्तनिर्मित")).hits[0]
    assert hit.highlights["name"] == "\x02हस्तनिर्मित\x03 टोकरी समूह"


@pytest.mark.parametrize("text", ["cestas", "canastas", "paniers", "vikapu", "kikapu"])
def test_buyers_can_search_in_spanish_french_and_swahili(catalogue_index: SearchIndex, text: str) -> None:
    english = slugs(catalogue_index.search(SearchQuery(text="baskets", size=50)))
    assert slugs(catalogue_index.search(SearchQuery(text=text, size=50))) == english


def test_queries_mixing_languages_rank_like_english(catalogue_index: SearchIndex) -> None:
    assert slugs(catalogue_index.search(SearchQuery(text="bolsos de cuero etiopía")))[0] == "addis-leather-workshop"
    assert slugs(catalogue_index.search(SearchQuery(text="écharpes pashmina")))[0] == "srinagar-pashmina-house"
    assert slugs(catalogue_index.search(SearchQuery(text="kahawa")))[:2] == [
        "jimma-coffee-growers",
        "huehuetenango-coffee-cooperative",
    ]


def test_a_category_label_credits_no_group_with_a_way_of_making(empty_index: SearchIndex) -> None:
    # "Handwoven fabric by the metre" is the label; a printer of fabric does not weave, a handloom group does.
    printer = group_row(
        1, "Bagru Prints", "Block printed cotton by the metre.", "textiles.fabric", ["cotton"], ["block printing"], "IN"
    )
    loom = group_row(2, "Kota Cloth", "Handloom cotton from Kota.", "textiles.fabric", ["cotton"], ["handloom"], "IN")
    empty_index.index([build_document(printer, TODAY), build_document(loom, TODAY)])

    assert [h.id for h in empty_index.search(SearchQuery(text="handwoven")).hits] == [2]
    assert [h.id for h in empty_index.search(SearchQuery(text="handloom fabric")).hits] == [2, 1]


def test_a_document_built_yesterday_is_not_trusted_today(empty_index: SearchIndex) -> None:
    """Both groups are in Addis Ababa (UTC+3): Sunday's document goes stale at Monday 00:00 there, 21:00 UTC on Sunday."""
    monday = dt.date(2027, 1, 11)
    monday_noon = dt.datetime(2027, 1, 11, 12, 0, tzinfo=dt.UTC)
    sunday = monday - dt.timedelta(days=1)
    by = monday + dt.timedelta(weeks=8)
    stale, fresh = (
        group_row(1, "Stale Weavers", "", "baskets.storage", ["sisal"], []),
        group_row(2, "Fresh Weavers", "", "baskets.storage", ["sisal"], []),
    )
    empty_index.index([build_document(stale, sunday), build_document(fresh, monday)])
    # Built on Sunday, the document counts the week that began today as still to come: one week too many.
    overstated = deliverable_by(sunday, by, lead_time_days=30, weekly_capacity=100, calendar={})
    assert overstated > deliverable_by(monday, by, lead_time_days=30, weekly_capacity=100, calendar={})

    def found(need: CapacityNeed) -> list[str]:
        return [h.name for h in empty_index.search(SearchQuery(capacity=need)).hits]

    assert found(CapacityNeed(overstated, by)) == ["Stale Weavers"]  # trusted, the stale document claims it
    assert found(CapacityNeed(overstated, by, as_of=monday_noon)) == []
    assert found(CapacityNeed(1, by, as_of=monday_noon)) == ["Fresh Weavers"]
    assert empty_index.earliest_fresh_until() == dt.datetime(2027, 1, 10, 21, 0, tzinfo=dt.UTC)


def test_capacity_is_counted_from_each_groups_own_today(empty_index: SearchIndex) -> None:
    """At 02:00 UTC on Monday it is still Sunday 20:00 in Guatemala (UTC−6) and already Monday 05:00 in Nairobi (UTC+3).

    The Guatemalan group's week ends tonight, so the week starting tomorrow is its first to come; for
    the Kenyan group that week has begun. Counted from the UTC day, both lost the Guatemalan week.
    """
    now = dt.datetime(2027, 1, 11, 2, 0, tzinfo=dt.UTC)
    sunday, monday = dt.date(2027, 1, 10), dt.date(2027, 1, 11)
    by = monday + dt.timedelta(weeks=8)
    guatemala = group_row(1, "Antigua Weavers", "", "baskets.storage", ["sisal"], [], country="GT")
    kenya = group_row(2, "Machakos Weavers", "", "baskets.storage", ["sisal"], [], country="KE")
    documents = [build_document(guatemala, now=now), build_document(kenya, now=now)]
    assert [d["indexed_on"] for d in documents] == ["2027-01-10", "2027-01-11"]
    assert [d["capabilities"][0]["ready_on"] for d in documents] == [
        "2027-02-09",
        "2027-02-10",
    ]  # 30 days' lead time from each today
    empty_index.index(documents)
    guatemalan_week = deliverable_by(sunday, by, lead_time_days=30, weekly_capacity=100, calendar={})
    assert guatemalan_week > deliverable_by(monday, by, lead_time_days=30, weekly_capacity=100, calendar={})

    def found(need: CapacityNeed) -> list[str]:
        return sorted(h.name for h in empty_index.search(SearchQuery(capacity=need)).hits)

    assert found(CapacityNeed(guatemalan_week, by, as_of=now)) == ["Antigua Weavers"]
    assert found(CapacityNeed(1, by, as_of=now)) == ["Antigua Weavers", "Machakos Weavers"]
    # At 06:00 UTC Monday begins in Guatemala: its Sunday document is no longer trusted; Nairobi's Monday is.
    assert found(CapacityNeed(1, by, as_of=dt.datetime(2027, 1, 11, 6, 0, tzinfo=dt.UTC))) == ["Machakos Weavers"]
    assert empty_index.earliest_fresh_until() == dt.datetime(2027, 1, 11, 6, 0, tzinfo=dt.UTC)


def test_typed_reputation_does_not_rank(empty_index: SearchIndex) -> None:
    plain = group_row(1, "Sisal Weavers One", "", "baskets.storage", ["sisal"], [])
    claims = group_row(2, "Sisal Weavers Two", "", "baskets.storage", ["sisal"], [])
    claims.rating, claims.rating_count, claims.response_time_hours = Decimal("5.0"), 80, 1  # seeded and self-declared
    checked = group_row(3, "Sisal Weavers Three", "", "baskets.storage", ["sisal"], [])
    checked.verified = True  # an operator checked it
    empty_index.index([build_document(g, TODAY) for g in (plain, claims, checked)])

    assert [h.id for h in empty_index.search(SearchQuery(text="sisal weavers")).hits] == [3, 1, 2]
    assert [h.id for h in empty_index.search(SearchQuery()).hits] == [3, 1, 2]


def test_a_self_declared_claim_is_found_by_its_words_but_never_counts_as_verified(empty_index: SearchIndex) -> None:
    # Even with the verified flag set (by a mistake, or a row edited by hand), an "other" claim is the
    # group's own word: not a certification filter value, never among the verified ones.
    other = SimpleNamespace(scheme="other", name="Kenya Bureau of Standards mark", verified=True)
    wfto = SimpleNamespace(scheme="wfto", name="", verified=False)
    claimant = replace_certifications(
        group_row(1, "Kisii Soapstone Carvers", "Carved soapstone.", "home.woodcraft", ["soapstone"], ["carving"], "KE"),
        [other, wfto],
    )
    empty_index.index([build_document(claimant, TODAY)])

    hit = empty_index.search(SearchQuery(text="bureau standards")).hits[0]
    assert (hit.slug, hit.certifications, hit.verified_certifications) == ("group-1", ["wfto"], [])
    assert hit.self_declared_certifications == ["Kenya Bureau of Standards mark"]
    everything = empty_index.search(SearchQuery(size=10))
    assert facet(everything, "verified_certification") == {} and facet(everything, "certification") == {"wfto": 1}
    assert empty_index.search(SearchQuery(verified_certifications=("other",))).total == 0


def replace_certifications(row: SimpleNamespace, certifications: list[SimpleNamespace]) -> SimpleNamespace:
    row.certifications = certifications
    return row


def test_furniture_pet_products_and_home_decor_are_found_by_the_words_buyers_use(empty_index: SearchIndex) -> None:
    empty_index.index(
        [
            build_document(
                group_row(
                    1,
                    "Lamu Carpenters",
                    "Stools and benches from reclaimed dhow wood.",
                    "furniture.seating",
                    ["mango wood"],
                    ["carving"],
                    "KE",
                ),
                TODAY,
            ),
            build_document(
                group_row(2, "Dhaka Pet Crafts", "Woven jute beds for dogs and cats.", "pets.beds", ["jute"], ["weaving"], "BD"),
                TODAY,
            ),
            build_document(
                group_row(3, "Jaipur Blue Pottery", "Hand-painted vases.", "home.decor", ["quartz clay"], ["painting"], "IN"),
                TODAY,
            ),
            build_document(
                group_row(4, "Kantha Stitchers", "Quilts from old saris.", "textiles.bedding", ["cotton"], ["kantha"], "BD"),
                TODAY,
            ),
        ]
    )

    def first(text: str) -> int:
        return empty_index.search(SearchQuery(text=text)).hits[0].id

    assert first("furniture") == first("wooden stools") == first("muebles") == first("chaises") == 1
    assert first("pet beds") == first("dog bed") == first("mascotas") == 2
    assert first("vases") == first("home decor vases") == 3
    assert first("quilts") == first("bedding") == 4
    assert empty_index.search(SearchQuery(categories=("furniture",))).total == 1
    assert [h.id for h in empty_index.search(SearchQuery(categories=("pets.beds",))).hits] == [2]


def test_a_measured_record_orders_equal_matches_but_never_hides_or_buries(empty_index: SearchIndex) -> None:
    from marketplace.reputation.signals import Reputation

    record = Reputation(
        orders_completed=30,
        on_time_basis=30,
        on_time_rate=0.97,
        rfqs_received=40,
        response_rate=0.95,
        median_response_hours=5,
        repeat_buyers=6,
        review_count=12,
        review_average=4.8,
        review_score=4.8,
    )
    empty_index.index(
        [
            build_document(
                group_row(1, "Nyeri Weavers", "Sisal baskets.", "baskets.storage", ["sisal"], ["coiling"], "KE"), TODAY
            ),
            build_document(
                group_row(2, "Meru Weavers", "Sisal baskets.", "baskets.storage", ["sisal"], ["coiling"], "KE"), TODAY, record
            ),
            build_document(
                group_row(
                    3,
                    "Embu Weavers",
                    "Sisal baskets and more sisal baskets.",
                    "baskets.market",
                    ["sisal", "palm"],
                    ["twining"],
                    "KE",
                ),
                TODAY,
                record,
            ),
            build_document(
                group_row(4, "Kisumu Sisal Basket Weavers", "Sisal baskets.", "baskets.storage", ["sisal"], ["coiling"], "KE"),
                TODAY,
            ),
        ]
    )

    equal = [h.id for h in empty_index.search(SearchQuery(text="weavers", countries=("KE",), size=10)).hits]
    assert equal.index(2) < equal.index(1) and equal.index(3) < equal.index(4)  # equals: the measured record first
    assert sorted(equal) == [1, 2, 3, 4]  # nobody hidden: no record is a filter
    best = empty_index.search(SearchQuery(text="sisal basket weavers kisumu")).hits
    assert best[0].id == 4  # a better match beats any record
    hit = next(h for h in empty_index.search(SearchQuery(text="meru")).hits if h.id == 2)
    assert hit.reputation["on_time_basis"] == 30 and hit.reputation["is_new"] is False
    assert empty_index.search(SearchQuery(text="nyeri")).hits[0].reputation["is_new"] is True


def test_a_capability_title_is_searched_and_shown_as_why_it_matched(empty_index: SearchIndex) -> None:
    titled = group_row(1, "Sitapur Weavers", "", "textiles.throws", ["cotton"], [], "IN")
    titled.capabilities[0].title = "Handloom cotton throws, 130 × 170 cm"
    woven = group_row(2, "Ahmedabad Weavers", "", "textiles.throws", ["cotton"], [], "IN")
    woven.capabilities.append(
        SimpleNamespace(
            **{**vars(woven.capabilities[0]), "id": 21, "category": "textiles.table", "title": "Block-printed table runners"}
        )
    )
    untitled = group_row(3, "Panipat Weavers", "", "textiles.throws", ["cotton"], [], "IN")
    empty_index.index([build_document(g, TODAY) for g in (titled, woven, untitled)])

    handloom = empty_index.search(SearchQuery(text="handloom")).hits
    assert [h.id for h in handloom] == [1]  # the category's label says nothing of handlooms: only the title does
    assert [m.title for m in handloom[0].matches] == ["Handloom cotton throws, 130 × 170 cm"]
    runners = empty_index.search(SearchQuery(text="table runners")).hits
    assert [h.id for h in runners] == [2]
    assert [(m.category, m.title) for m in runners[0].matches] == [("textiles.table", "Block-printed table runners")]


@pytest.mark.parametrize(
    ("text", "units"),
    [("baskets", 20_000), ("alpaca scarvs", 20_000), ("kitui", 20_000), ("kitui baskets", 20_000), ("baskets", 10**9)],
)
def test_words_binding_capacity_cost_elasticsearch_one_search_when_they_find_groups(
    elasticsearch_catalogue, monkeypatch, text: str, units: int
) -> None:
    # Issue 19: finding the product words took a lookup over every capability in the index before (or,
    # in one msearch, beside) every such search. A search binding every word that finds a group proves
    # each word a product word, so it is sent alone; only a search that finds nothing looks them up.
    index = elasticsearch_catalogue
    query = SearchQuery(text=text, capacity=CapacityNeed(units, BY), size=50)
    planned = index.plan(query)
    expected = index.result(planned, index.client.search(index=index.alias, **index.body(planned)))
    searches: list[int] = []  # the searches Elasticsearch ran, per request
    perform = index.client.perform_request

    def counted(method: str, path: str, **kwargs):
        searches.append(len(kwargs["body"]) // 2 if path.endswith("/_msearch") else 1)
        return perform(method, path, **kwargs)

    monkeypatch.setattr(index.client, "perform_request", counted)
    result = index.search(query)

    every_word_a_product = len(planned.capability_words) == len(query.terms)
    if every_word_a_product:  # the planned search, then the lookup only if it found nothing
        assert searches == ([1] if expected.total else [1, 1])
    else:  # the search binding every word found nothing: the lookup, then the planned search
        assert searches == [1, 1, 1]
    assert (result.total, slugs(result), result.facets, result.next_cursor) == (
        expected.total,
        slugs(expected),
        expected.facets,
        expected.next_cursor,
    )
    assert [[(m.category, m.units_by_date) for m in h.matches] for h in result.hits] == [
        [(m.category, m.units_by_date) for m in h.matches] for h in expected.hits
    ]


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(text="baskets"),
        SearchQuery(materials=("sisal",)),
        SearchQuery(text="sisal baskets", capacity=CapacityNeed(500, BY)),
        SearchQuery(text="alpaca", near=Near(-13.5, -71.9), sort=Sort.DISTANCE),
    ],
)
def test_elasticsearch_sends_only_what_the_hits_show(elasticsearch_catalogue, catalogue_documents, query: SearchQuery) -> None:
    # Issue 19: each hit carried its whole document (bookkeeping, languages, capacity keys of every
    # week when no capacity was asked); now only what a hit shows. The hits are the same as from the whole documents.
    index = elasticsearch_catalogue
    response = index.client.search(index=index.alias, **index.body(query)).body
    assert response["hits"]["hits"]
    whole = {d["id"]: d for d in catalogue_documents}
    for hit in response["hits"]["hits"]:
        sent = hit["_source"]
        assert not {"version", "languages", "quality_boost", "indexed_on", "fresh_until"} & set(sent)
        assert all("weekly_capacity" not in c and "top_category" not in c for c in sent["capabilities"])
        assert all(("capacity_keys" in c) == bool(query.capacity) for c in sent["capabilities"])
        assert ("story" in sent) == bool(query.terms)
    from_whole = copy.deepcopy(response)
    for hit in from_whole["hits"]["hits"]:
        hit["_source"] = whole[hit["_source"]["id"]]
    assert index.result(query, response) == index.result(query, from_whole)
