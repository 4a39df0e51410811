"""The embedded search backend: an SQLite FTS5 index in a file of its own, whatever the main database.

Text arrives analysed (search.analysis): terms of letters, marks and digits in any script, separated
by spaces. FTS5's `ascii` tokenizer splits exactly there and keeps every non-ASCII character, where
`unicode61` would cut Devanagari or Bengali words at their vowel signs (marks, not letters).

The zero-configuration default for `make run` and one-machine deployments. It answers the same
query model as the Elasticsearch backend and passes the same contract tests; scores differ (FTS5's
BM25 against Lucene's), rankings and matches are meant not to.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from marketplace.i18n import N_
from search.analysis import edit_distance, max_edits
from search.backends import Progress
from search.documents import UNITS_BITS, UNITS_MAX, capacity_key, capacity_key_range, instant_text
from search.query import (
    FACETS,
    FIELD_WEIGHTS,
    FUZZY_SHARE,
    FacetValue,
    InvalidQuery,
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

TABLES = """
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY, version INTEGER NOT NULL, country TEXT NOT NULL, verified INTEGER NOT NULL,
    rating REAL, lat REAL, lon REAL, quality_boost REAL NOT NULL, indexed_on TEXT NOT NULL, fresh_until TEXT NOT NULL,
    categories INTEGER NOT NULL, materials INTEGER NOT NULL, certifications INTEGER NOT NULL, facets INTEGER NOT NULL
);
-- A group's facet values, each set once in `value_sets` and named by its id in the group's row (categories,
-- materials, certification schemes with their verified flag). Few groups have a set of their own, so a
-- facet counts the matched groups by set in one GROUP BY of a few hundred rows, and reads no capability or
-- certificate row when no capability filter applies to it (issue 19).
CREATE TABLE IF NOT EXISTS value_sets (id INTEGER PRIMARY KEY, value_set TEXT NOT NULL UNIQUE);
-- Each combination of a group's country, verified flag and value sets, named in its row (`facets`): a search's
-- matched groups carry this one number, and the facets group them by it (hundreds of combinations at 100,000
-- groups), where grouping by the five columns sorted every matched row on all five (issue 19: a third of a
-- text search).
-- With it, the value set of the group's (category, material) pairs, each of one capability: a category or material
-- facet counts from these when the only capability filter on it is the other's selection (issue 19: a material
-- facet with a category picked read every matched group's capabilities and their materials, 46,000 rows).
CREATE TABLE IF NOT EXISTS facet_sets (
    id INTEGER PRIMARY KEY, country TEXT NOT NULL, verified INTEGER NOT NULL, certifications INTEGER NOT NULL,
    categories INTEGER NOT NULL, materials INTEGER NOT NULL, pairs INTEGER NOT NULL,
    UNIQUE (country, verified, certifications, categories, materials, pairs)
);
-- The columns of a group a text search reads for each of the words' groups (its score, facet set, filters and sort keys),
-- apart from `groups`' others: each of those groups is looked up by id, and in rows a third as wide the lookups touch
-- a third of the pages (issue 19: at 300,000 groups, 80,539 lookups for "recycled brass jewelry" took 20 ms in `groups`,
-- 4.6 times their 4.4 ms at 100,000 groups; 14 ms here).
CREATE TABLE IF NOT EXISTS group_reads (
    id INTEGER PRIMARY KEY, quality_boost REAL NOT NULL, facets INTEGER NOT NULL, country TEXT NOT NULL,
    verified INTEGER NOT NULL, rating REAL, lat REAL, lon REAL
);
-- The documents shown as hits, apart from the narrow rows filters and facets scan.
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_certs (group_id INTEGER NOT NULL, scheme TEXT NOT NULL, verified INTEGER NOT NULL);
-- A capability's capacity line (first_week .. last_week, pace, low, high; NULL without capacity keys) bounds its
-- cumulative units by the end of week w: low + pace * (w - first_week) <= units(w) <= high + pace * (w - first_week).
-- A capacity search decides most capabilities from their line alone and reads cap_runs only for those in between
-- (issue 19: 2-5k of 125k capabilities at 100,000 groups, where every run was read).
-- Its category and currency are named by their id in `codes`, and `ready_on` is a day number (date.toordinal): rows and
-- their covering indexes a third narrower than with the texts, which every capacity search reads by the ten thousand
-- (issue 19: 60.8 -> 54.4 ms for the category facet of a capacity search over every group at 300,000 groups).
CREATE TABLE IF NOT EXISTS caps (
    id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, category INTEGER NOT NULL, moq INTEGER NOT NULL,
    lead_time_days INTEGER NOT NULL, price_min REAL NOT NULL, price_max REAL NOT NULL, currency INTEGER NOT NULL,
    ready_on INTEGER NOT NULL, first_week INTEGER, last_week INTEGER, pace INTEGER, low INTEGER, high INTEGER,
    materials INTEGER NOT NULL
);
-- The id of each category and currency code a capability holds (`kind` 'category' or 'currency'), added as they come.
CREATE TABLE IF NOT EXISTS codes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (kind, value));
-- `materials` names the value set of the capability's materials: the material facet counts a search's capabilities by
-- it, one integer a row, where it read each one's materials here and sorted them (issue 19: 30 ms of a capacity search
-- at 100,000 groups).
CREATE TABLE IF NOT EXISTS cap_materials (cap_id INTEGER NOT NULL, material TEXT NOT NULL);
-- A capability's cumulative units by the end of each week, as runs of weeks over which they grow by the
-- same step: units(w) = base + step * (w - first_week) for first_week <= w <= last_week. A capability
-- without exceptions in its calendar is one row, where the weekly keys took one per week (issue 19).
CREATE TABLE IF NOT EXISTS cap_runs (
    cap_id INTEGER NOT NULL, first_week INTEGER NOT NULL, last_week INTEGER NOT NULL, base INTEGER NOT NULL,
    step INTEGER NOT NULL, PRIMARY KEY (cap_id, first_week)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (name_terms, capability_terms, story_terms, place_terms, tokenize = 'ascii');
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab (fts, 'row');
-- The indexed terms, for typo variants: a range of fts5vocab reads every term's doclist to count it
-- (8 ms a word at 100,000 groups). Terms are added, never removed; a search skips those no group holds.
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS cap_fts USING fts5 (terms, tokenize = 'ascii', detail = 'none');
"""
SCHEMA_VERSION = 16  # PRAGMA user_version; an index file of another version is emptied and rebuilt
_TABLE_NAMES = (
    "terms",
    "vocab",
    "fts",
    "cap_fts",
    "cap_capacity",
    "cap_runs",
    "cap_materials",
    "caps",
    "group_certs",
    "docs",
    "groups",
    "group_reads",
    "value_sets",
    "facet_sets",
    "codes",
)
# Created after a rebuild's bulk load, which is faster than keeping them up to date row by row.
INDEXES = """
CREATE INDEX IF NOT EXISTS ix_groups_country ON groups (country);
-- Covering for a place without words: the groups inside its box and radius are listed from this index alone.
CREATE INDEX IF NOT EXISTS ix_groups_location ON groups (lat, lon);
-- A query with no words, filter or selection reads its page in these orders and counts its facets from the last.
CREATE INDEX IF NOT EXISTS ix_groups_quality ON groups (quality_boost DESC, id);
CREATE INDEX IF NOT EXISTS ix_groups_rating ON groups (COALESCE(rating, -1.0) DESC, id);
CREATE INDEX IF NOT EXISTS ix_groups_facets ON groups (country, verified, certifications, categories, materials);
CREATE INDEX IF NOT EXISTS ix_group_certs ON group_certs (scheme, group_id);
-- Covering: facet counts and selection flags read a group's schemes and capability categories from the index alone.
CREATE INDEX IF NOT EXISTS ix_group_certs_group ON group_certs (group_id, scheme, verified);
CREATE INDEX IF NOT EXISTS ix_caps_group ON caps (group_id, category);
CREATE INDEX IF NOT EXISTS ix_caps_category ON caps (category, group_id);
CREATE INDEX IF NOT EXISTS ix_cap_materials ON cap_materials (cap_id, material);
CREATE INDEX IF NOT EXISTS ix_cap_materials_material ON cap_materials (material, cap_id);
-- Covering, in temp.cap_ok's key order (category, group, capability): a capacity search over every group reads
-- each capability's line and the capability filters from it alone, and writes temp.cap_ok in key order.
CREATE INDEX IF NOT EXISTS ix_caps_capacity ON caps (
    category, group_id, id, first_week, last_week, pace, low, high, lead_time_days, ready_on, moq, currency, price_min, price_max,
    materials
);
-- The same columns by group: a capacity search limited by words or a place reads the capabilities of its groups from this
-- index alone, where ix_caps_group listed them and each row was read from caps (issue 19: 52 -> 46 ms for the 46,162
-- capabilities of the groups near Dhaka at 300,000 groups, 16.0 -> 14.0 ms at 100,000).
CREATE INDEX IF NOT EXISTS ix_caps_group_capacity ON caps (
    group_id, id, first_week, last_week, pace, low, high, lead_time_days, ready_on, moq, currency, price_min, price_max,
    category, materials
);
"""


def _distance_sql(row: str) -> str:
    """The great-circle distance in km from (:near_lat, :near_lon) to the `lat` and `lon` of the row named `row`."""
    return (
        f"(2 * 6371.0088 * asin(sqrt(pow(sin(radians({row}.lat - :near_lat) / 2), 2)"
        f" + cos(radians(:near_lat)) * cos(radians({row}.lat)) * pow(sin(radians({row}.lon - :near_lon) / 2), 2))))"
    )


DISTANCE_SQL = _distance_sql("g")
# The capabilities the words describe (a search binding its capability filters to its words, see SearchQuery.plan).
_WORDS_CAPABILITIES = "c.id IN (SELECT rowid FROM cap_fts WHERE cap_fts MATCH :cap_words)"
MAX_EXPANSIONS = 50
ARMS_PER_STATEMENT = 200  # lookups summed by one statement of _score_text
FACET_SIZE = 30
# A search's page is read with the rows of this many pages after it, which its next pages read from memory while its
# matched set is kept (see `search`): each page read every matched row and sorted them for its few (issue 19: 8 ms a
# page at 300,000 groups). The sort keeps a few hundred rows where it kept 21, at no measurable cost.
PAGES_AHEAD = 10
# A searching connection reads through a memory map and keeps a page cache of this size: at 100,000
# groups these cut a search's time by a quarter (issue 19). Both are upper bounds, not allocations.
# The map covers the whole file when it is larger (twice its size at opening, for the writes to come):
# at 300,000 groups the file (about 560 MB) outgrew 256 MB, and reads beyond the map went through
# system calls and the page cache (issue 19: p95 grew 4.1x for 3x the groups).
MMAP_BYTES = 256 * 1024 * 1024
MMAP_MAX_BYTES = 16 * 1024 * 1024 * 1024
CACHE_KIBIBYTES = 256 * 1024


def _math_functions(connection: sqlite3.Connection) -> None:
    """SQLite builds without its math functions get Python's."""
    try:
        connection.execute("SELECT asin(0.5), radians(1), pow(2, 2)")
    except sqlite3.OperationalError:
        for name, arity, function in (
            ("asin", 1, math.asin),
            ("sqrt", 1, math.sqrt),
            ("sin", 1, math.sin),
            ("cos", 1, math.cos),
            ("radians", 1, math.radians),
            ("pow", 2, math.pow),
        ):
            connection.create_function(name, arity, function, deterministic=True)


class EmbeddedIndex:
    name = "embedded"

    def __init__(self, path: Path, *, keep_matches: bool = True) -> None:
        self.path = Path(path)
        self.keep_matches = keep_matches  # each reader keeps its last matched set for the next pages (see `search`)
        self._schema_ready: set[Path] = set()
        self._readers = threading.local()  # each thread's warm, read-only connection (sqlite3 objects stay in their thread)

    def _prepare(self, connection: sqlite3.Connection, target: Path, *, indexes: bool) -> None:
        if target not in self._schema_ready:
            connection.execute("PRAGMA journal_mode=WAL")
            if connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                # The index is derived data: one written by another version of Loom is dropped, not migrated.
                for table in _TABLE_NAMES:
                    connection.execute(f"DROP TABLE IF EXISTS {table}")
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.executescript(TABLES)
            if indexes:
                connection.executescript(INDEXES)
                self._schema_ready.add(target)
        connection.execute("PRAGMA synchronous=NORMAL")
        _math_functions(connection)

    @contextmanager
    def _connect(self, path: Path | None = None, *, indexes: bool = True) -> Iterator[sqlite3.Connection]:
        """A short-lived writing connection (to the index, or to `path` while a rebuild fills it)."""
        target = path or self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(target, timeout=30, isolation_level=None)
        try:
            self._prepare(connection, target, indexes=indexes)
            yield connection
        finally:
            connection.close()

    def _reader(self) -> sqlite3.Connection:
        """This thread's warm read-only connection, opened again when a rebuild has swapped the file in.

        Kept open between searches, so its page cache and memory map stay warm. Read-only on purpose:
        closing a stale one after a rebuild's rename must not checkpoint or delete the new file's WAL,
        which a writing connection would do by name. Temporary tables (a search's working sets) are
        the connection's own and allowed.
        """
        local = self._readers
        if self.path not in self._schema_ready:
            with self._connect():
                pass  # create or reset the schema first, with a writing connection
        identity = _file_identity(self.path)
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is not None and (local.pid != os.getpid() or local.identity != identity):
            if local.pid == os.getpid():
                connection.close()
            connection = None  # after a fork, the parent's connection is not this process's to use or close
        if connection is None:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None)
            connection.execute(f"PRAGMA mmap_size={_map_size(self.path)}")
            connection.execute(f"PRAGMA cache_size=-{CACHE_KIBIBYTES}")
            connection.execute("PRAGMA temp_store=MEMORY")
            _math_functions(connection)
            local.connection, local.pid, local.identity = connection, os.getpid(), identity
        return connection

    def close(self) -> None:
        """Close this thread's warm connection, if any (the next search opens another)."""
        connection = getattr(self._readers, "connection", None)
        if connection is not None and self._readers.pid == os.getpid():
            connection.close()
        self._readers.connection = self._readers.kept = None

    # ----- writing -------------------------------------------------------------------------------

    @staticmethod
    def _remove(connection: sqlite3.Connection, group_id: int) -> None:
        connection.execute("DELETE FROM cap_materials WHERE cap_id IN (SELECT id FROM caps WHERE group_id = ?)", (group_id,))
        connection.execute("DELETE FROM cap_runs WHERE cap_id IN (SELECT id FROM caps WHERE group_id = ?)", (group_id,))
        connection.execute("DELETE FROM cap_fts WHERE rowid IN (SELECT id FROM caps WHERE group_id = ?)", (group_id,))
        connection.execute("DELETE FROM caps WHERE group_id = ?", (group_id,))
        connection.execute("DELETE FROM group_certs WHERE group_id = ?", (group_id,))
        connection.execute("DELETE FROM fts WHERE rowid = ?", (group_id,))
        connection.execute("DELETE FROM docs WHERE id = ?", (group_id,))
        connection.execute("DELETE FROM groups WHERE id = ?", (group_id,))
        connection.execute("DELETE FROM group_reads WHERE id = ?", (group_id,))

    @staticmethod
    def _insert(connection: sqlite3.Connection, docs: list[dict[str, Any]]) -> None:
        """Insert documents, each table's rows in one statement."""
        groups, stored, certs, caps, materials, runs, texts, cap_texts = [], [], [], [], [], [], [], []
        value_sets = _value_sets(connection, docs)
        cap_materials = _capability_material_sets(connection, docs)
        categories = _code_ids(connection, "category", {c["category"] for doc in docs for c in doc["capabilities"]})
        currencies = _code_ids(connection, "currency", {c["currency"] for doc in docs for c in doc["capabilities"]})
        facet_sets = _facet_sets(connection, docs, value_sets)
        for doc in docs:
            location = doc["location"] or {}
            groups.append(
                (
                    doc["id"],
                    doc["version"],
                    doc["country"],
                    int(doc["verified"]),
                    doc["rating"],
                    location.get("lat"),
                    location.get("lon"),
                    doc["quality_boost"],
                    doc["indexed_on"],
                    doc["fresh_until"],
                    *value_sets[doc["id"]][:3],
                    facet_sets[doc["id"]],
                )
            )
            stored.append((doc["id"], _stored(doc)))
            certs.extend((doc["id"], scheme, int(scheme in doc["verified_certifications"])) for scheme in doc["certifications"])
            for cap in doc["capabilities"]:
                cap_runs = capacity_runs(cap["capacity_keys"])
                caps.append(
                    (
                        cap["id"],
                        doc["id"],
                        categories[cap["category"]],
                        cap["moq"],
                        cap["lead_time_days"],
                        cap["price_min"],
                        cap["price_max"],
                        currencies[cap["currency"]],
                        dt.date.fromisoformat(cap["ready_on"]).toordinal(),
                        *capacity_line(cap_runs),
                        cap_materials[cap["id"]],
                    )
                )
                materials.extend((cap["id"], m) for m in cap["materials"])
                runs.extend((cap["id"], *run) for run in cap_runs)
                cap_texts.append((cap["id"], cap["terms"]))
            texts.append((doc["id"], doc["name_terms"], doc["capability_terms"], doc["story_terms"], doc["place_terms"]))
        connection.executemany(
            "INSERT INTO groups (id, version, country, verified, rating, lat, lon, quality_boost, indexed_on, "
            "fresh_until, categories, materials, certifications, facets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            groups,
        )
        connection.executemany(
            "INSERT INTO group_reads (id, quality_boost, facets, country, verified, rating, lat, lon) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?)",
            [(row[0], row[7], row[13], row[2], row[3], row[4], row[5], row[6]) for row in groups],
        )
        connection.executemany("INSERT INTO docs (id, doc) VALUES (?, ?)", stored)
        connection.executemany("INSERT INTO group_certs (group_id, scheme, verified) VALUES (?, ?, ?)", certs)
        connection.executemany(
            "INSERT INTO caps (id, group_id, category, moq, lead_time_days, price_min, price_max, currency, ready_on, "
            "first_week, last_week, pace, low, high, materials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            caps,
        )
        connection.executemany("INSERT INTO cap_materials (cap_id, material) VALUES (?, ?)", materials)
        connection.executemany("INSERT INTO cap_runs (cap_id, first_week, last_week, base, step) VALUES (?, ?, ?, ?, ?)", runs)
        connection.executemany("INSERT INTO cap_fts (rowid, terms) VALUES (?, ?)", cap_texts)
        connection.executemany(
            "INSERT INTO fts (rowid, name_terms, capability_terms, story_terms, place_terms) VALUES (?, ?, ?, ?, ?)", texts
        )

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        """Write the documents in one write transaction of the index file, keeping a newer version already there.

        Return how many.
        """
        written = 0
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for doc in documents:
                    current = connection.execute("SELECT version FROM groups WHERE id = ?", (doc["id"],)).fetchone()
                    if current is not None and current[0] >= doc["version"]:
                        continue  # a replayed or late message: the index already has this or newer
                    self._remove(connection, doc["id"])
                    self._insert(connection, [doc])
                    terms = {term for field, _weight in FIELD_WEIGHTS for term in doc[field].split()}
                    connection.executemany("INSERT OR IGNORE INTO terms (term) VALUES (?)", ((term,) for term in terms))
                    written += 1
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return written

    def delete(self, group_id: int, version: int) -> None:
        """Remove the group's document unless a newer version is indexed."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            current = connection.execute("SELECT version FROM groups WHERE id = ?", (group_id,)).fetchone()
            if current is not None and current[0] <= version:
                self._remove(connection, group_id)
            connection.execute("COMMIT")

    def rebuild(self, documents: Iterable[dict[str, Any]], *, progress: Progress | None = None) -> int:
        """Write a new file beside the old one and swap it in with one rename."""
        fresh = self.path.with_name(self.path.name + ".building")
        for leftover in (fresh, fresh.with_name(fresh.name + "-wal"), fresh.with_name(fresh.name + "-shm")):
            leftover.unlink(missing_ok=True)
        count = 0
        with self._connect(fresh, indexes=False) as connection:
            connection.execute("PRAGMA journal_mode=OFF")
            connection.execute("BEGIN")
            batch: list[dict[str, Any]] = []
            for doc in documents:
                batch.append(doc)
                if len(batch) == 1000:
                    self._insert(connection, batch)
                    count += len(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            self._insert(connection, batch)
            count += len(batch)
            if progress:
                progress(len(batch))
            connection.execute("COMMIT")
            connection.executescript(INDEXES)
            connection.execute("INSERT INTO terms (term) SELECT term FROM vocab")
            connection.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            connection.execute("INSERT INTO cap_fts(cap_fts) VALUES ('optimize')")
            connection.execute("ANALYZE")
        self.close()
        os.replace(fresh, self.path)
        self._schema_ready.difference_update({fresh, self.path})
        for stale in (self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return count

    def count(self) -> int:
        """Return how many groups are indexed."""
        return self._reader().execute("SELECT COUNT(*) FROM groups").fetchone()[0]

    def earliest_fresh_until(self) -> dt.datetime | None:
        """The soonest UTC instant at which an indexed document's capacity goes stale (None when the index is empty)."""
        value = self._reader().execute("SELECT MIN(fresh_until) FROM groups").fetchone()[0]
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC) if value else None

    def schema_is_current(self) -> bool:
        """Always: a file of another schema version is emptied on opening (and then looks empty)."""
        return True

    # ----- searching -----------------------------------------------------------------------------

    def _expansions(self, connection: sqlite3.Connection, term: str) -> list[str]:
        """The indexed terms a query term matches: itself and those within its typo allowance."""
        edits = max_edits(term)
        if edits == 0:
            return [term]
        upper = term[0] + "\U0010ffff"
        candidates = connection.execute(
            "SELECT term FROM terms WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
            (term[0], upper, len(term) - edits, len(term) + edits),
        ).fetchall()
        scored = sorted(
            (distance, candidate)
            for (candidate,) in candidates
            if (distance := edit_distance(term, candidate, edits)) <= edits and _held(connection, candidate)
        )
        return [term] + [c for _, c in scored[:MAX_EXPANSIONS] if c != term]

    def _score_text(self, connection: sqlite3.Connection, query: SearchQuery) -> bool:
        """Score every group with any of the words into temp.text_scores, by `Ranking`; False without words.

        Each word is looked up per field, exactly and among its typo variants (FTS5 doclists, so a
        lookup costs what the word's groups number); the arithmetic is Ranking's, as Elasticsearch's.
        Every lookup is one arm of a single statement that adds each group's parts in SQLite (issue 19:
        the sets and sums in Python were a third of a search at 100,000 groups). A typo match is counted
        where the exact word is not (`NOT`), so the arms' sets are disjoint; every part is a multiple of
        a half, so the sum is exact in any order.
        """
        terms = query.terms
        if not terms:
            return False
        ranking = Ranking(len(terms))
        found_exactly, found_at_all = ranking.exact_weight + ranking.match_weight, ranking.match_weight
        arms: list[str] = []
        params: dict[str, Any] = {}

        def arm(match: str, points: float) -> None:
            params[f"m{len(arms)}"], params[f"p{len(arms)}"] = match, points
            arms.append(f"SELECT rowid AS id, :p{len(arms)} AS points FROM fts WHERE fts MATCH :m{len(arms)}")

        for term in terms:
            variants = [v for v in self._expansions(connection, term) if v != term]
            exact = f'"{term}"'
            for column, weight in FIELD_WEIGHTS:
                arm(f"{{{column}}} : {exact}", weight)
                if variants:
                    arm(f"{{{column}}} : ({_any_of(variants)}) NOT {{{column}}} : {exact}", weight * FUZZY_SHARE)
            arm(exact, found_exactly)
            if variants:
                arm(f"({_any_of(variants)}) NOT {exact}", found_at_all)
        _emptied(connection, "text_scores", "(id INTEGER PRIMARY KEY, score REAL NOT NULL)")
        for start in range(0, len(arms), ARMS_PER_STATEMENT):  # SQLite allows 500 arms in one UNION
            connection.execute(
                # Each row added to its group's score as it comes (`WHERE 1` lets SQLite parse the upsert): a GROUP BY
                # sorted every looked-up row first (issue 19: 85,000 for "recycled brass jewelry" at 100,000 groups).
                f"INSERT INTO temp.text_scores (id, score) SELECT id, points FROM "
                f"({' UNION ALL '.join(arms[start : start + ARMS_PER_STATEMENT])}) WHERE 1 "
                "ON CONFLICT (id) DO UPDATE SET score = score + excluded.score",
                params,
            )
        return True

    @classmethod
    def _capability_conditions(cls, query: SearchQuery, params: dict[str, Any], exclude: str | None = None) -> list[str]:
        """Return the SQL conditions on a capability `c` read from `_capabilities(query)`, without the facet `exclude`'s.

        When the search writes temp.cap_ok, `c` is a row of it, which holds only the capabilities meeting every filter but
        category and material (see _capacity_met): `1` then stands for those, so the list is never empty.
        """
        conditions: list[str] = []
        if query.categories and exclude != "category":
            conditions.append(f"c.category IN ({_coded(params, 'cat', 'category', category_codes(query.categories))})")
        on_cap_ok = cls._writes_cap_ok(query)
        if query.materials and exclude != "material":
            materials = _bind(params, "mat", query.materials)
            if on_cap_ok:
                # By the capability's material set, among the few hundred sets: temp.cap_ok holds the capabilities already,
                # where listing every capability of the material from its index sorted them into a list (issue 19: 20,000
                # for "jute" at 100,000 groups, two thirds of a search's candidates).
                conditions.append(
                    f"c.materials IN (SELECT v.id FROM value_sets v, json_each(v.value_set) j WHERE j.value IN ({materials}))"
                )
            else:
                # IN, not a correlated EXISTS: the material's capabilities are read once, from its index.
                conditions.append(f"c.id IN (SELECT m.cap_id FROM cap_materials m WHERE m.material IN ({materials}))")
        if on_cap_ok:
            return conditions or ["1"]
        return conditions + cls._fixed_capability_conditions(query, params)

    @classmethod
    def _capabilities(cls, query: SearchQuery) -> str:
        """The capability rows `_capability_conditions` are written against: temp.cap_ok when the search writes it, else caps."""
        return "temp.cap_ok c" if cls._writes_cap_ok(query) else "caps c"

    @classmethod
    def _writes_cap_ok(cls, query: SearchQuery) -> bool:
        """Tell whether a search of `query` writes temp.cap_ok (see _capacity_met): with units by a date, or with another
        capability filter no facet selects (lead time, MOQ, price, the words' capabilities) when words or a place limit
        the groups. Over every group, writing the capabilities within a lead time, MOQ or price cost more than reading
        them again in each statement (issue 19: 34 ms for 100,000 capabilities at 100,000 groups, 20-40 ms more a search).
        """
        if query.capacity:
            return True
        limited = query.terms or (query.near is not None and query.near.km is not None)
        return bool(limited and cls._fixed_capability_conditions(query, {}))

    @staticmethod
    def _fixed_capability_conditions(query: SearchQuery, params: dict[str, Any]) -> list[str]:
        """The capability filters no facet selects (lead time, MOQ, price, the words' capabilities, the capacity's ready date).

        One search applies the same ones everywhere: to the candidates, each facet and the sort, with or without selections.
        """
        conditions: list[str] = []
        if query.max_lead_time is not None:
            params["max_lead"] = query.max_lead_time
            conditions.append("c.lead_time_days <= :max_lead")
        if query.max_moq is not None:
            params["max_moq"] = query.max_moq
            conditions.append("c.moq <= :max_moq")
        if query.price_min is not None or query.price_max is not None:
            params["currency"] = query.currency
            conditions.append("c.currency IN (SELECT k.id FROM codes k WHERE k.kind = 'currency' AND k.value = :currency)")
            if query.price_max is not None:
                params["price_max"] = query.price_max
                conditions.append("c.price_min <= :price_max")
            if query.price_min is not None:
                params["price_min"] = query.price_min
                conditions.append("c.price_max >= :price_min")
        if query.capability_words:
            params["cap_words"] = " AND ".join(f"({_any_of(entry)})" for entry in query.capability_words)
            conditions.append(_WORDS_CAPABILITIES)
        if query.capacity:
            params["cap_by"] = query.capacity.by.toordinal()
            conditions.append("c.ready_on <= :cap_by")
        return conditions

    def _where(self, query: SearchQuery, params: dict[str, Any], *, capabilities: bool = True) -> list[str]:
        """Return the SQL conditions on a group `g` that `query`'s filters make; the capability ones only if `capabilities`."""
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
        capability = self._capability_conditions(query, params) if capabilities else []
        if capability:
            # IN, not a correlated EXISTS: SQLite evaluates the capability subquery once, from its indexes.
            conditions.append(f"g.id IN (SELECT c.group_id FROM {self._capabilities(query)} WHERE {' AND '.join(capability)})")
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
            axes = ("lat", "lon")
            if not (params["lon_lo"] >= -180 and params["lon_hi"] <= 180 and abs(near.lat) + lat_span < 89):
                axes = ("lat",)  # no box across the antimeridian or a pole
            if query.terms or query.capacity:
                # The words' groups, or those with the units (temp.cap_ok, read for the groups inside: see
                # _capacity_met), are read first, and each is checked against the box and distance.
                box = [f"g.{axis} BETWEEN :{axis}_lo AND :{axis}_hi" for axis in axes]
                conditions.extend([*box, f"{DISTANCE_SQL} <= :near_km"])
            else:
                # The groups inside, listed from the covering index on (lat, lon) and then read in id order, where
                # they were read in latitude order: each group's row, capabilities and certificates at random
                # (issue 19). The index reads the box's band of latitude, checking longitude and distance in it.
                box = [f"l.{axis} BETWEEN :{axis}_lo AND :{axis}_hi" for axis in axes]
                inside = " AND ".join([*box, f"{_distance_sql('l')} <= :near_km"])
                conditions.append(f"g.id IN (SELECT l.id FROM groups l INDEXED BY ix_groups_location WHERE {inside})")
        return conditions

    @staticmethod
    def _source(text: bool, query: SearchQuery | None = None) -> tuple[str, str]:
        """FROM clause and score expression, with or without a text match (see Ranking); with a text match, the words'
        groups are read from group_reads for `query` unless it filters by fresh_until (without a query, from groups)."""
        rows = "groups" if query is None or (query.capacity and query.capacity.as_of) else "group_reads"
        if not text:
            return f"{rows} g", "g.quality_boost"
        # CROSS JOIN keeps the matched words' groups outermost: the temporary table has no statistics, and
        # SQLite otherwise scanned every group and looked each up among the words' (issue 19). Each is looked up in
        # group_reads, which holds every column of a group the search reads but fresh_until (a capacity as of a time).
        return f"temp.text_scores t CROSS JOIN {rows} g ON g.id = t.id", "(t.score + g.quality_boost)"

    def plan(self, connection: sqlite3.Connection, query: SearchQuery) -> SearchQuery:
        """Bind the capability filters to the capabilities the words describe, if any capability holds one."""
        if not query.binds_capabilities_to_words:
            return query
        products = []
        for term in query.terms:
            alternatives = tuple(self._expansions(connection, term))
            if connection.execute("SELECT 1 FROM cap_fts WHERE cap_fts MATCH ? LIMIT 1", (_any_of(alternatives),)).fetchone():
                products.append(alternatives)
        return replace(query, capability_words=tuple(products))

    def _capacity_met(
        self,
        connection: sqlite3.Connection,
        query: SearchQuery,
        words: str | None,
        groups: list[str],
        params: dict[str, Any],
        *,
        selected_categories: bool = False,
    ) -> str | None:
        """Write temp.cap_ok: the capabilities that meet every capability filter but category and material (the units by
        a date, lead time, MOQ, price, the words' capabilities), when there is one.

        Once per search, in one pass over the capabilities (issue 19): the candidates, the selection flags, the
        category and material facets and the lead-time sort then read these rows, with their group and category,
        where each read the qualifying capabilities again (80-90k rows at 100,000 groups, three times; the words'
        capabilities were listed from cap_fts four times, 95 ms for "jute" in two countries). Only the
        capabilities of groups that can be candidates are read: those the words found (`words`, the FROM clause of
        the scored groups) meeting `groups`, the conditions on a group `g` every candidate meets (with `params`).

        With `selected_categories`, over every group, only the selected categories' capabilities are written, and the FROM
        and WHERE clauses of all of them (a capability `c`, with `params`) are returned for the category facet to count
        there: the other categories' rows were written only to be counted (issue 19: 90,000 rows at 100,000 groups, to
        show 7,000 scarves). None otherwise.
        """
        if not self._writes_cap_ok(query):
            return None  # what temp.cap_ok holds is not read: the statements read it only when the query writes it
        conditions = self._fixed_capability_conditions(query, params)
        if query.capacity:
            # The week's units as Elasticsearch reads them from the keys (search.documents.capacity_key_range). Each
            # capability is decided by its capacity line (see TABLES), and its runs are read only when the units asked
            # lie between its two lines: the run holding the week then says (one run holds a week).
            low, _high = capacity_key_range(query.capacity.units, query.capacity.by)
            params.update(week=low >> UNITS_BITS, units=low & UNITS_MAX)
            conditions.insert(
                0,
                "c.first_week <= :week AND c.last_week >= :week AND (c.low + c.pace * (:week - c.first_week) >= :units OR "
                "(c.high + c.pace * (:week - c.first_week) >= :units AND EXISTS (SELECT 1 FROM cap_runs r WHERE "
                "r.cap_id = c.id AND r.first_week <= :week AND r.last_week >= :week AND r.base + r.step * (:week - r.first_week) "
                ">= :units)))",
            )
        if groups:  # the capabilities of these groups only: a place or words limit them to a few thousand
            conditions.append(f"c.group_id IN (SELECT g.id FROM {words or 'groups g'} WHERE {' AND '.join(groups)})")
        elif words:  # the words' groups, looked up by their key (a list of them, joined to groups, took a quarter of the time)
            conditions.append("c.group_id IN (SELECT t.id FROM temp.text_scores t)")
        # Keyed by category, then group: the category facet counts each category's groups in key order, with no
        # sort or table of distinct groups (at 100,000 groups, 6 ms where grouping 90k rows by category took 60),
        # and a category's capabilities (a selection, a flag) are one range of the key.
        # The sort by lead time looks up each candidate group's rows (with one category, by the key): without an index by
        # group, each lookup would scan the table (quadratic in the qualifying capabilities). A category of several codes
        # (a top category: "bags" is 5) took a lookup of the key per code and group (issue 19: 33 -> 25 ms, the index
        # built, for 14,903 groups of bags at 300,000 groups).
        by_group = query.sort == Sort.LEAD_TIME and len(category_codes(query.categories)) != 1
        _emptied(
            connection,
            "cap_ok",
            "(category INTEGER NOT NULL, group_id INTEGER NOT NULL, id INTEGER NOT NULL, lead_time_days INTEGER NOT NULL, "
            "materials INTEGER NOT NULL, PRIMARY KEY (category, group_id, id)) WITHOUT ROWID",
            {"cap_ok_group": "(group_id, lead_time_days)"} if by_group else {},
        )
        # Over every group, the capabilities are read from their covering index in cap_ok's key order, so each row is
        # appended (issue 19: read in capability order, the writes took half the time); words or a place pick a few
        # capabilities first.
        every_group = not (query.capability_words or words or groups)
        source = "caps c INDEXED BY ix_caps_capacity" if every_group else "caps c INDEXED BY ix_caps_group_capacity"
        if query.capability_words:
            # The words' capabilities drive the statement, each looked up by its id as cap_fts gives it, where their ids
            # were first sorted into a list for IN, which SQLite then read in the same order (issue 19: "baskets" with
            # units at 100,000 groups, 15.5 -> 13.5 ms for 9,074 capabilities).
            conditions[conditions.index(_WORDS_CAPABILITIES)] = "cap_fts MATCH :cap_words"
            source = "cap_fts CROSS JOIN caps c ON c.id = cap_fts.rowid"
        met = f"FROM {source} WHERE {' AND '.join(conditions)}"
        only = selected_categories and every_group
        # The selected categories are ranges of the covering index's key: their rows are still read in key order.
        chosen = f" AND c.category IN ({_coded(params, 'cat', 'category', category_codes(query.categories))})" if only else ""
        connection.execute(
            f"INSERT INTO temp.cap_ok SELECT c.category, c.group_id, c.id, c.lead_time_days, c.materials {met}{chosen}", params
        )
        return met if only else None

    def search(self, query: SearchQuery) -> SearchResult:
        """Run `query` and return one page of hits, the facets and the next cursor.

        Raises InvalidQuery (e.g. a distance sort with no place).
        """
        if query.sort == Sort.DISTANCE and query.near is None:
            raise InvalidQuery(N_("Sorting by distance needs a place to measure from."))
        connection = self._reader()
        if _browses(query):
            return self._browse(connection, query)
        # The next pages of a search read the matched set this connection kept (temp.matched), its total and its facets,
        # while no other search ran on it and nothing was written to the index since (SQLite's data_version changes when
        # another connection commits): each page re-matched the whole query and counted its facets again (issue 19).
        key = replace(query, after=None, size=0)
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        kept: _KeptMatch | None = getattr(self._readers, "kept", None)
        if (
            self.keep_matches
            and kept is not None
            and kept.connection is connection
            and kept.key == key
            and kept.version == version
        ):
            planned = replace(kept.planned, after=query.after, size=query.size)
            rows = kept.window_after(query.after, query.size)
            if rows is None:  # beyond the rows read ahead: read the next ones, and as many ahead again
                rows, window = self._rows(connection, planned, kept.direction, ahead=PAGES_AHEAD * query.size)
                self._readers.kept = replace(kept, window=window, window_ends=len(window) < len(rows) + PAGES_AHEAD * query.size)
            hits, next_cursor = self._page(connection, planned, rows)
            facets = {facet: list(values) for facet, values in kept.facets.items()}
            return SearchResult(kept.total, hits, facets, next_cursor, relaxed=is_relaxed(planned, hits))
        self._readers.kept = None
        query = self.plan(connection, query)
        text = self._score_text(connection, query)
        params: dict[str, Any] = {}
        source, score = self._source(text, query)
        # The candidates, once: the groups that meet every filter but the facet selections, each with a
        # flag per selection it meets. The matched set is the candidates meeting them all; a facet with a
        # selection counts among the candidates meeting all the others. Nothing is matched twice.
        selected = tuple(facet for facet in FACETS if query.without(facet) != query)
        base = query
        for facet in selected:
            base = base.without(facet)
        # With a capacity need the candidates are the groups of temp.cap_ok (see _capacity_met), so one selection of
        # category or material (the search with units by a date, and a product) counts its facet there: no candidates
        # are written (issue 19: 70,000 groups with their flags at 100,000 groups, to show 7,000).
        capped = selected[0] if len(selected) == 1 and selected[0] in _VALUE_SET_COLUMNS and query.capacity else None
        groups = self._where(base, params, capabilities=False)
        all_capabilities = self._capacity_met(
            connection, query, source if text else None, groups, params, selected_categories=capped == "category"
        )
        # One selection over the whole federation (a category or a country picked on the opening page): that
        # facet counts every group, read as the opening page reads it, so no candidates are written (issue 19:
        # every group, with its flags, to show one category's groups).
        whole = len(selected) == 1 and _browses(base)
        conditions = self._where(query if whole or capped else base, params)
        if self._writes_cap_ok(query):
            # The candidates are among temp.cap_ok's groups (a condition of `conditions`), which met `groups` when it was
            # written: those are not checked again (issue 19: a place's box and distance, checked twice, 35 -> 27 ms for
            # the candidates of a capacity search near Dhaka at 300,000 groups).
            conditions = [condition for condition in conditions if condition not in groups]
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        flags = {} if whole or capped else self._selection_flags(query, selected, params)
        sort_value, direction = self._sort_value(query, score, params)
        connection.execute("DROP TABLE IF EXISTS temp.candidates")  # its columns are the search's selection flags
        # Keyed by group id (lookups from the facet passes need no index built per search), and carrying
        # the group's facet set, which the facets count without joining groups again.
        row = "id INTEGER PRIMARY KEY, score REAL, sort_value, facets INTEGER NOT NULL"
        _emptied(connection, "matched", f"({row})")
        selected_columns = f"g.id, {score}, {sort_value}, g.facets"
        if flags:
            columns = "".join(f", {name} INTEGER NOT NULL" for name in flags)
            connection.execute(f"CREATE TEMP TABLE candidates ({row}{columns})")
            # Only the candidates some facet counts: those meeting every selection but one at most (issue 19: a category
            # and a material picked on the opening page wrote all 100,000 groups, to count a few thousand).
            counted = sorted({self._counting(flags, facet) for facet in selected})
            kept = "" if "1" in counted else f" WHERE {' OR '.join(f'({condition})' for condition in counted)}"
            named = "".join(f", {sql} AS {name}" for name, sql in flags.items())
            # With words, LIMIT -1 (none) keeps SQLite from flattening the flags' subquery into this WHERE, which
            # evaluated the flags of each kept group twice (issue 19: 55 -> 41 ms for "jute" in two countries at 300,000
            # groups, most of whose words' groups are kept). Over every group most are turned away by the WHERE's
            # first flags, and the others' flags are worked out only for those kept: flattened, 80 ms where the
            # subquery took 99 for a category and a material picked at 300,000 groups.
            flagged = f"SELECT {selected_columns}{named} FROM {source} {where}{' LIMIT -1' if kept and text else ''}"
            connection.execute(f"INSERT INTO temp.candidates SELECT * FROM ({flagged}) k{kept}", params)
            every = " AND ".join(flags)
            connection.execute(
                f"INSERT INTO temp.matched SELECT id, score, sort_value, facets FROM temp.candidates WHERE {every}"
            )
        else:  # nothing selected: the candidates are the matched set
            connection.execute(f"INSERT INTO temp.matched SELECT {selected_columns} FROM {source} {where}", params)
        total = connection.execute("SELECT COUNT(*) FROM temp.matched").fetchone()[0]
        ahead = PAGES_AHEAD * query.size if self.keep_matches else 0
        rows, window = self._rows(connection, query, direction, ahead=ahead)
        hits, next_cursor = self._page(connection, query, rows)
        counted_everywhere = (capped, all_capabilities, params) if capped else None
        # Without selections, temp.cap_ok's condition is then the only one (the groups' own were met writing it): the
        # matched groups are temp.cap_ok's, every one.
        cap_ok_matched = not selected and self._writes_cap_ok(query) and len(conditions) == 1
        facets = self._facets(connection, query, flags, everywhere=counted_everywhere, cap_ok_matched=cap_ok_matched)
        if whole:
            [facet] = selected
            chosen = selected_values(query, facet)
            everywhere = self._facets(connection, base, {}, matched="groups")[facet]
            facets[facet] = [replace(value, selected=value.value in chosen) for value in everywhere]
        kept_facets = {facet: list(values) for facet, values in facets.items()}
        if self.keep_matches:
            window_ends = len(window) < len(rows) + ahead
            self._readers.kept = _KeptMatch(connection, key, version, query, direction, total, kept_facets, window, window_ends)
        return SearchResult(total=total, hits=hits, facets=facets, next_cursor=next_cursor, relaxed=is_relaxed(query, hits))

    def _selection_flags(self, query: SearchQuery, selected: tuple[str, ...], params: dict[str, Any]) -> dict[str, str]:
        """Return, by flag name, the SQL of each flag a candidate group carries: whether it meets one facet's selection.

        Category and material select capabilities, and one capability must meet every capability filter
        at once: `cap_all` is that, `cap_no_category`/`cap_no_material` the same without that facet's.
        """
        flags: dict[str, str] = {}
        if "country" in selected:
            flags["f_country"] = f"g.country IN ({_bind(params, 'country', query.countries)})"
        if "verified" in selected:
            params["verified"] = int(query.verified)
            flags["f_verified"] = "g.verified = :verified"
        # The certification flags and, without any other capability filter, the category and material flags are
        # answered by the group's facet set: whether its value sets hold a selected value (issue 19: these read every
        # certificate of the candidates, and every capability of a category, 30,000 at 100,000 groups).
        if "certification" in selected:
            schemes = _bind(params, "cert", query.certifications)
            flags["f_certification"] = _in_facet_sets("certifications", f"{_element(0)} IN ({schemes})")
        if "verified_certification" in selected:
            schemes = _bind(params, "vcert", query.verified_certifications)
            flags["f_verified_certification"] = _in_facet_sets(
                "certifications", f"{_element(0)} IN ({schemes}) AND {_element(1)} = 1"
            )
        if ("category" in selected or "material" in selected) and not (
            query.capacity or self._fixed_capability_conditions(query, {})
        ):
            # One capability must meet both selections: the set of (category, material) pairs of the group's
            # capabilities then holds one pair meeting both.
            codes = _bind(params, "cat", category_codes(query.categories))
            materials = _bind(params, "mat", query.materials)
            by_category = _in_facet_sets("categories", f"j.value IN ({codes})")
            by_material = _in_facet_sets("materials", f"j.value IN ({materials})")
            any_capability = _in_facet_sets("categories", "1")
            if query.categories and query.materials:
                flags["cap_all"] = _in_facet_sets("pairs", f"{_element(0)} IN ({codes}) AND {_element(1)} IN ({materials})")
            else:
                flags["cap_all"] = by_category if query.categories else by_material
            if "category" in selected:
                flags["cap_no_category"] = by_material if query.materials else any_capability
            if "material" in selected:
                flags["cap_no_material"] = by_category if query.categories else any_capability
        elif "category" in selected or "material" in selected:
            # The candidates already meet the capability filters no facet selects, when there are any.
            unselected = bool(self._capability_conditions(query.without("category").without("material"), {}))
            for name, exclude in (("cap_all", None), ("cap_no_category", "category"), ("cap_no_material", "material")):
                if exclude is None or exclude in selected:
                    if exclude is not None and unselected and ({"category", "material"} - {exclude}).isdisjoint(selected):
                        flags[name] = "1"  # its filters are the candidates' own: no second pass over the capabilities
                        continue
                    capability = self._capability_conditions(query, params, exclude=exclude)
                    flags[name] = (
                        f"g.id IN (SELECT c.group_id FROM {self._capabilities(query)} WHERE {' AND '.join(capability)})"
                        if capability
                        else "EXISTS (SELECT 1 FROM caps c WHERE c.group_id = g.id)"  # any capability: a lookup, not every row
                    )
        return flags

    def _sort_value(self, query: SearchQuery, score: str, params: dict[str, Any]) -> tuple[str, str]:
        """The SQL for the sort key and its direction; the group id breaks ties, ascending."""
        if query.sort == Sort.RATING:
            return "COALESCE(g.rating, -1.0)", "DESC"
        if query.sort == Sort.LEAD_TIME:
            capability = self._capability_conditions(query, params)
            extra = f" AND {' AND '.join(capability)}" if capability else ""
            return f"(SELECT MIN(c.lead_time_days) FROM {self._capabilities(query)} WHERE c.group_id = g.id{extra})", "ASC"
        if query.sort == Sort.DISTANCE:
            params.update(near_lat=query.near.lat, near_lon=query.near.lon)
            return f"COALESCE({DISTANCE_SQL}, 1e9)", "ASC"
        return score, "DESC"

    def _browse(self, connection: sqlite3.Connection, query: SearchQuery) -> SearchResult:
        """Answer a query with no words, filter or selection (the search page as it opens, and its next pages).

        Every group matches, so nothing is copied into a matched set (issue 19: 100,000 rows written and
        sorted to show 20): the page is read in the order of an index on the sort key, and the facets are
        one GROUP BY of a covering index over the groups' own columns.
        """
        sort_value, direction = self._sort_value(query, "g.quality_boost", {})
        matched = f"(SELECT g.id AS id, g.quality_boost AS score, {sort_value} AS sort_value FROM groups g)"
        total = connection.execute("SELECT COUNT(*) FROM groups").fetchone()[0]
        rows, _window = self._rows(connection, query, direction, matched=matched)
        hits, next_cursor = self._page(connection, query, rows)
        facets = self._facets(connection, query, {}, matched="groups")
        return SearchResult(total=total, hits=hits, facets=facets, next_cursor=next_cursor, relaxed=is_relaxed(query, hits))

    @staticmethod
    def _rows(
        connection: sqlite3.Connection, query: SearchQuery, direction: str, *, matched: str = "temp.matched", ahead: int = 0
    ) -> tuple[list[tuple[int, float, Any]], tuple[tuple[int, float, Any], ...]]:
        """One page's rows (id, score, sort value) of the matched set (a table, or a subquery of id, score and sort_value)
        after the cursor, with the one after them if any: keyset pagination on (sort value, id). With them, the page's rows
        and up to `ahead` more, in page order, read by the same statement (its sort keeps that many more)."""
        params: dict[str, Any] = {"limit": query.size + 1 + ahead}
        keyset = ""
        if query.after:
            value, last_id = decode_cursor(query.after)
            params.update(after_value=value, after_id=last_id)
            beyond = "<" if direction == "DESC" else ">"
            keyset = f"WHERE m.sort_value {beyond} :after_value OR (m.sort_value = :after_value AND m.id > :after_id)"
        rows = connection.execute(
            f"SELECT m.id, m.score, m.sort_value FROM {matched} m {keyset} ORDER BY m.sort_value {direction}, m.id "
            "ASC LIMIT :limit",
            params,
        ).fetchall()
        return rows[: query.size + 1], tuple(rows)

    def _page(
        self, connection: sqlite3.Connection, query: SearchQuery, rows: list[tuple[int, float, Any]]
    ) -> tuple[list, str | None]:
        """The hits and next cursor of a page whose rows (id, score, sort value, and the next one if any) `_rows` read."""
        # The page first, then only its documents: joining before the sort read every matched group's document.
        shown = [row[0] for row in rows[: query.size]]
        stored = dict(connection.execute(f"SELECT id, doc FROM docs WHERE id IN ({', '.join('?' * len(shown))})", shown))
        matcher = TermMatcher(query.terms)
        docs = [json.loads(stored[group_id]) for group_id in shown]
        if query.capacity:
            _restore_capacity_keys(connection, docs, query.capacity.by)
        hits = [make_hit(doc, query, row[1], matcher) for doc, row in zip(docs, rows, strict=False)]
        next_cursor = encode_cursor([rows[query.size - 1][2], rows[query.size - 1][0]]) if len(rows) > query.size else None
        return hits, next_cursor

    @staticmethod
    def _counting(flags: dict[str, str], facet: str) -> str:
        """Return the SQL condition of the candidates a facet counts among: those meeting every selection but its own."""
        own = {"category": "cap_no_category", "material": "cap_no_material"}.get(facet, f"f_{facet}")
        others = [flag for flag in flags if flag != own and not flag.startswith("cap_no_")]
        if own in flags and own.startswith("cap_no_"):  # its capabilities need only meet the other capability filters
            others = [flag for flag in others if flag != "cap_all"] + [own]
        return " AND ".join(f"k.{flag}" for flag in others) or "1"

    def _facets(
        self,
        connection: sqlite3.Connection,
        query: SearchQuery,
        flags: dict[str, str],
        *,
        matched: str = "temp.matched",
        everywhere: tuple[str, str | None, dict[str, Any]] | None = None,
        cap_ok_matched: bool = False,
    ) -> dict[str, list[FacetValue]]:
        """Count every facet's values in at most three passes, without matching anything again (issue 19).

        A facet without a selection counts the matched groups; one with a selection counts the candidates
        that meet every other selection (as Elasticsearch's post_filter does), read from their flags.
        Country, verified, the certification facets, and category and material unless a capability filter
        other than each other's selection applies to them, share one pass over the groups' facet sets (by
        `facets`, one integer per matched group); the others count the capabilities that meet that filter.
        `everywhere` is (facet, FROM clause, params) for the capability facet that counts every capability that meets
        the filter, whatever its group: there, every group is a candidate (a search's temp.cap_ok, or, when that holds
        only the selected categories, the FROM and WHERE clauses of all of them from `_capacity_met`).
        `cap_ok_matched` says that the matched groups are exactly those of the search's temp.cap_ok: a capability facet
        without a selection then counts temp.cap_ok's rows without looking each group up among the matched ones (issue
        19: 5.2 -> 1.5 ms for the category facet and 13.4 -> 8.7 ms for the material facet of a capacity search near Dhaka
        at 300,000 groups).
        """
        counting = {facet: self._counting(flags, facet) for facet in FACETS}
        everywhere_facet, all_capabilities, capability_params = everywhere or (None, None, {})
        matched_set = matched
        matched = {facet: counting[facet] == self._counting(flags, "") for facet in FACETS}  # no selection of its own

        def groups_of(facet: str) -> str:
            """The groups a facet counts among: the matched set, or the candidates meeting the other selections."""
            return (
                "SELECT id FROM temp.matched" if matched[facet] else f"SELECT k.id FROM temp.candidates k WHERE {counting[facet]}"
            )

        # One GROUP BY for every facet the groups' own columns answer: country, verified, the certification
        # schemes, and category and material unless a capability filter applies to them. Groups share few
        # combinations of these (hundreds at 100,000 groups), each counted once per facet.
        by_sets = [facet for facet in ("category", "material") if not self._capability_conditions(query, {}, exclude=facet)]
        # A category or material facet whose only capability filter is the other's selection counts the groups with
        # a (category, material) pair that meets it: a capability of that value meeting the selection.
        by_pairs = [
            facet
            for facet in ("category", "material")
            if facet not in by_sets
            and matched_set != "groups"
            and not query.capacity
            and not self._fixed_capability_conditions(query, {})
        ]
        columns = ["country", "verified", "certifications", *(_VALUE_SET_COLUMNS[facet] for facet in by_sets)]
        columns += ["pairs"] if by_pairs else []
        answered = ["country", "verified", "certification", "verified_certification", *by_sets, *by_pairs]
        if matched_set == "groups":  # every group: in the order of the covering index ix_groups_facets, with no sort
            sums = ", ".join("COUNT(*)" for _ in answered)
            rows = connection.execute(f"SELECT {', '.join(columns)}, {sums} FROM groups GROUP BY {', '.join(columns)}").fetchall()
        else:
            # By facet set, one integer, then each set's values read once: a combination of `columns` may span
            # several sets (when category or material is not among them), and is summed below like any other row.
            if all(matched[facet] for facet in answered):
                table, adds = matched_set, ["1" for _ in answered]
            else:
                table, adds = "temp.candidates", [f"({counting[facet]})" for facet in answered]
            # Each group added to its set's counts as it comes, a few hundred rows: GROUP BY sorted every matched group
            # first (issue 19: 17.4 -> 10.9 ms for the 80,539 groups of "recycled brass jewelry" at 300,000 groups).
            # Facets counting the same groups share one counter.
            distinct = list(dict.fromkeys(adds))
            counters = [f"n{i}" for i in range(len(distinct))]
            _emptied(connection, "facet_counts", _FACET_COUNTS)
            connection.execute(
                f"INSERT INTO temp.facet_counts (facets, {', '.join(counters)}) SELECT k.facets, {', '.join(distinct)} "
                f"FROM {table} k WHERE 1 ON CONFLICT (facets) DO UPDATE SET "
                + ", ".join(f"{n} = {n} + excluded.{n}" for n in counters)
            )
            rows = connection.execute(
                f"SELECT {', '.join(f's.{c}' for c in columns)}, {', '.join(f'k.n{distinct.index(add)}' for add in adds)} "
                "FROM temp.facet_counts k JOIN facet_sets s ON s.id = k.facets"
            ).fetchall()
        set_ids = {row[i] for row in rows for i in range(2, len(columns))}
        sets = {
            set_id: json.loads(value_set)
            for set_id, value_set in connection.execute(
                f"SELECT id, value_set FROM value_sets WHERE id IN ({', '.join('?' * len(set_ids))})", list(set_ids)
            )
        }
        totals: dict[str, dict[Any, int]] = {facet: defaultdict(int) for facet in answered}
        codes, materials = set(category_codes(query.categories)), set(query.materials)
        for row in rows:
            n = dict(zip(answered, row[len(columns) :], strict=True))
            totals["country"][row[0]] += n["country"]
            totals["verified"][row[1]] += n["verified"]
            for scheme, verified_flag in sets[row[2]]:
                totals["certification"][scheme] += n["certification"]
                if verified_flag:
                    totals["verified_certification"][scheme] += n["verified_certification"]
            for position, facet in enumerate(by_sets, start=3):
                for value in sets[row[position]]:
                    totals[facet][value] += n[facet]
            if by_pairs:
                pairs = sets[row[len(columns) - 1]]
                if "material" in by_pairs:
                    for value in {material for category, material in pairs if category in codes}:
                        totals["material"][value] += n["material"]
                if "category" in by_pairs:
                    for value in {category for category, material in pairs if material in materials}:
                        totals["category"][value] += n["category"]
        counted: dict[str, list[tuple[Any, int]]] = {
            facet: [(value, count) for value, count in values.items() if count] for facet, values in totals.items()
        }
        for facet in ("category", "material"):
            if facet in by_sets or facet in by_pairs:
                continue
            # Groups per value among the capabilities that meet the other capability filters.
            params: dict[str, Any] = {}
            if facet == everywhere_facet and all_capabilities:  # the category facet, of a single category's capacity search
                counted[facet] = _named_categories(
                    connection,
                    f"SELECT c.category AS value, COUNT(DISTINCT c.group_id) AS n {all_capabilities} GROUP BY value",
                    capability_params,
                )
                continue
            others = self._capability_conditions(query, params, exclude=facet)
            # IN, not a join: as for the matched set before, SQLite reads the counted groups' capabilities by ix_caps_group.
            every_group = facet == everywhere_facet or (cap_ok_matched and matched[facet])
            groups = [] if every_group else [f"c.group_id IN ({groups_of(facet)})"]
            capability = " AND ".join([*groups, *others])
            if facet == "material":
                # Each capability's group and material set, counted here (see _count_material_sets).
                rows = connection.execute(
                    f"SELECT c.group_id, c.materials FROM {self._capabilities(query)} WHERE {capability}", params
                )
                counted[facet] = _count_material_sets(connection, rows)
                continue
            counted[facet] = _named_categories(
                connection,
                f"SELECT c.category AS value, COUNT(DISTINCT c.group_id) AS n FROM {self._capabilities(query)} "
                f"WHERE {capability} GROUP BY value",
                params,
            )
        facets: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            rows = sorted(counted[facet], key=lambda pair: (-pair[1], pair[0]))[:FACET_SIZE]
            selected = selected_values(query, facet)
            facets[facet] = [
                FacetValue(_facet_text(facet, value), count, _facet_text(facet, value) in selected) for value, count in rows
            ]
        return facets


_VALUE_SET_COLUMNS = {"category": "categories", "material": "materials"}

# A search's counts by facet set (see `_facets`): country, verified, the two certification facets, category and material.
_FACET_COUNTS = "(facets INTEGER PRIMARY KEY, " + ", ".join(f"n{i} INTEGER NOT NULL DEFAULT 0" for i in range(6)) + ")"


@dataclass(frozen=True)
class _KeptMatch:
    """The search whose matched set a reader's temp.matched holds: its query without cursor or size (`key`), the index's
    data_version then, the planned query, the page direction, the total and the facets, and the rows read ahead of the last
    page (`window`, see `window_after`): the next pages within them read nothing from the set."""

    connection: sqlite3.Connection
    key: SearchQuery
    version: int
    planned: SearchQuery
    direction: str
    total: int
    facets: dict[str, list[FacetValue]]
    window: tuple[tuple[int, float, Any], ...] = ()
    window_ends: bool = False

    def window_after(self, after: str | None, size: int) -> list[tuple[int, float, Any]] | None:
        """The rows of the page of `size` after the cursor `after` (with the one after it, if any), from the rows read ahead
        (`window`, in page order; `window_ends` when they run to the end of the set); None when they do not hold them all."""
        if after is None:
            return None
        value, last_id = decode_cursor(after)
        for position, (group_id, _score, sort_value) in enumerate(self.window):
            if group_id == last_id:
                following = list(self.window[position + 1 : position + 2 + size])
                return following if sort_value == value and (len(following) > size or self.window_ends) else None
        return None


def _named_categories(connection: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[tuple[str, int]]:
    """Return the (category code, groups) pairs that `sql` (with `params`) counts by category id (`codes`), in any order:
    a few dozen rows, which `_facets` sorts and cuts to FACET_SIZE."""
    counts = connection.execute(sql, params).fetchall()
    if not counts:
        return []
    placeholders = ", ".join("?" * len(counts))
    names = dict(connection.execute(f"SELECT id, value FROM codes WHERE id IN ({placeholders})", [i for i, _ in counts]))
    return [(names[category], n) for category, n in counts]


def _count_material_sets(connection: sqlite3.Connection, rows: Iterable[tuple[int, int]]) -> list[tuple[str, int]]:
    """Return (material, groups) pairs: how many groups hold a capability of each material, from `rows` of (group id,
    the value-set id of one of its capabilities' materials), in any order.

    In one pass, by hashing: a GROUP BY of (material, group) sorted every capability's materials twice (issue 19: 20 of a
    capacity search's 30 ms in the material facet at 100,000 groups, growing faster than the capabilities). Most groups
    have one set; those with several are counted once per combination, each set's values read once.
    """
    by_group: dict[int, Any] = {}
    for group_id, set_id in rows:
        held = by_group.get(group_id)
        if held is None:
            by_group[group_id] = set_id
        elif held != set_id:
            by_group[group_id] = (held if isinstance(held, frozenset) else frozenset((held,))) | {set_id}
    combinations: dict[Any, int] = defaultdict(int)
    for held in by_group.values():
        combinations[held] += 1
    set_ids = {set_id for held in combinations for set_id in (held if isinstance(held, frozenset) else (held,))}
    sets = _value_sets_by_id(connection, set_ids)
    totals: dict[str, int] = defaultdict(int)
    for held, n in combinations.items():
        values = set().union(*(sets[set_id] for set_id in held)) if isinstance(held, frozenset) else sets[held]
        for value in values:
            totals[value] += n
    return list(totals.items())


def _value_sets_by_id(connection: sqlite3.Connection, set_ids: set[int]) -> dict[int, list[Any]]:
    """Return the values of each value set by id."""
    placeholders = ", ".join("?" * len(set_ids))
    query = f"SELECT id, value_set FROM value_sets WHERE id IN ({placeholders})"
    return {set_id: json.loads(text) for set_id, text in connection.execute(query, list(set_ids))}


def _group_value_sets(doc: dict[str, Any]) -> tuple[str, str, str, str]:
    """A document's categories, materials, (scheme, verified) certifications and (category, material) pairs of its
    capabilities, each as the JSON of a sorted list."""
    categories = sorted({c["category"] for c in doc["capabilities"]})
    materials = sorted({m for c in doc["capabilities"] for m in c["materials"]})
    verified = set(doc["verified_certifications"])
    certifications = sorted({(scheme, int(scheme in verified)) for scheme in doc["certifications"]})
    pairs = sorted({(c["category"], m) for c in doc["capabilities"] for m in c["materials"]})
    return tuple(json.dumps(values, separators=(",", ":")) for values in (categories, materials, certifications, pairs))


def _value_sets(connection: sqlite3.Connection, docs: list[dict[str, Any]]) -> dict[int, tuple[int, ...]]:
    """Return each document's value-set ids by group id, adding the sets `value_sets` does not hold yet."""
    texts = {doc["id"]: _group_value_sets(doc) for doc in docs}
    ids = _value_set_ids(connection, {text for sets in texts.values() for text in sets})
    return {group_id: tuple(ids[text] for text in sets) for group_id, sets in texts.items()}


def _capability_material_sets(connection: sqlite3.Connection, docs: list[dict[str, Any]]) -> dict[int, int]:
    """Return the value-set id of each capability's materials (a sorted list, as a group's) by capability id, adding the
    sets `value_sets` does not hold yet."""
    texts = {c["id"]: json.dumps(sorted(set(c["materials"])), separators=(",", ":")) for doc in docs for c in doc["capabilities"]}
    ids = _value_set_ids(connection, set(texts.values()))
    return {cap_id: ids[text] for cap_id, text in texts.items()}


def _code_ids(connection: sqlite3.Connection, kind: str, values: set[str]) -> dict[str, int]:
    """Return the id in `codes` of each category or currency code (`kind` 'category' or 'currency'), adding those it does
    not hold yet."""
    return _interned(connection, "codes", "value", values, kind=kind)


def _value_set_ids(connection: sqlite3.Connection, texts: set[str]) -> dict[str, int]:
    """Return the id of each value set (JSON text) by its text, adding those `value_sets` does not hold yet."""
    return _interned(connection, "value_sets", "value_set", texts)


def _interned(connection: sqlite3.Connection, table: str, column: str, values: set[str], **fixed: str) -> dict[str, int]:
    """Return the id of each of `values` in `table`'s unique `column` (in rows holding `fixed`: column name to value),
    adding the rows it does not hold yet. Read back 500 at a time, under SQLite's bound-parameter limit."""
    distinct = sorted(values)
    names = [*fixed, column]
    connection.executemany(
        f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        ((*fixed.values(), value) for value in distinct),
    )
    where = "".join(f"{name} = ? AND " for name in fixed)
    ids: dict[str, int] = {}
    for start in range(0, len(distinct), 500):
        chunk = distinct[start : start + 500]
        placeholders = ", ".join("?" * len(chunk))
        ids.update(
            connection.execute(
                f"SELECT {column}, id FROM {table} WHERE {where}{column} IN ({placeholders})", [*fixed.values(), *chunk]
            )
        )
    return ids


def _facet_sets(
    connection: sqlite3.Connection, docs: list[dict[str, Any]], value_sets: dict[int, tuple[int, ...]]
) -> dict[int, int]:
    """Return each document's facet-set id by group id (see `facet_sets`), adding the combinations not held yet.

    `value_sets` are `_value_sets`' ids: categories, materials, certifications, pairs.
    """
    combinations = {}
    for doc in docs:
        categories, materials, certifications, pairs = value_sets[doc["id"]]
        combinations[doc["id"]] = (doc["country"], int(doc["verified"]), certifications, categories, materials, pairs)
    distinct = sorted(set(combinations.values()))
    connection.executemany(
        "INSERT OR IGNORE INTO facet_sets (country, verified, certifications, categories, materials, pairs) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        distinct,
    )
    ids = {}
    for combination in distinct:
        ids[combination] = connection.execute(
            "SELECT id FROM facet_sets WHERE country = ? AND verified = ? AND certifications = ? AND categories = ? "
            "AND materials = ? AND pairs = ?",
            combination,
        ).fetchone()[0]
    return {group_id: ids[combination] for group_id, combination in combinations.items()}


def _emptied(connection: sqlite3.Connection, table: str, definition: str, indexes: dict[str, str] | None = None) -> None:
    """Make the temporary table `table` (`definition`: its columns and options, as in CREATE TABLE) empty, with exactly
    `indexes` (name: columns), for a search to fill.

    The table a previous search left is emptied, not dropped and created again: any change of the schema makes SQLite
    prepare every statement of the connection again (issue 19: a fifth of a search at 72 groups). One that differs (other
    columns, other indexes) is made again.
    """
    wanted = {table: f"CREATE TABLE {table} {definition}"} | {
        name: f"CREATE INDEX {name} ON {table} {columns}" for name, columns in (indexes or {}).items()
    }
    found = dict(connection.execute("SELECT name, sql FROM temp.sqlite_master WHERE tbl_name = ?", (table,)).fetchall())
    if found == wanted:
        connection.execute(f"DELETE FROM temp.{table}")
        return
    connection.execute(f"DROP TABLE IF EXISTS temp.{table}")
    connection.execute(f"CREATE TEMP TABLE {table} {definition}")
    for name, columns in (indexes or {}).items():
        connection.execute(f"CREATE INDEX temp.{name} ON {table} {columns}")


def _map_size(path: Path) -> int:
    """Return the bytes a reader maps of the index file: MMAP_BYTES, or twice the file's size when larger.

    At most MMAP_MAX_BYTES; SQLite lowers it to its build's SQLITE_MAX_MMAP_SIZE (2 GB by default).
    """
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        size = 0
    return min(max(MMAP_BYTES, 2 * size), MMAP_MAX_BYTES)


def _browses(query: SearchQuery) -> bool:
    """Tell whether every group matches `query` and it sorts by an indexed key (relevance, which is then quality, or rating)."""
    bare = SearchQuery(sort=query.sort, size=query.size, after=query.after, currency=query.currency)
    return query.sort in (Sort.RELEVANCE, Sort.RATING) and not query.terms and replace(query, text="") == bare


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode: a rebuild's rename gives the path a new one."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _stored(doc: dict[str, Any]) -> str:
    """The document as stored for showing hits: without its capacity keys, which cap_runs holds
    (a capability's hundred-odd keys would be most of the JSON read back for every hit)."""
    capabilities = [{k: v for k, v in c.items() if k != "capacity_keys"} for c in doc["capabilities"]]
    return json.dumps({**doc, "capabilities": capabilities}, separators=(",", ":"))


def _restore_capacity_keys(connection: sqlite3.Connection, docs: list[dict[str, Any]], by: dt.date) -> None:
    """Put back into stored documents the capacity key of the week `by` falls in: all a hit needs to
    say its units by that date (search.documents.units_by)."""
    keys: dict[int, list[int]] = defaultdict(list)
    week = capacity_key_range(0, by)[0] >> UNITS_BITS
    cap_ids = [c["id"] for doc in docs for c in doc["capabilities"]]
    for start in range(0, len(cap_ids), 500):
        chunk = cap_ids[start : start + 500]
        placeholders = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT cap_id, base + step * (? - first_week) FROM cap_runs WHERE cap_id IN ({placeholders}) "
            "AND first_week <= ? AND last_week >= ?"
        )
        for cap_id, units in connection.execute(sql, [week, *chunk, week, week]):
            keys[cap_id].append(capacity_key(week, units))
    for doc in docs:
        for capability in doc["capabilities"]:
            capability["capacity_keys"] = keys.get(capability["id"], [])


def capacity_runs(keys: list[int]) -> list[tuple[int, int, int, int]]:
    """Fold a capability's weekly capacity keys into runs (first week, last week, units in the first, step per week).

    `keys` are search.documents.capacity_keys: consecutive weeks, cumulative units. Weeks over which the
    units grow by the same step make one run, so a steady capability is one run, and each week that
    differs (a calendar exception, the cap at UNITS_MAX) adds at most two. Unfolding gives the keys back.
    """
    runs: list[tuple[int, int, int, int]] = []
    for key in sorted(keys):
        week, units = key >> UNITS_BITS, key & UNITS_MAX
        if runs:
            first, last, base, step = runs[-1]
            if week == last + 1 and (last == first or units - (base + step * (last - first)) == step):
                runs[-1] = (first, week, base, units - base if last == first else step)
                continue
        runs.append((week, week, units, 0))
    return runs


def capacity_line(runs: list[tuple[int, int, int, int]]) -> tuple[int | None, ...]:
    """Bound a capability's cumulative units by two parallel lines: (first week, last week, pace, low, high).

    `runs` are capacity_runs' (first week, last week, units in the first, step per week), consecutive. For
    every week w of the runs, low + pace * (w - first week) <= units(w) <= high + pace * (w - first week);
    `pace` is the step of the longest run (the weekly capacity, for most), so the lines lie within a calendar
    exception or two of each other. Five NULLs without runs (no week has units); `low` NULL when weeks are
    missing between runs (capacity_keys leaves none).
    """
    if not runs:
        return (None,) * 5
    first, last = runs[0][0], runs[-1][1]
    pace = max(runs, key=lambda run: run[1] - run[0])[3]
    # units(w) - pace * (w - first) is linear over a run: its extremes are at the run's ends.
    offsets = [base + step * (week - start) - pace * (week - first) for start, end, base, step in runs for week in (start, end)]
    consecutive = all(following[0] == run[1] + 1 for run, following in zip(runs, runs[1:], strict=False))
    # Weeks missing between runs have no units: then no week is sure from the line, each is read from the runs.
    return first, last, pace, min(offsets) if consecutive else None, max(offsets)


def _held(connection: sqlite3.Connection, term: str) -> bool:
    """Tell whether some indexed group holds the term (the terms table keeps those no group holds any more)."""
    return connection.execute("SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", (f'"{term}"',)).fetchone() is not None


def _in_facet_sets(column: str, element: str) -> str:
    """SQL: whether the group `g`'s facet set holds, in its value set `column`, an element meeting the SQL condition `element`.

    `element` is written on `j`, a row of json_each over a value set (`j.value`, or `_element` of an array element).
    Value sets and facet sets number hundreds at 100,000 groups: the ids are listed once per statement.
    """
    return (
        f"g.facets IN (SELECT s.id FROM facet_sets s WHERE s.{column} IN "
        f"(SELECT v.id FROM value_sets v, json_each(v.value_set) j WHERE {element}))"
    )


def _element(position: int) -> str:
    """SQL: item `position` of the array element `j` of a value set (a pair, or a scheme and its verified flag); NULL
    for an element that is not an array (sets of other kinds share value_sets and are read by the same scan)."""
    return f"(CASE WHEN j.type = 'array' THEN json_extract(j.value, '$[{position}]') END)"


def _any_of(terms: Iterable[str]) -> str:
    """An FTS5 expression matching any of the indexed terms (each quoted: a term is one token)."""
    return " OR ".join(f'"{t}"' for t in terms)


def _coded(params: dict[str, Any], prefix: str, kind: str, values: Iterable[str]) -> str:
    """Bind each category or currency code (`kind`) as its own named parameter and return a subquery of their ids in `codes`
    for an IN list (codes no capability holds have none)."""
    return f"SELECT k.id FROM codes k WHERE k.kind = '{kind}' AND k.value IN ({_bind(params, prefix, values)})"


def _bind(params: dict[str, Any], prefix: str, values: Iterable[Any]) -> str:
    """Bind each value as its own named parameter and return the placeholders for an IN list (NULL if none)."""
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return ", ".join(names) or "NULL"


def _facet_text(facet: str, value: Any) -> str:
    if facet == "verified":
        return "true" if value else "false"
    return str(value)
