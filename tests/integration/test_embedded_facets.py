"""The embedded backend's facets in one pass over the candidate groups (issue 19) count exactly what the
previous path counted (a facet with a selection re-ran the whole match without it), and the capacity
rows in their new shape answer "N units by date D" exactly as the documents' weekly keys (which
Elasticsearch indexes) say, on a generated federation of a few hundred groups."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from marketplace.bootstrap import wire_subscribers
from marketplace.cli import upgrade_database
from marketplace.db import make_engine
from marketplace.demo import generate_groups
from marketplace.outbox import events
from marketplace.producers.importer import SourceRecord, import_groups
from search.analysis import edit_distance, max_edits
from search.backends import make_index
from search.documents import UNITS_BITS, UNITS_MAX, capacity_key, capacity_key_range, instant_text, units_by
from search.embedded import (
    ARMS_PER_STATEMENT,
    DISTANCE_SQL,
    FACET_SIZE,
    MAX_EXPANSIONS,
    PAGES_AHEAD,
    EmbeddedIndex,
    _any_of,
    _bind,
    _facet_text,
    _restore_capacity_keys,
    capacity_line,
    capacity_runs,
)
from search.indexing import documents
from search.query import (
    FACETS,
    FIELD_WEIGHTS,
    FUZZY_SHARE,
    CapacityNeed,
    FacetValue,
    InvalidQuery,
    Near,
    Ranking,
    SearchQuery,
    SearchResult,
    Sort,
    TermMatcher,
    category_codes,
    decode_cursor,
    encode_cursor,
    is_relaxed,
    make_hit,
    selected_values,
)

TODAY = dt.date(2027, 1, 6)


class PreviousPath(EmbeddedIndex):
    """The embedded backend as it searched, scored words, read pages and counted facets before issue 19 (copied verbatim): the
    oracle."""

    # fmt: off
    def search(self, query: SearchQuery) -> SearchResult:
        if query.sort == Sort.DISTANCE and query.near is None:
            raise InvalidQuery("Sorting by distance needs a place to measure from.")
        connection = self._reader()
        query = self.plan(connection, query)
        self._capacity_met(connection, query)
        text = self._score_text(connection, query)
        params: dict[str, Any] = {}
        source, score = self._source(text)
        conditions = self._where(query, params)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        # The matching groups with their scores, once: the page is read from this set, and facets
        # whose own selection is empty count within it.
        sort_value, direction = self._sort_value(query, score, params)
        connection.execute("DROP TABLE IF EXISTS temp.matched")
        connection.execute(
            f"CREATE TEMP TABLE matched AS SELECT g.id AS id, {score} AS score, {sort_value} AS sort_value FROM {source} {where}",
            params,
        )
        total = connection.execute("SELECT COUNT(*) FROM temp.matched").fetchone()[0]
        hits, next_cursor = self._page(connection, query, direction)
        facets = self._facets(connection, query, text)
        return SearchResult(total=total, hits=hits, facets=facets, next_cursor=next_cursor, relaxed=is_relaxed(query, hits))

    @staticmethod
    def _matched_group_counts(connection: sqlite3.Connection, facets: set[str]) -> dict[str, list[tuple[Any, int]]]:
        """Count the group-level facets that have no selection of their own, in two passes over the matched set.

        Country and verified come from one GROUP BY over both columns; certification and verified
        certification from one over the matched groups' certificates. Returns (value, groups) pairs.
        """
        counts: dict[str, list[tuple[Any, int]]] = {}
        if facets & {"country", "verified"}:
            country: dict[Any, int] = defaultdict(int)
            verified: dict[Any, int] = defaultdict(int)
            for value, flag, n in connection.execute(
                "SELECT g.country, g.verified, COUNT(*) FROM temp.matched m JOIN groups g ON g.id = m.id GROUP BY "
                    "g.country, g.verified"
            ):
                country[value] += n
                verified[flag] += n
            counts["country"], counts["verified"] = list(country.items()), list(verified.items())
        if facets & {"certification", "verified_certification"}:
            rows = connection.execute(
                "SELECT gc.scheme, COUNT(DISTINCT gc.group_id), COUNT(DISTINCT CASE WHEN gc.verified = 1 THEN gc.group_id END) "
                "FROM group_certs gc WHERE gc.group_id IN (SELECT id FROM temp.matched) GROUP BY gc.scheme"
            ).fetchall()
            counts["certification"] = [(scheme, n) for scheme, n, _ in rows if n]
            counts["verified_certification"] = [(scheme, n) for scheme, _, n in rows if n]
        return {facet: values for facet, values in counts.items() if facet in facets}

    def _facets(self, connection: sqlite3.Connection, query: SearchQuery, text: bool) -> dict[str, list[FacetValue]]:
        """Every facet's counts: those without a selection within the matched set, the others each by its own query."""
        unselected = {facet for facet in FACETS if query.without(facet) == query}
        counted = self._matched_group_counts(connection, unselected)
        facets: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            if facet in counted:
                rows = sorted(counted[facet], key=lambda pair: (-pair[1], pair[0]))[:FACET_SIZE]
            else:
                rows = self._facet_rows(connection, query, facet, text)
            selected = selected_values(query, facet)
            facets[facet] = [
                FacetValue(_facet_text(facet, value), count, _facet_text(facet, value) in selected) for value, count in rows
            ]
        return facets

    def _facet_rows(self, connection: sqlite3.Connection, query: SearchQuery, facet: str, text: bool) -> list[tuple[Any, int]]:
        """Count one facet by its own query (a facet with a selection counts without it): (value, groups) rows, most first."""
        base = query.without(facet)
        params: dict[str, Any] = {"facet_size": FACET_SIZE}
        if base == query:  # nothing selected in this facet: count within the matched set
            source, where = "groups g", "WHERE g.id IN (SELECT id FROM temp.matched)"
        else:
            source, _ = self._source(text)
            conditions = self._where(base, params)
            where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        if facet in ("country", "verified", "certification", "verified_certification"):
            column, joins = {
                "country": ("g.country", ""),
                "verified": ("g.verified", ""),
                "certification": ("gc.scheme", " JOIN group_certs gc ON gc.group_id = g.id"),
                "verified_certification": ("gc.scheme", " JOIN group_certs gc ON gc.group_id = g.id AND gc.verified = 1"),
            }[facet]
            sql = f"SELECT {column} AS value, COUNT(DISTINCT g.id) AS n FROM {source}{joins} {where} GROUP BY value"
        else:
            # Count groups per value among the capabilities that meet the other capability filters,
            # driving from the set of matching groups (computed once) rather than joining per row.
            capability = self._capability_conditions(query, params, exclude=facet)
            groups = "SELECT id FROM temp.matched" if base == query else f"SELECT g.id FROM {source} {where}"
            cap_where = " AND ".join([f"c.group_id IN ({groups})", *capability])
            if facet == "material":
                sql = ("SELECT m.material AS value, COUNT(DISTINCT c.group_id) AS n FROM caps c JOIN cap_materials m ON "
                    "m.cap_id = c.id "
                       f"WHERE {cap_where} GROUP BY value")
            else:
                # Categories by their id in `codes` (the index's layout since SCHEMA_VERSION 16).
                sql = (f"SELECT k.value AS value, COUNT(DISTINCT c.group_id) AS n FROM caps c JOIN codes k ON k.id = c.category "
                       f"WHERE {cap_where} GROUP BY value")
        return connection.execute(f"{sql} ORDER BY n DESC, value ASC LIMIT :facet_size", params).fetchall()

    def _score_text(self, connection: sqlite3.Connection, query: SearchQuery) -> bool:
        """Score the groups with Python sets of FTS5 rowids, as before issue 19 summed them in SQLite."""
        connection.execute("DROP TABLE IF EXISTS temp.text_scores")
        terms = query.terms
        if not terms:
            return False
        ranking = Ranking(len(terms))
        found_exactly, found_at_all = ranking.exact_weight + ranking.match_weight, ranking.match_weight
        scores: dict[int, float] = defaultdict(float)
        for term in terms:
            variants = [v for v in self._expansions(connection, term) if v != term]
            exact_anywhere: set[int] = set()
            fuzzy_anywhere: set[int] = set()
            for column, weight in FIELD_WEIGHTS:
                exact = _rowids(connection, f'{{{column}}} : "{term}"')
                fuzzy = _rowids(connection, f"{{{column}}} : ({_any_of(variants)})") - exact if variants else set()
                for rowid in exact:
                    scores[rowid] += weight
                for rowid in fuzzy:
                    scores[rowid] += weight * FUZZY_SHARE
                exact_anywhere |= exact
                fuzzy_anywhere |= fuzzy
            for rowid in exact_anywhere:
                scores[rowid] += found_exactly
            for rowid in fuzzy_anywhere - exact_anywhere:
                scores[rowid] += found_at_all
        connection.execute("CREATE TEMP TABLE text_scores (id INTEGER PRIMARY KEY, score REAL NOT NULL)")
        connection.executemany("INSERT INTO temp.text_scores (id, score) VALUES (?, ?)", scores.items())
        return True

    # Capability filters as before the qualifying capabilities were written once per search (temp.cap_ok): each use
    # read the capabilities again, and capacity from temp.cap_ready.
    @staticmethod
    def _capability_conditions(query: SearchQuery, params: dict[str, Any], exclude: str | None = None) -> list[str]:
        conditions: list[str] = []
        if query.categories and exclude != "category":
            # Category and currency by their id in `codes`, the ready date as a day number (SCHEMA_VERSION 16's layout).
            categories = _bind(params, 'cat', category_codes(query.categories))
            conditions.append(f"c.category IN (SELECT k.id FROM codes k WHERE k.kind = 'category' AND k.value IN ({categories}))")
        if query.materials and exclude != "material":
            # IN, not a correlated EXISTS: the material's capabilities are read once, from its index.
            conditions.append(
                f"c.id IN (SELECT m.cap_id FROM cap_materials m WHERE m.material IN ({_bind(params, 'mat', query.materials)}))"
            )
        if query.max_lead_time is not None:
            params["max_lead"] = query.max_lead_time
            conditions.append("c.lead_time_days <= :max_lead")
        if query.max_moq is not None:
            params["max_moq"] = query.max_moq
            conditions.append("c.moq <= :max_moq")
        if query.price_min is not None or query.price_max is not None:
            params["currency"] = query.currency
            conditions.append("c.currency = (SELECT k.id FROM codes k WHERE k.kind = 'currency' AND k.value = :currency)")
            if query.price_max is not None:
                params["price_max"] = query.price_max
                conditions.append("c.price_min <= :price_max")
            if query.price_min is not None:
                params["price_min"] = query.price_min
                conditions.append("c.price_max >= :price_min")
        if query.capability_words:
            params["cap_words"] = " AND ".join(f"({_any_of(entry)})" for entry in query.capability_words)
            conditions.append("c.id IN (SELECT rowid FROM cap_fts WHERE cap_fts MATCH :cap_words)")
        if query.capacity:
            params["cap_by"] = query.capacity.by.toordinal()
            conditions.append("c.ready_on <= :cap_by")
            conditions.append("c.id IN (SELECT cap_id FROM temp.cap_ready)")  # see _capacity_met
        return conditions


    def _where(self, query: SearchQuery, params: dict[str, Any]) -> list[str]:
        conditions: list[str] = []
        if query.countries:
            conditions.append(f"g.country IN ({_bind(params, 'country', query.countries)})")
        if query.verified is not None:
            params["verified"] = int(query.verified)
            conditions.append("g.verified = :verified")
        if query.certifications:
            conditions.append(
                "EXISTS (SELECT 1 FROM group_certs gc WHERE gc.group_id = g.id AND gc.scheme IN "
                f"({_bind(params, 'cert', query.certifications)}))"
            )
        if query.verified_certifications:
            schemes = _bind(params, "vcert", query.verified_certifications)
            conditions.append(
                f"EXISTS (SELECT 1 FROM group_certs gc WHERE gc.group_id = g.id AND gc.verified = 1 AND gc.scheme IN ({schemes}))"
            )
        capability = self._capability_conditions(query, params)
        if capability:
            # IN, not a correlated EXISTS: SQLite evaluates the capability subquery once, from its indexes.
            conditions.append(f"g.id IN (SELECT c.group_id FROM caps c WHERE {' AND '.join(capability)})")
        if query.capacity and query.capacity.as_of:
            params["as_of"] = instant_text(query.capacity.as_of)
            conditions.append("g.fresh_until > :as_of")
        if query.near and query.near.km is not None:
            near = query.near
            # A bounding box on indexed columns first, then the exact great-circle distance.
            lat_span = near.km / 110.574
            lon_span = near.km / max(111.320 * math.cos(math.radians(near.lat)), 1e-6)
            params.update(
                near_lat=near.lat,
                near_lon=near.lon,
                near_km=near.km,
                lat_lo=near.lat - lat_span,
                lat_hi=near.lat + lat_span,
                lon_lo=near.lon - lon_span,
                lon_hi=near.lon + lon_span,
            )
            conditions.append("g.lat BETWEEN :lat_lo AND :lat_hi")
            if params["lon_lo"] >= -180 and params["lon_hi"] <= 180 and abs(near.lat) + lat_span < 89:
                conditions.append("g.lon BETWEEN :lon_lo AND :lon_hi")  # no box across the antimeridian or a pole
            conditions.append(f"{DISTANCE_SQL} <= :near_km")
        return conditions


    @staticmethod
    def _capacity_met(connection: sqlite3.Connection, query: SearchQuery) -> None:
        """The capabilities with the units by the date, once per search (hits, sort and facets all ask)."""
        connection.execute("DROP TABLE IF EXISTS temp.cap_ready")
        if query.capacity:
            # The week's units as Elasticsearch reads them from the keys (search.documents.capacity_key_range).
            low, _high = capacity_key_range(query.capacity.units, query.capacity.by)
            week, units = low >> UNITS_BITS, low & UNITS_MAX
            # Keyed by capability: `c.id IN cap_ready` is then a lookup, not an index built for each use.
            connection.execute("CREATE TEMP TABLE cap_ready (cap_id INTEGER PRIMARY KEY)")
            connection.execute(
                "INSERT OR IGNORE INTO temp.cap_ready SELECT cap_id FROM cap_runs "
                "WHERE last_week >= :week AND first_week <= :week AND base + step * (:week - first_week) >= :units ORDER "
                "BY cap_id",
                {"week": week, "units": units},
            )


    def _sort_value(self, query: SearchQuery, score: str, params: dict[str, Any]) -> tuple[str, str]:
        """The SQL for the sort key and its direction; the group id breaks ties, ascending."""
        if query.sort == Sort.RATING:
            return "COALESCE(g.rating, -1.0)", "DESC"
        if query.sort == Sort.LEAD_TIME:
            capability = self._capability_conditions(query, params)
            extra = f" AND {' AND '.join(capability)}" if capability else ""
            return f"(SELECT MIN(c.lead_time_days) FROM caps c WHERE c.group_id = g.id{extra})", "ASC"
        if query.sort == Sort.DISTANCE:
            params.update(near_lat=query.near.lat, near_lon=query.near.lon)
            return f"COALESCE({DISTANCE_SQL}, 1e9)", "ASC"
        return score, "DESC"


    def _page(self, connection: sqlite3.Connection, query: SearchQuery, direction: str) -> tuple[list, str | None]:
        """One page, joining every matched group's document before the sort (as before issue 19)."""
        params: dict[str, Any] = {"limit": query.size + 1}
        keyset = ""
        if query.after:
            value, last_id = decode_cursor(query.after)
            params.update(after_value=value, after_id=last_id)
            beyond = "<" if direction == "DESC" else ">"
            keyset = f"WHERE m.sort_value {beyond} :after_value OR (m.sort_value = :after_value AND m.id > :after_id)"
        rows = connection.execute(
            f"SELECT m.id, d.doc, m.score, m.sort_value FROM temp.matched m JOIN docs d ON d.id = m.id {keyset} "
            f"ORDER BY m.sort_value {direction}, m.id ASC LIMIT :limit",
            params,
        ).fetchall()
        matcher = TermMatcher(query.terms)
        docs = [json.loads(doc) for _id, doc, _score, _sort in rows[: query.size]]
        if query.capacity:
            _restore_capacity_keys(connection, docs, query.capacity.by)
        hits = [make_hit(doc, query, row[2], matcher) for doc, row in zip(docs, rows, strict=False)]
        next_cursor = encode_cursor([rows[query.size - 1][3], rows[query.size - 1][0]]) if len(rows) > query.size else None
        return hits, next_cursor
    # fmt: on


def _rowids(connection: sqlite3.Connection, match: str) -> set[int]:
    return {rowid for (rowid,) in connection.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,))}


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Documents of 400 generated groups (the demo generator's mix of countries, categories, certifications, capacity)."""
    wire_subscribers(events.bus)  # the importer announces each group (the outbox rows go unused here)
    folder = tmp_path_factory.mktemp("federation")
    url = f"sqlite:///{folder / 'groups.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        records = (SourceRecord([i + 1], g, unit="group") for i, g in enumerate(generate_groups(400, seed=19)))
        assert import_groups(session, records).errors == []
        docs = list(documents(session, TODAY))
    engine.dispose()
    return docs


@pytest.fixture(scope="module")
def indexes(federation: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddedIndex, EmbeddedIndex]:
    path = tmp_path_factory.mktemp("index") / "search.db"
    current = EmbeddedIndex(path)
    current.rebuild(federation)
    return current, PreviousPath(path)


def _selections(federation: list[dict[str, Any]]) -> list[SearchQuery]:
    """Queries selecting in every facet, alone and together, with and without words and other filters."""
    by = TODAY + dt.timedelta(weeks=14)

    def common(values: Any, n: int) -> list[Any]:
        return [value for value, _count in Counter(values).most_common(n)]

    countries = common((d["country"] for d in federation), 2)
    categories = common((c["category"] for d in federation for c in d["capabilities"]), 1)
    materials = common((m for d in federation for c in d["capabilities"] for m in c["materials"]), 3)
    schemes = [scheme for scheme, _n in Counter(c for d in federation for c in d["certifications"]).most_common(2)]
    checked = [scheme for scheme, _n in Counter(c for d in federation for c in d["verified_certifications"]).most_common(1)]
    selections = {
        "countries": [(), (countries[0],), tuple(countries[:2])],
        "categories": [(), (categories[0].split(".")[0],), (categories[0],)],
        "materials": [(), (materials[0],), tuple(materials[:3])],
        "certifications": [(), (schemes[0],)],
        "verified_certifications": [(), tuple(checked)],
        "verified": [None, True],
    }
    queries = []
    for n, values in enumerate(itertools.product(*selections.values())):
        chosen = dict(zip(selections, values, strict=True))
        if n % 3:  # every third combination in full, the rest with the other filters in turn
            extra = [
                {"text": "baskets"},
                {"capacity": CapacityNeed(300, by)},
                {"max_lead_time": 40, "sort": Sort.LEAD_TIME},
                {"text": "weavers", "max_moq": 200},
            ][n % 4]
            chosen |= extra
        queries.append(SearchQuery(size=10, **chosen))
    return queries


def _shape(result: SearchResult) -> tuple[Any, ...]:
    return (
        result.total,
        [hit.id for hit in result.hits],
        result.next_cursor,
        {facet: [(v.value, v.count, v.selected) for v in values] for facet, values in result.facets.items()},
    )


def test_facets_in_one_pass_count_what_the_previous_path_counted(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    current, previous = indexes
    queries = _selections(federation)
    assert len(queries) == 216
    selected_somewhere = 0
    for query in queries:
        now, before = _shape(current.search(query)), _shape(previous.search(query))
        assert now == before, query
        selected_somewhere += any(selected_values(query, facet) and now[3][facet] for facet in FACETS) and now[0] > 0
    assert selected_somewhere >= 40  # comparisons with matched groups and counts for a facet with a selection


def _deliverable(federation: list[dict[str, Any]], units: int, by: dt.date) -> dict[int, int]:
    """Group id → the most units one of its capabilities can deliver by `by`, read from the documents' weekly keys."""
    best: dict[int, int] = defaultdict(int)
    for doc in federation:
        for capability in doc["capabilities"]:
            can = units_by(capability["capacity_keys"], capability["ready_on"], by)
            if can >= units:
                best[doc["id"]] = max(best[doc["id"]], can)
    return dict(best)


@pytest.mark.parametrize("weeks", [1, 2, 5, 9, 14, 26, 40, 60])
def test_units_by_date_match_the_documents_weekly_keys(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex], weeks: int
) -> None:
    current, _previous = indexes
    for units in (1, 50, 400, 2_000, 10_000, 60_000):
        for by in (TODAY + dt.timedelta(weeks=weeks), TODAY + dt.timedelta(weeks=weeks, days=3)):
            expected = _deliverable(federation, units, by)
            result = current.search(SearchQuery(capacity=CapacityNeed(units, by), size=500))
            assert result.total == len(expected), (units, by)
            shown = {hit.id: max(c.units_by_date or 0 for c in hit.matches) for hit in result.hits}
            assert shown == expected, (units, by)


def test_capacity_runs_unfold_to_the_weekly_keys_in_far_fewer_rows(federation: list[dict[str, Any]]) -> None:
    keys = runs = 0
    for doc in federation:
        for capability in doc["capabilities"]:
            folded = capacity_runs(capability["capacity_keys"])
            unfolded = [
                capacity_key(w, base + step * (w - first)) for first, last, base, step in folded for w in range(first, last + 1)
            ]
            assert unfolded == capability["capacity_keys"]
            keys, runs = keys + len(capability["capacity_keys"]), runs + len(folded)
    assert runs * 10 < keys, (runs, keys)


def _typo(word: str) -> str:
    """The word with its last two letters swapped (one edit away under the typo rule), e.g. basket → baskte."""
    return word[:-2] + word[-1] + word[-2]


def test_words_score_and_page_as_the_previous_path(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Scores summed in SQLite (issue 19) equal the previous Python sums, exactly and page by page: exact words,
    typos (a word found only by its variants), words beside their own variants, several words, and more words
    than one statement's lookups."""
    current, previous = indexes
    counts = Counter(t for d in federation for field, _w in FIELD_WEIGHTS for t in d[field].split() if len(t) >= 6)
    vocabulary = set(counts)
    words = [word for word, _n in counts.most_common(60)]
    typos = [typo for typo in map(_typo, words[:12]) if typo not in vocabulary]
    many = " ".join(words[:50])
    assert len(SearchQuery(text=many).terms) * 5 > ARMS_PER_STATEMENT  # each word: four fields and anywhere
    # Words whose typo variants stand beside them in one field of some group (plait and plant): found exactly there, not twice.
    connection = current._reader()
    fields = [set(d[field].split()) for d in federation for field, _w in FIELD_WEIGHTS]
    neighbours = [
        word
        for word, _n in counts.most_common() + Counter(t for f in fields for t in f if len(t) == 5).most_common()
        if any(word in f and f & set(current._expansions(connection, word)[1:]) for f in fields)
    ][:3]
    assert neighbours
    texts = [*words[:6], *typos[:6], *neighbours, " ".join(words[:3]), f"{typos[0]} {words[7]}", many]
    found_by_typo = 0
    for text in texts:
        for extra in ({}, {"sort": Sort.RATING}, {"max_moq": 300}):
            query = SearchQuery(text=text, size=7, **extra)
            for _page in range(3):  # the first pages, each after the cursor the previous one gave
                now, before = current.search(query), previous.search(query)
                assert _shape(now) == _shape(before), query
                assert [hit.score for hit in now.hits] == [hit.score for hit in before.hits], query
                found_by_typo += text in typos and now.total > 0
                if now.next_cursor is None:
                    break
                query = SearchQuery(text=text, size=7, after=now.next_cursor, **extra)
    assert found_by_typo >= 3  # typos found groups through their variants


def _variants_by_vocab(connection: sqlite3.Connection, term: str) -> list[str]:
    """A word's typo variants read from fts5vocab, as before issue 19 kept the indexed terms in a table of their own."""
    edits = max_edits(term)
    if edits == 0:
        return [term]
    candidates = connection.execute(
        "SELECT term FROM vocab WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
        (term[0], term[0] + "\U0010ffff", len(term) - edits, len(term) + edits),
    ).fetchall()
    scored = sorted(
        (distance, candidate) for (candidate,) in candidates if (distance := edit_distance(term, candidate, edits)) <= edits
    )
    return [term] + [c for _, c in scored[:MAX_EXPANSIONS] if c != term]


def test_typo_variants_are_the_terms_the_index_holds_after_rebuilds_writes_and_deletes(
    federation: list[dict[str, Any]], tmp_path: Path
) -> None:
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(federation[:20])
    index.index(federation[20:])  # written one by one: most of their terms come from the write path
    connection = index._reader()

    def check() -> int:
        held = [term for (term,) in connection.execute("SELECT term FROM vocab")]
        words = [*held, *(_typo(term) for term in held if len(term) >= 5)]
        for word in words:
            assert index._expansions(connection, word) == _variants_by_vocab(connection, word), word
        return len(held)

    before = check()
    for doc in federation[40:]:
        index.delete(doc["id"], doc["version"])
    after = check()  # the terms only the deleted groups held are kept in the table but no longer offered
    assert after < before
    assert connection.execute("SELECT COUNT(*) FROM terms").fetchone()[0] == before


def test_facets_without_a_capability_filter_read_no_capability_or_certificate_rows(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: category, material and certification counts come from the groups' value sets, one GROUP BY over the
    matched groups, where they read every matched group's capabilities, materials and certificates (27k groups at 100k)."""
    current, previous = indexes
    connection = current._reader()
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        country = Counter(d["country"] for d in federation).most_common(1)[0][0]
        for query in (SearchQuery(text="baskets"), SearchQuery(countries=(country,), verified=False), SearchQuery()):
            statements.clear()
            current._readers.kept = None  # afresh
            result = current.search(query)
            assert result.facets["category"] and result.facets["material"] and result.facets["certification"]
            read = " ".join(statements)
            for table in ("caps", "cap_materials", "group_certs"):
                assert f"FROM {table} " not in read and f"JOIN {table} " not in read, (query, table)
    finally:
        connection.set_trace_callback(None)
    assert _shape(current.search(SearchQuery(text="baskets"))) == _shape(previous.search(SearchQuery(text="baskets")))


def test_facets_group_the_matched_groups_by_one_facet_set(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: the matched groups and candidates carry one facet-set number, and the facets count them by it, where they
    grouped every matched row by country, verified flag and three value sets (a sort on five columns: a third of a text
    search at 100,000 groups). Each group is added to its set's counts as it comes (temp.facet_counts, keyed by set),
    with no GROUP BY, which sorted every matched group for a few hundred sets (17.4 -> 10.9 ms for 80,539 groups at
    300,000). Same facets as the previous path, with and without selections."""
    current, previous = indexes
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    scheme = Counter(s for d in federation for s in d["certifications"]).most_common(1)[0][0]
    queries = (
        SearchQuery(text="baskets"),
        SearchQuery(text="baskets", countries=(country,), certifications=(scheme,)),
        SearchQuery(text="baskets", categories=(category,), certifications=(scheme,)),
        SearchQuery(verified=False, max_moq=500),
        SearchQuery(near=Near(-1.29, 36.82, 800), categories=(category.split(".")[0],)),
    )
    groupings = []
    for query in queries:
        result, statements = _traced_search(current, query)
        assert _shape(result) == _shape(previous.search(query)), query
        sorted_groups = [s for s in statements if re.search(r"FROM temp\.(?:matched|candidates)(?: k)? GROUP BY", s)]
        counts = [
            s
            for s in statements
            if re.match(
                r"INSERT INTO temp\.facet_counts \(facets, [n0-9, ]+\) SELECT k\.facets, .+ FROM temp\.(?:matched|candidates) k "
                r"WHERE 1 ON CONFLICT \(facets\) DO UPDATE",
                s,
            )
        ]
        assert counts and not sorted_groups, (query, counts, sorted_groups)
        groupings.append(len(counts))
        columns = [row[1] for row in current._reader().execute("PRAGMA temp.table_info(matched)")]
        assert columns == ["id", "score", "sort_value", "facets"]
    assert sum(groupings) == len(queries)  # one pass each
    connection = current._reader()
    assert connection.execute("SELECT COUNT(*) FROM facet_sets").fetchone()[0] < len(federation)
    stored = connection.execute(
        "SELECT COUNT(*) FROM groups g JOIN facet_sets s ON s.id = g.facets WHERE (s.country, s.verified, s.certifications, "
        "s.categories, s.materials) = (g.country, g.verified, g.certifications, g.categories, g.materials)"
    ).fetchone()[0]
    assert stored == len(federation)


def test_category_and_material_facets_count_from_pairs_when_the_other_is_their_only_capability_filter(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: with a category picked, the material facet counts the groups by the (category, material) pairs of their
    capabilities, held as one value set in their facet set, and so does the category facet with a material picked;
    they read every counted group's capabilities and materials (46,000 rows at 100,000 groups). With another capability
    filter (lead time here) they still read the capabilities. Same facets as the previous path."""
    current, previous = indexes
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    material = Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(1)[0][0]
    from_pairs = (
        SearchQuery(text="baskets", categories=(category.split(".")[0],)),
        SearchQuery(categories=(category,), materials=(material,), sort=Sort.RATING),
        SearchQuery(materials=(material,), countries=(country,)),
        SearchQuery(text="baskets", categories=(category.split(".")[0],), materials=(material,), verified=False),
        SearchQuery(categories=(category.split(".")[0],), countries=(country,)),
    )
    for query in (*from_pairs, SearchQuery(categories=(category,), materials=(material,), max_lead_time=60)):
        result, statements = _traced_search(current, query)
        assert _shape(result) == _shape(previous.search(query)), query
        assert result.facets["category"] and result.facets["material"], query
        counted_from_capabilities = [s for s in statements if "COUNT(DISTINCT c.group_id)" in s]
        assert (not counted_from_capabilities) == (query in from_pairs), (query, counted_from_capabilities)


def test_a_place_lists_its_groups_from_the_location_index_and_answers_as_the_previous_path(
    federation: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Issue 19: without words, the groups near a place are listed from the covering index on (lat, lon), box and
    distance, and then read in id order, where they were read in latitude order (each group's row, capabilities and
    certificates at random: 80 ms for a place and a category at 100,000 groups). With words, each of the words' groups
    is checked against the box. Same pages and facets as the previous path, near the antimeridian and a pole too, and
    for a group without a place."""
    docs = [dict(doc) for doc in federation]
    for doc, (lat, lon) in zip(docs, [(0.5, 179.95), (0.6, -179.9), (88.5, 10.0), (-89.0, -120.0)], strict=False):
        doc["location"] = {"lat": lat, "lon": lon}
    docs[4]["location"] = None
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(docs)
    previous = PreviousPath(index.path)
    located = [doc["location"] for doc in docs[5:] if doc["location"]]
    places = [Near(p["lat"], p["lon"], km) for p, km in zip(located[::60], (5, 60, 300, 1_200, 4_000, 20_000), strict=False)]
    places += [Near(0.5, 179.9, 100), Near(88.0, 0.0, 500), Near(-1.29, 36.82)]
    category = Counter(c["category"] for d in docs for c in d["capabilities"]).most_common(1)[0][0]
    checked = 0
    for near in places:
        for query in (
            SearchQuery(near=near, size=7),
            SearchQuery(near=near, sort=Sort.DISTANCE, size=7),
            SearchQuery(text="baskets", near=near, sort=Sort.DISTANCE, size=7),
            SearchQuery(near=near, categories=(category.split(".")[0],), size=7),
            SearchQuery(near=near, verified=False, sort=Sort.RATING, size=7),
            SearchQuery(near=near, capacity=CapacityNeed(300, TODAY + dt.timedelta(weeks=14)), sort=Sort.DISTANCE, size=7),
        ):
            for _page in range(2):
                now, statements = _traced_search(index, query)
                assert _shape(now) == _shape(previous.search(query)), query
                listed = any("FROM groups l INDEXED BY ix_groups_location" in s for s in statements)
                assert listed == (near.km is not None and not query.terms and not query.capacity), query
                checked += now.total
                if now.next_cursor is None:
                    break
                query = replace(query, after=now.next_cursor)
    assert checked > 0


def test_value_sets_follow_documents_written_changed_and_deleted(federation: list[dict[str, Any]], tmp_path: Path) -> None:
    """The value sets a group's row names are kept by the write path too: facets equal the previous path's after
    writes one by one, a new version with other capabilities and certifications, and deletes."""
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(federation[:50])
    index.index(federation[50:])
    changed = []
    for doc in federation[:40]:  # swap capabilities and certifications between neighbours, as a new version
        other = federation[(doc["id"] * 7) % len(federation)]
        changed.append(
            doc
            | {
                "version": doc["version"] + 1,
                "capabilities": [c | {"id": c["id"] + 10_000_000} for c in other["capabilities"]],
                "certifications": other["certifications"],
                "verified_certifications": other["verified_certifications"],
            }
        )
    assert index.index(changed) == 40
    for doc in federation[100:130]:
        index.delete(doc["id"], doc["version"])
    previous = PreviousPath(index.path)
    for query in [*_selections(federation)[::9], SearchQuery(), SearchQuery(text="baskets")]:
        assert _shape(index.search(query)) == _shape(previous.search(query)), query


def test_a_reader_maps_the_whole_index_file_when_it_outgrows_the_default(
    federation: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: at 300,000 groups the file (about 560 MB) outgrew the fixed 256 MB map; here the default is made smaller
    than a small file instead."""
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(federation[:100])
    size = index.path.stat().st_size
    monkeypatch.setattr("search.embedded.MMAP_BYTES", 4096)
    mapped = index._reader().execute("PRAGMA mmap_size").fetchone()[0]
    assert mapped >= size > 4096


@pytest.mark.parametrize("sort", [Sort.RELEVANCE, Sort.RATING])
def test_the_opening_search_page_reads_its_page_from_an_index_and_answers_as_the_previous_path(
    indexes: tuple[EmbeddedIndex, EmbeddedIndex], sort: Sort
) -> None:
    """Issue 19: with no words, filter or selection every group matches; the page and facets are read from indexes,
    where every group was copied into a matched set and sorted (100,000 rows to show 20). Same pages, cursors and facets."""
    current, previous = indexes
    query = SearchQuery(sort=sort, size=15)
    for _page in range(4):
        now, statements = _traced_search(current, query)
        assert not [s for s in statements if "temp." in s or "TEMP" in s]
        assert _shape(now) == _shape(previous.search(query)), query
        assert [hit.score for hit in now.hits] == [hit.score for hit in previous.search(query).hits]
        query = replace(query, after=now.next_cursor)
    # Any word, filter or selection takes the matched-set path.
    for other in (
        SearchQuery(text="baskets"),
        SearchQuery(verified=True),
        SearchQuery(max_moq=100),
        SearchQuery(sort=Sort.LEAD_TIME),
    ):
        result, statements = _traced_search(current, other)
        assert any("temp.matched" in s for s in statements), other
        assert _shape(result) == _shape(previous.search(other)), other


def test_one_selection_over_the_whole_federation_writes_no_candidates_and_answers_as_the_previous_path(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: a category or a country picked on the opening page counts its own facet over every group from the
    covering index, where every group was written as a candidate with its flags."""
    current, previous = indexes
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    material = Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(1)[0][0]
    scheme = Counter(s for d in federation for s in d["certifications"]).most_common(1)[0][0]
    queries = [
        SearchQuery(countries=(country,), size=7),
        SearchQuery(categories=(category,), sort=Sort.RATING, size=7),
        SearchQuery(categories=(category.split(".")[0],), size=7),
        SearchQuery(materials=(material,), size=7),
        SearchQuery(certifications=(scheme,), size=7),
        SearchQuery(verified=True, size=7),
    ]
    for query in queries:
        for _page in range(3):
            now, statements = _traced_search(current, query)
            assert not [s for s in statements if "INSERT INTO temp.candidates" in s], query
            assert _shape(now) == _shape(previous.search(query)), query
            if now.next_cursor is None:
                break
            query = replace(query, after=now.next_cursor)


def _capacity_queries(federation: list[dict[str, Any]]) -> list[SearchQuery]:
    """Capacity needs with every other capability filter, facet selection and sort they meet in a search."""
    by = TODAY + dt.timedelta(weeks=14)
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    materials = [m for m, _n in Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(2)]
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    located = next(d["location"] for d in federation if d["location"])
    need, big = CapacityNeed(300, by), CapacityNeed(3_000, TODAY + dt.timedelta(weeks=30))
    return [
        SearchQuery(capacity=need, size=9),
        SearchQuery(capacity=big, size=9, sort=Sort.RATING),
        SearchQuery(capacity=need, categories=(category,), size=9),
        SearchQuery(capacity=need, categories=(category.split(".")[0],), max_lead_time=45, size=9),
        SearchQuery(capacity=need, materials=tuple(materials), size=9),
        SearchQuery(capacity=need, categories=(category.split(".")[0],), materials=(materials[0],), size=9),
        SearchQuery(capacity=big, categories=(category.split(".")[0],), sort=Sort.LEAD_TIME, size=9),
        SearchQuery(capacity=need, materials=(materials[1],), sort=Sort.LEAD_TIME, max_moq=300, size=9),
        SearchQuery(capacity=need, max_moq=500, price_max=8, size=9),
        SearchQuery(capacity=need, price_min=2, countries=(country,), size=9),
        SearchQuery(text="baskets", capacity=need, size=9),
        SearchQuery(text="baskets", capacity=need, categories=(category,), materials=(materials[0],), size=9),
        SearchQuery(text="weavers", capacity=big, max_lead_time=60, verified=True, size=9),
        SearchQuery(capacity=need, near=Near(located["lat"], located["lon"], 2_000), sort=Sort.DISTANCE, size=9),
        SearchQuery(capacity=replace(need, as_of=dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)), size=9),
    ]


def _traced_search(index: EmbeddedIndex, query: SearchQuery) -> tuple[SearchResult, list[str]]:
    """Search `index` for `query` afresh, not from the matched set its reader kept; return the result and the SQL
    statements its reader ran."""
    connection = index._reader()
    index._readers.kept = None
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        return index.search(query), statements
    finally:
        connection.set_trace_callback(None)


def _scans_per_row(connection: sqlite3.Connection, statement: str, table: str) -> list[str]:
    """The steps of the statement's plan that scan `table` inside a correlated subquery (once per outer row).

    The statement is planned with NULL for its parameters (its plan does not depend on their values here)."""
    names = {name for name in re.findall(r"\bFROM (\S+) (\w+)\b", statement) if name[0] == table}
    aliases = {alias for _name, alias in names} | {table}
    placeholders = re.sub(r"'[^']*'", "NULL", statement)
    plan = {row[0]: (row[1], row[3]) for row in connection.execute(f"EXPLAIN QUERY PLAN {placeholders}")}
    scans = []
    for parent, detail in plan.values():
        step = re.match(r"(SCAN|SEARCH) (\S+)", detail)
        # A SEARCH with no constraint in brackets walks the whole key: a scan in the key's order.
        if step and step[2] in aliases and (step[1] == "SCAN" or "(" not in detail):
            while parent in plan:
                parent, above = plan[parent]
                if above.startswith("CORRELATED"):
                    scans.append(detail)
                    break
    return scans


def test_capacity_searches_read_the_capabilities_once_and_answer_as_the_previous_path(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: with a capacity need, the capabilities meeting it and the other capability filters are read in one
    statement (temp.cap_ok), where the candidates, each selection's flag, the category and material facets and the
    lead-time sort each read them again; one selection of category or material is counted there, with no candidates
    written. Same totals, pages, cursors, scores and facets over three pages."""
    current, previous = indexes
    connection = current._reader()
    compared = with_selection = single = 0
    for query in _capacity_queries(federation):
        for _page in range(3):
            now, statements = _traced_search(current, query)
            reading = [s for s in statements if re.search(r"\bcaps c\b", s)]
            # A single category's search over every group also counts its category facet over all capabilities (see
            # test_a_single_categorys_capacity_search_writes_only_its_capabilities).
            counting = [s for s in reading if s.startswith("SELECT c.category AS value, COUNT(DISTINCT c.group_id)")]
            assert len(reading) - len(counting) == 1 and len(counting) <= 1, (query, reading)
            for statement in statements:  # no lookup into temp.cap_ok per outer row scans it: nothing quadratic
                if "temp.cap_ok" in statement and not statement.startswith(("CREATE", "INSERT INTO temp.cap_ok")):
                    assert not _scans_per_row(connection, statement, "temp.cap_ok"), (query, statement)
            if (query.categories, query.materials, query.countries, query.verified) in (
                (query.categories, (), (), None),
                ((), query.materials, (), None),
            ):  # one selection, of a capability facet: counted among temp.cap_ok's groups, no candidates written
                assert not [s for s in statements if "INSERT INTO temp.candidates" in s], query
                single += 1
            before = previous.search(query)
            assert _shape(now) == _shape(before), query
            assert [(h.score, [(c.category, c.units_by_date) for c in h.matches]) for h in now.hits] == [
                (h.score, [(c.category, c.units_by_date) for c in h.matches]) for h in before.hits
            ], query
            compared += 1
            with_selection += bool(query.categories or query.materials) and now.total > 0
            if now.next_cursor is None:
                break
            query = replace(query, after=now.next_cursor)
    assert compared >= 30 and with_selection >= 8 and single >= 8, (compared, with_selection, single)


def test_candidates_are_the_groups_some_facet_counts(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: with a category and a material selected on the opening page, the candidates written are the groups
    meeting one of the two (each facet counts among those meeting the other), where every group was written."""
    current, previous = indexes
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    material = Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(1)[0][0]
    query = SearchQuery(categories=(category,), materials=(material,), sort=Sort.RATING, size=8)
    either = {
        d["id"]
        for d in federation
        if any(c["category"] == category for c in d["capabilities"]) or any(material in c["materials"] for c in d["capabilities"])
    }
    assert 0 < len(either) < len(federation) / 2
    now = current.search(query)
    assert {id_ for (id_,) in current._reader().execute("SELECT id FROM temp.candidates")} == either
    assert _shape(now) == _shape(previous.search(query))


def test_capacity_lines_bound_every_weeks_units_and_leave_few_capabilities_between_them(
    federation: list[dict[str, Any]],
) -> None:
    """Issue 19: each capability's two parallel lines (caps.low and caps.high, at its pace) hold its units in every
    week of its keys, so a capability above the low line or below the high one is decided without reading its runs;
    for the units and dates searches ask, few lie in between."""
    lines, horizon = [], set()
    for doc in federation:
        for capability in doc["capabilities"]:
            first, last, pace, low, high = line = capacity_line(capacity_runs(capability["capacity_keys"]))
            assert low is not None and [key >> UNITS_BITS for key in capability["capacity_keys"]] == list(range(first, last + 1))
            for key in capability["capacity_keys"]:
                week, units = key >> UNITS_BITS, key & UNITS_MAX
                assert low + pace * (week - first) <= units <= high + pace * (week - first), (capability["id"], week)
            lines.append(line)
            horizon.add(first)
    assert capacity_line([]) == (None,) * 5
    # Weeks missing between runs: no week is sure from the line.
    assert capacity_line([(10, 11, 5, 5), (13, 20, 20, 5)])[3] is None
    between = held = 0
    for weeks, units in itertools.product((2, 5, 14, 30), (50, 300, 2_000, 10_000)):
        week = capacity_key_range(units, TODAY + dt.timedelta(weeks=weeks))[0] >> UNITS_BITS
        for first, last, pace, low, high in lines:
            if first <= week <= last:
                held += 1
                between += low + pace * (week - first) < units <= high + pace * (week - first)
    assert held > 1_000 and between * 10 < held, (between, held)


def test_capacity_searches_read_no_capacity_run_but_those_between_the_lines(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: no statement of a capacity search scans cap_runs (every capability's runs were read, 475k rows at
    100,000 groups): a capability's runs are looked up only when its lines leave its units in doubt. Over every
    group, the capabilities are read from a covering index in temp.cap_ok's key order (category, group, capability),
    so its rows are appended, not sorted in."""
    current, _previous = indexes
    connection = current._reader()
    over_every_group = 0
    for query in _capacity_queries(federation):
        _result, statements = _traced_search(current, query)
        for statement in statements:
            if statement.startswith(("--", "DROP", "CREATE")):
                continue
            aliases = {"cap_runs", *re.findall(r"\bcap_runs (?:AS )?(\w+)", statement)} - {"WHERE", "INDEXED"}
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
            assert not [step for step in plan if re.match(r"SCAN (\w+)", step) and step.split()[1] in aliases], statement
            if statement.startswith("INSERT INTO temp.cap_ok") and "c.group_id IN (SELECT" not in statement:
                over_every_group += 1
                [step] = [step for step in plan if re.match(r"(SCAN|SEARCH) c\b", step)]
                # All of it, or the ranges of the selected categories (category=?), in key order either way.
                index = re.fullmatch(
                    r"(?:SCAN c USING COVERING INDEX (\w+)|SEARCH c USING COVERING INDEX (\w+) \(category=\?\))", step
                )
                assert index, step
                key = [row[2] for row in connection.execute(f"PRAGMA index_info({index[1] or index[2]})")][:3]
                assert key == ["category", "group_id", "id"] and not [s for s in plan if "TEMP B-TREE" in s], plan
    assert over_every_group >= 8, over_every_group


def test_selection_flags_are_answered_by_the_facet_sets_without_another_capability_filter(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: a candidate's flags for a selected certification, category or material (when no other capability filter
    applies) are read from its facet set, where they read its certificates and every capability of the selected
    categories and materials (30,000 rows for one category at 100,000 groups). Same pages and facets as the previous path."""
    current, previous = indexes
    connection = current._reader()
    flagged = by_pairs = 0
    for query in _selections(federation):
        planned = current.plan(connection, query)
        if planned.capacity or current._fixed_capability_conditions(planned, {}):
            continue
        now, statements = _traced_search(current, query)
        written = [s for s in statements if s.startswith("INSERT INTO temp.candidates")]
        for statement in written:
            for table in ("caps", "cap_materials", "group_certs"):
                assert f"FROM {table} " not in statement and f"JOIN {table} " not in statement, (query, statement)
        flagged += bool(written) and now.total > 0
        by_pairs += bool(written) and bool(query.categories and query.materials) and now.total > 0
        assert _shape(now) == _shape(previous.search(query)), query
    assert flagged >= 20 and by_pairs >= 8, (flagged, by_pairs)


def test_words_scores_are_added_up_without_sorting_the_looked_up_rows(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: each row a word's lookups give is added to its group's score as it comes, where a GROUP BY sorted every
    row first (85,000 rows for "recycled brass jewelry" at 100,000 groups). Same scores as the previous path, with more
    lookups than one statement holds."""
    current, previous = indexes
    connection = current._reader()
    words = [w for w, _n in Counter(t for d in federation for t in d["capability_terms"].split() if len(t) >= 6).most_common(50)]
    scored = 0
    for text in (words[0], f"{words[1]} {words[2]}", _typo(words[3]), " ".join(words)):
        query = SearchQuery(text=text, size=10)
        now, statements = _traced_search(current, query)
        for statement in [s for s in statements if s.startswith("INSERT INTO temp.text_scores")]:
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
            assert not [step for step in plan if "TEMP B-TREE" in step], (text, plan)
            scored += 1
        before = previous.search(query)
        assert _shape(now) == _shape(before) and [h.score for h in now.hits] == [h.score for h in before.hits], text
    assert scored >= 5, scored


def test_a_single_categorys_capacity_search_writes_only_its_capabilities(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: with one category selected and units by a date over every group, temp.cap_ok holds only that category's
    capabilities, and its category facet counts all categories' capabilities in one aggregate over the covering index
    (no temporary sort for its GROUP BY), where every category's qualifying capabilities were written (90,000 rows at
    100,000 groups, to show 7,000). Same pages and facets as the previous path, with the lead-time sort and a lead time."""
    current, previous = indexes
    connection = current._reader()
    by = TODAY + dt.timedelta(weeks=14)
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    queries = [
        SearchQuery(capacity=CapacityNeed(300, by), categories=(category,), size=9),
        SearchQuery(capacity=CapacityNeed(300, by), categories=(category.split(".")[0],), max_lead_time=45, size=9),
        SearchQuery(capacity=CapacityNeed(1_000, by), categories=(category.split(".")[0],), sort=Sort.LEAD_TIME, size=9),
    ]
    for query in queries:
        codes = set(category_codes(query.categories))
        for _page in range(2):
            now, statements = _traced_search(current, query)
            named = "SELECT DISTINCT k.value FROM temp.cap_ok c JOIN codes k ON k.id = c.category"  # categories by id
            written = {row[0] for row in connection.execute(named)}
            assert written and written <= codes, (query, written)
            [count] = [s for s in statements if s.startswith("SELECT c.category AS value, COUNT(DISTINCT c.group_id)")]
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {count}")]
            assert "SCAN c USING COVERING INDEX ix_caps_capacity" in plan and not [s for s in plan if "GROUP BY" in s], plan
            assert len(now.facets["category"]) > len(codes)
            assert _shape(now) == _shape(previous.search(query)), query
            query = replace(query, after=now.next_cursor)


def test_words_bound_to_capabilities_list_them_once_per_search(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: when the words bind the capability filters (a material, lead time, MOQ or price with words), the
    capabilities holding them are listed from cap_fts once, into temp.cap_ok, where the candidates, each selection's flag
    and the category and material facets each listed them again (four lists of 10,700 capabilities for "jute" at 100,000
    groups). So with a place and a MOQ. Same pages, cursors and facets as the previous path over two pages."""
    current, previous = indexes
    connection = current._reader()
    material = Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(1)[0][0]
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    located = next(d["location"] for d in federation if d["location"])
    queries = [
        SearchQuery(text=material, materials=(material,), countries=(country,), size=8),
        SearchQuery(text="baskets", max_lead_time=40, size=8),
        SearchQuery(text="baskets", max_moq=300, sort=Sort.LEAD_TIME, size=8),
        SearchQuery(text=material, price_max=8, materials=(material,), size=8),
        SearchQuery(near=Near(located["lat"], located["lon"], 1_500), max_moq=300, categories=("baskets",), size=8),
    ]
    bound = found = 0
    for query in queries:
        bound += bool(current.plan(connection, query).capability_words)
        found += current.search(query).total > 0
        for _page in range(2):
            now, statements = _traced_search(current, query)
            listing = [s for s in statements if "cap_fts MATCH" in s and not s.endswith("LIMIT 1")]
            assert len(listing) <= 1, (query, listing)
            reading = [s for s in statements if re.search(r"\bcaps c\b", s)]
            assert len(reading) == 1 and reading[0].startswith("INSERT INTO temp.cap_ok"), (query, reading)
            assert _shape(now) == _shape(previous.search(query)), query
            if now.next_cursor is None:
                break
            query = replace(query, after=now.next_cursor)
    assert bound == 4 and found == 5, (bound, found)


def test_next_pages_read_the_matched_set_the_reader_kept_until_the_index_changes(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex], tmp_path: Path
) -> None:
    """Issue 19: a next page of the search a reader ran last reads its kept matched set, total and facets: no words
    scored, nothing matched or counted again, where each page re-ran the whole search. Another search in between, or a
    write to the index (SQLite's data_version), makes the next page match afresh. Same pages, cursors, scores and facets
    as the previous path, whatever the page size."""
    current, previous = indexes
    by = TODAY + dt.timedelta(weeks=14)
    category = Counter(c["category"] for d in federation for c in d["capabilities"]).most_common(1)[0][0]
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    located = next(d["location"] for d in federation if d["location"])
    queries = [
        SearchQuery(text="baskets", size=6),
        SearchQuery(text="baskets weavers", countries=(country,), categories=(category.split(".")[0],), size=6),
        SearchQuery(capacity=CapacityNeed(300, by), categories=(category,), sort=Sort.LEAD_TIME, size=6),
        SearchQuery(near=Near(located["lat"], located["lon"], 2_000), sort=Sort.DISTANCE, size=6),
        SearchQuery(categories=(category,), size=6),
    ]
    kept = 0
    for query in queries:
        now, _statements = _traced_search(current, query)
        assert now.next_cursor, query
        for size in (6, 4, 9):
            if not now.next_cursor:
                break
            query = replace(query, after=now.next_cursor, size=size)
            now, statements = _kept_page(current, query)
            assert not [s for s in statements if "temp." in s and not s.startswith("SELECT m.id")], (query, statements)
            kept += 1
            before = previous.search(query)
            assert _shape(now) == _shape(before) and [h.score for h in now.hits] == [h.score for h in before.hits], query
    assert kept >= 8, kept
    # Another search in between: the next page matches again.
    first = current.search(queries[0])
    current.search(queries[1])
    _result, statements = _kept_page(current, replace(queries[0], after=first.next_cursor))
    assert [s for s in statements if s.startswith("INSERT INTO temp.matched")]
    # A write to the index by another connection: the next page matches again, and shows the change.
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(federation)
    query = SearchQuery(text="baskets", size=5)
    first = index.search(query)
    second = index.search(replace(query, after=first.next_cursor))
    index.delete(second.hits[0].id, 10**9)
    now, statements = _kept_page(index, replace(query, after=first.next_cursor))
    assert [s for s in statements if s.startswith("INSERT INTO temp.matched")]
    assert now.total == first.total - 1 and second.hits[0].id not in [hit.id for hit in now.hits]
    assert _shape(now) == _shape(PreviousPath(index.path).search(replace(query, after=first.next_cursor)))


def test_an_index_told_not_to_keep_matches_matches_every_search_afresh(federation: list[dict[str, Any]], tmp_path: Path) -> None:
    """`LOOM_SEARCH_KEEP_MATCHES=false` (`keep_matches=False`, what the benchmarks' `--fresh` sets): the same search
    again, and its next page, match the query afresh, with the same pages as an index that keeps them."""
    keeping = EmbeddedIndex(tmp_path / "keeping.db")
    keeping.rebuild(federation)
    index = EmbeddedIndex(tmp_path / "search.db", keep_matches=False)
    index.rebuild(federation)
    query = SearchQuery(text="baskets", size=5)
    first = index.search(query)
    for again in (query, replace(query, after=first.next_cursor)):
        now, statements = _kept_page(index, again)
        assert [s for s in statements if s.startswith("INSERT INTO temp.matched")], again
        assert _shape(now) == _shape(keeping.search(again))
    assert getattr(index._readers, "kept", None) is None
    assert make_index({"SEARCH_BACKEND": "embedded", "SEARCH_EMBEDDED_PATH": str(tmp_path / "x.db")}).keep_matches
    told = {"SEARCH_BACKEND": "embedded", "SEARCH_EMBEDDED_PATH": str(tmp_path / "x.db"), "SEARCH_KEEP_MATCHES": False}
    assert not make_index(told).keep_matches


def _kept_page(index: EmbeddedIndex, query: SearchQuery) -> tuple[SearchResult, list[str]]:
    """Search `index` for `query` as it comes (from the kept matched set, if any); return the result and its statements."""
    connection = index._reader()
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        return index.search(query), statements
    finally:
        connection.set_trace_callback(None)


def test_next_pages_within_the_rows_read_ahead_read_nothing_from_the_kept_set(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: a search reads its page with the rows of PAGES_AHEAD pages after it, and its next pages within those
    read no row of the kept matched set, where each page read every matched row and sorted them (8 ms a page at 300,000
    groups); the page after them reads the set once, with as many ahead again. Either direction, a page size changed on
    the way, to the last page: same pages, cursors and scores as the previous path."""
    current, previous = indexes
    by = TODAY + dt.timedelta(weeks=14)
    located = next(d["location"] for d in federation if d["location"])
    queries = [
        SearchQuery(text="baskets weavers", size=2),  # relevance, descending
        SearchQuery(text="baskets", sort=Sort.RATING, size=2),  # descending, with ties
        SearchQuery(capacity=CapacityNeed(300, by), sort=Sort.LEAD_TIME, size=2),  # ascending
        SearchQuery(near=Near(located["lat"], located["lon"], 2_000), sort=Sort.DISTANCE, size=2),
    ]
    walked = 0
    for query in queries:
        now, _statements = _traced_search(current, query)
        reads = []
        while now.next_cursor:
            size = 3 if len(reads) == PAGES_AHEAD + 3 else query.size  # a larger page, once
            query = replace(query, after=now.next_cursor, size=size)
            now, statements = _kept_page(current, query)
            reads.append(len([s for s in statements if s.startswith("SELECT m.id")]))
            before = previous.search(query)
            assert _shape(now) == _shape(before) and [h.score for h in now.hits] == [h.score for h in before.hits], query
        assert len(reads) > PAGES_AHEAD + 4, (query, reads)
        assert reads[: PAGES_AHEAD + 2] == [0] * PAGES_AHEAD + [1, 0], (query, reads)
        walked += len(reads)
    assert walked >= 60, walked


def test_the_material_facet_counts_capabilities_by_their_material_set(
    federation: list[dict[str, Any]], indexes: tuple[EmbeddedIndex, EmbeddedIndex]
) -> None:
    """Issue 19: a material facet under a capability filter (units by a date, lead time, MOQ, price, words bound to
    capabilities, a category picked with another filter) reads each counted capability's group and material set (one
    integer, `caps.materials`), and counts the groups per material in one pass: it read every capability's materials from
    cap_materials and sorted them by material and group (30 ms of a capacity search at 100,000 groups). A material picked
    is met there by the material set of the capabilities temp.cap_ok holds, where every capability of the material was
    listed from cap_materials. Same pages and counts as the previous path, with and without selections, over two pages."""
    current, previous = indexes
    material = Counter(m for d in federation for c in d["capabilities"] for m in c["materials"]).most_common(1)[0][0]
    country = Counter(d["country"] for d in federation).most_common(1)[0][0]
    queries = [
        *_capacity_queries(federation),
        SearchQuery(text=material, materials=(material,), countries=(country,), size=8),
        SearchQuery(text="baskets", max_lead_time=40, size=8),
        SearchQuery(max_moq=300, materials=(material,), size=8),
        SearchQuery(max_lead_time=40, categories=("baskets",), size=8),
    ]
    connection = current._reader()
    counted = several = selected = 0
    for query in queries:
        for _page in range(2):
            now, statements = _traced_search(current, query)
            assert not [s for s in statements if "JOIN cap_materials" in s], (query, statements)
            by_set = [s for s in statements if s.startswith("SELECT c.group_id, c.materials FROM")]
            assert len(by_set) == 1, (query, statements)
            if query.materials and current._writes_cap_ok(current.plan(connection, query)):
                # A material picked is met by the material set of the capabilities temp.cap_ok holds.
                assert not [s for s in statements if "cap_materials" in s], (query, statements)
                selected += 1
            assert _shape(now) == _shape(previous.search(query)), query
            counted += 1
            several += sum(f.count for f in now.facets["material"]) > now.total
            if now.next_cursor is None:
                break
            query = replace(query, after=now.next_cursor)
    assert counted >= 30 and several >= 10 and selected >= 6, (counted, several, selected)
