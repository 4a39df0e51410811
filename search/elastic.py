"""The Elasticsearch backend: versioned indices behind an alias, external versions from the database,
facets from aggregations beside a post_filter, deep pages with search_after.

It relies only on what the stripped-down server zip offers (no analysis-common, no scripts): text
arrives already analysed by search.analysis and is split on whitespace.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.helpers import parallel_bulk, streaming_bulk

from marketplace.i18n import N_
from search.analysis import FUZZINESS
from search.backends import Progress
from search.documents import capacity_key_range, instant_text
from search.query import (
    FACETS,
    FIELD_WEIGHTS,
    FUZZY_SHARE,
    FacetValue,
    InvalidQuery,
    Ranking,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    TermMatcher,
    category_codes,
    decode_cursor,
    encode_cursor,
    is_relaxed,
    make_hit,
    selected_values,
)

FACET_SIZE = 30
GROUP_FACET_FIELDS = {
    "country": "country",
    "certification": "certifications",
    "verified_certification": "verified_certifications",
    "verified": "verified",
}
_TERMS = {"type": "text", "analyzer": "whitespace", "index_options": "freqs"}  # analysed already; no phrase queries
_KEYWORD = {"type": "keyword"}  # filtered and aggregated on
_FILTER_ONLY = {"type": "keyword", "doc_values": False}  # filtered on, never sorted or aggregated
_STORED = {"type": "keyword", "index": False, "doc_values": False}  # only shown

MAPPING_VERSION = 4  # raised whenever MAPPING changes: an index with another needs a rebuild
MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"loom_mapping_version": MAPPING_VERSION},
    # The analysed text is searched, never shown: keep it out of the stored source.
    "_source": {"excludes": ["name_terms", "capability_terms", "story_terms", "place_terms"]},
    "properties": {
        "id": {"type": "long"},
        "version": {"type": "long", "index": False},
        "slug": _FILTER_ONLY,
        "name": _STORED,
        "story": {"type": "text", "index": False},
        "country": _KEYWORD,
        "region": _STORED,
        "city": _STORED,
        "location": {"type": "geo_point"},
        "verified": {"type": "boolean"},
        "rating": {"type": "float"},
        "rating_count": {"type": "integer", "index": False},
        "response_time_hours": {"type": "integer"},
        "artisan_count": {"type": "integer"},
        "photo": {"type": "object", "enabled": False},  # only shown: the cover photo's path, size and alt text
        "languages": _FILTER_ONLY,
        "certifications": _KEYWORD,
        "verified_certifications": _KEYWORD,
        "self_declared_certifications": _STORED,
        "categories": _FILTER_ONLY,
        "materials": _FILTER_ONLY,
        "techniques": _FILTER_ONLY,
        "quality_boost": {"type": "float", "index": False},
        "reputation": {"type": "object", "enabled": False},  # shown on results, ranked on through quality_boost only
        "indexed_on": {"type": "date"},
        "fresh_until": {"type": "date"},
        "name_terms": _TERMS,
        "capability_terms": _TERMS,
        "story_terms": _TERMS,
        "place_terms": _TERMS,
        "capabilities": {
            "type": "nested",
            "properties": {
                "id": {"type": "long", "index": False},
                "category": _KEYWORD,
                "top_category": _FILTER_ONLY,
                "label": _STORED,
                "title": _STORED,
                "materials": _KEYWORD,
                "techniques": _FILTER_ONLY,
                "terms": _TERMS,
                "moq": {"type": "integer", "doc_values": False},
                "lead_time_days": {"type": "integer"},
                "price_min": {"type": "double", "doc_values": False},
                "price_max": {"type": "double", "doc_values": False},
                "currency": _FILTER_ONLY,
                "weekly_capacity": {"type": "integer", "index": False},
                "capacity_keys": {"type": "long", "doc_values": False},
                "ready_on": {"type": "date", "doc_values": False},
            },
        },
    },
}
SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
}


class ElasticsearchIndex:
    """Loom's search index on Elasticsearch; `alias` always points at the live versioned index."""

    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, *, prefix: str = "loom-groups") -> None:
        self.client = client
        self.alias = prefix
        self.building_alias = f"{prefix}-building"

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "loom-groups") -> ElasticsearchIndex:
        """Return an index on the Elasticsearch at `url` (10 s timeout, one retry), its indices named after `prefix`."""
        client = Elasticsearch(url, request_timeout=10, max_retries=1, retry_on_timeout=False)
        return cls(client, prefix=prefix)

    # ----- index lifecycle -----------------------------------------------------------------------

    def _new_index_name(self) -> str:
        return f"{self.alias}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"

    def _create(self, name: str, *, building: bool = False) -> None:
        # While building: no refreshes and an asynchronous translog; both are restored before the switch.
        building_settings = {"refresh_interval": "-1", "translog": {"durability": "async"}}
        settings = {**SETTINGS, **(building_settings if building else {})}
        self.client.indices.create(index=name, settings=settings, mappings=MAPPING)

    def ensure(self) -> None:
        """Create the first versioned index and its alias if there is none yet."""
        with _translated():
            if not self.client.indices.exists_alias(name=self.alias):
                name = self._new_index_name()
                self._create(name)
                self.client.indices.put_alias(index=name, name=self.alias)

    def _write_targets(self) -> list[str]:
        """The live index and any index being built, so that no update falls between the two."""
        targets = [self.alias]
        if self.client.indices.exists_alias(name=self.building_alias):
            targets.append(self.building_alias)
        return targets

    # ----- writing -------------------------------------------------------------------------------

    def _actions(self, documents: Iterable[dict[str, Any]], index: str) -> Iterable[dict[str, Any]]:
        for doc in documents:
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": str(doc["id"]),
                "version": doc["version"],
                "version_type": "external",
                "_source": doc,
            }

    def _bulk(
        self, documents: Iterable[dict[str, Any]], index: str, *, progress: Progress | None = None, chunk: int = 1000
    ) -> int:
        written = 0
        for ok, item in streaming_bulk(
            self.client, self._actions(documents, index), chunk_size=chunk, raise_on_error=False, max_retries=2
        ):
            result = item["index"]
            if ok:
                written += 1
            elif result.get("status") != 409:  # 409: a newer version is already there, which is right
                raise RuntimeError(f"Elasticsearch refused group {result.get('_id')}: {result.get('error')}")
            if progress:
                progress(1)
        return written

    def _parallel_bulk(self, documents: Iterable[dict[str, Any]], index: str, *, progress: Progress | None = None) -> int:
        """Bulk-load with two requests in flight, so building documents overlaps with Elasticsearch indexing them."""
        written = 0
        for ok, item in parallel_bulk(
            self.client, self._actions(documents, index), thread_count=2, chunk_size=2000, queue_size=2, raise_on_error=False
        ):
            if not ok:
                raise RuntimeError(f"Elasticsearch refused group {item['index'].get('_id')}: {item['index'].get('error')}")
            written += 1
            if progress:
                progress(1)
        return written

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        """Write the documents (one per group, with its version) to every live index; return how many.

        Raises SearchUnavailable when Elasticsearch does not answer.
        """
        documents = list(documents)
        with _translated():
            self.ensure()
            written = 0
            for target in self._write_targets():
                written = self._bulk(documents, target)
            self.client.indices.refresh(index=self.alias)
        return written

    def delete(self, group_id: int, version: int) -> None:
        """Remove the group's document unless a newer version is indexed (a tombstone keeps a late update out).

        Raises SearchUnavailable when Elasticsearch does not answer.
        """
        with _translated():
            self.ensure()
            for target in self._write_targets():
                # With an external version the delete keeps a tombstone: a late, older update cannot resurrect it.
                with contextlib.suppress(NotFoundError, ConflictError):
                    self.client.delete(index=target, id=str(group_id), version=version, version_type="external", refresh=True)

    def rebuild(self, documents: Iterable[dict[str, Any]], *, progress: Progress | None = None) -> int:
        """Build a new versioned index, then move the alias to it in one atomic step."""
        with _translated():
            self.ensure()
            name = self._new_index_name()
            self._create(name, building=True)
            self.client.indices.put_alias(index=name, name=self.building_alias)
            try:
                count = self._parallel_bulk(documents, name, progress=progress)
                self.client.indices.put_settings(
                    index=name, settings={"refresh_interval": "1s", "translog": {"durability": "request"}}
                )
                self.client.indices.refresh(index=name)
                old = list(self.client.indices.get_alias(name=self.alias))
                self.client.indices.update_aliases(
                    actions=[
                        *({"remove": {"index": index, "alias": self.alias}} for index in old),
                        {"add": {"index": name, "alias": self.alias}},
                        {"remove": {"index": name, "alias": self.building_alias}},
                    ]
                )
            except BaseException:
                self.client.indices.delete(index=name, ignore_unavailable=True)
                raise
            for index in old:
                self.client.indices.delete(index=index, ignore_unavailable=True)
        return count

    def count(self) -> int:
        """Return how many groups are indexed. Raises SearchUnavailable when Elasticsearch does not answer."""
        with _translated():
            self.ensure()
            return self.client.count(index=self.alias)["count"]

    def earliest_fresh_until(self) -> dt.datetime | None:
        """The soonest UTC instant at which an indexed document's capacity goes stale (None when the index is empty)."""
        with _translated():
            self.ensure()
            response = self.client.search(index=self.alias, size=0, aggs={"soonest": {"min": {"field": "fresh_until"}}})
        value = response["aggregations"]["soonest"].get("value")
        return None if value is None else dt.datetime.fromtimestamp(value / 1000, dt.UTC)

    def schema_is_current(self) -> bool:
        """Was the live index created with this version's mapping? (If not, a rebuild brings it up to date.)"""
        with _translated():
            if not self.client.indices.exists_alias(name=self.alias):
                return True
            mappings = self.client.indices.get_mapping(index=self.alias)
        return all(m["mappings"].get("_meta", {}).get("loom_mapping_version") == MAPPING_VERSION for m in mappings.values())

    # ----- searching -----------------------------------------------------------------------------

    def body(self, query: SearchQuery) -> dict[str, Any]:
        """The search request for a query: public so the benchmark can send the very same body raw."""
        if query.sort == Sort.DISTANCE and query.near is None:
            raise InvalidQuery(N_("Sorting by distance needs a place to measure from."))
        text = _text_query(query)
        base_filters = _base_filters(query)
        main = {"bool": {"must": [text] if text else [{"match_all": {}}], "filter": base_filters}}
        # Quality orders equals: added to a text score (see Ranking), the whole score without text.
        quality = {"field_value_factor": {"field": "quality_boost", "missing": 1}, "boost_mode": "sum" if text else "replace"}
        scored = {"function_score": {"query": main, **quality}}
        body: dict[str, Any] = {
            "query": scored,
            "post_filter": {"bool": {"filter": _facet_filters(query)}},
            "aggs": {facet: _facet_aggregation(query, facet) for facet in FACETS},
            "sort": _sort(query),
            "size": query.size + 1,
            "track_total_hits": True,
            "track_scores": True,  # how many words a hit has is read from its score, whatever the sort
            "_source": {"excludes": _unshown_fields(query)},
        }
        if query.after:
            body["search_after"] = decode_cursor(query.after)
        return body

    @staticmethod
    def _product_words_request(query: SearchQuery) -> dict[str, Any]:
        """The request that tells which of the query's words some capability in the index holds (no hits)."""
        per_word = {str(i): _capability_word(term) for i, term in enumerate(query.terms)}
        aggregation = {
            "capabilities": {"nested": {"path": "capabilities"}, "aggs": {"words": {"filters": {"filters": per_word}}}}
        }
        return {"size": 0, "aggs": aggregation}

    @staticmethod
    def _bind_product_words(query: SearchQuery, response: Any) -> SearchQuery:
        """The query bound to the product words the answer to `_product_words_request` found."""
        buckets = response["aggregations"]["capabilities"]["words"]["buckets"]
        products = tuple((term,) for i, term in enumerate(query.terms) if buckets[str(i)]["doc_count"] > 0)
        return replace(query, capability_words=products)

    def plan(self, query: SearchQuery) -> SearchQuery:
        """Bind the capability filters to the capabilities the words describe, if any capability holds one."""
        if not query.binds_capabilities_to_words:
            return query
        with _translated():
            try:
                response = self.client.search(index=self.alias, **self._product_words_request(query))
            except NotFoundError:
                return query
        return self._bind_product_words(query, response)

    def search(self, query: SearchQuery) -> SearchResult:
        """Run `query` and return one page of hits, the facets and the next cursor.

        Raises InvalidQuery, or SearchUnavailable when Elasticsearch does not answer.
        """
        if query.binds_capabilities_to_words:
            return self._search_binding_words(query)
        return self._search_planned(query)

    def _search_planned(self, query: SearchQuery) -> SearchResult:
        body = self.body(query)
        with _translated():
            try:
                response = self.client.search(index=self.alias, **body)
            except NotFoundError:  # nothing indexed yet: create the empty index rather than fail
                self.ensure()
                response = self.client.search(index=self.alias, **body)
        return self.result(query, response)

    def _search_binding_words(self, query: SearchQuery) -> SearchResult:
        """Answer a query whose words bind its capability filters, looking up product words only when it must.

        Buyers name products, so the search that binds every word is sent first. A group it finds has a
        capability holding every word, so each word is a product word and that search was the planned
        one: one request, and no lookup of product words over every capability in the index (issue 19:
        the lookup cost Elasticsearch 2 to 9 ms a search at 100,000 groups). Only a search that finds
        nothing looks them up: its answer stands if every word is a product word, else the planned query
        is searched. The results never differ from plan-then-search.
        """
        guess = replace(query, capability_words=tuple((term,) for term in query.terms))
        body = self.body(guess)
        with _translated():
            try:
                response = self.client.search(index=self.alias, **body)
            except NotFoundError:
                return self._search_planned(self.plan(query))
        if response["hits"]["total"]["value"] > 0:
            return self.result(guess, response)
        planned = self.plan(query)
        if planned.capability_words == guess.capability_words:
            return self.result(guess, response)
        return self._search_planned(planned)

    def result(self, query: SearchQuery, response: Any) -> SearchResult:
        """Turn Elasticsearch's answer to `query` into a SearchResult.

        Hits, facet counts, the total and the next page's cursor.
        """
        raw_hits = response["hits"]["hits"]
        matcher = TermMatcher(query.terms)
        hits = [make_hit(h["_source"], query, h["_score"] or 0.0, matcher) for h in raw_hits[: query.size]]
        next_cursor = encode_cursor(raw_hits[query.size - 1]["sort"]) if len(raw_hits) > query.size else None
        aggregations = response["aggregations"]
        facets = {facet: _facet_values(query, facet, aggregations[facet]) for facet in FACETS}
        total = response["hits"]["total"]["value"]
        return SearchResult(total=total, hits=hits, facets=facets, next_cursor=next_cursor, relaxed=is_relaxed(query, hits))


# What a hit (search.query.make_hit) never reads of a document: bookkeeping, ranking inputs, the filters.
_NEVER_SHOWN = [
    "name_terms",
    "capability_terms",
    "story_terms",
    "place_terms",
    "version",
    "rating_count",
    "response_time_hours",
    "languages",
    "quality_boost",
    "indexed_on",
    "fresh_until",
    "capabilities.id",
    "capabilities.top_category",
    "capabilities.techniques",
    "capabilities.weekly_capacity",
]


def _unshown_fields(query: SearchQuery) -> list[str]:
    """The fields of a document the hits of `query` do not need: Elasticsearch leaves them out of its answer.

    Without words nothing is highlighted (story, materials, techniques) and no capability is picked by
    its words; without a capacity need no units are read back (capacity keys, ready-on date).
    """
    unshown = list(_NEVER_SHOWN)
    if not query.terms:
        unshown += ["story", "materials", "techniques", "capabilities.terms"]
    if not query.capacity:
        unshown += ["capabilities.capacity_keys", "capabilities.ready_on"]
    return unshown


class _translated:
    """Turn transport failures into SearchUnavailable, so callers need know no client exceptions."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> bool:
        if isinstance(error, (ESConnectionError, TransportError)) or (isinstance(error, ApiError) and error.meta.status >= 500):
            raise SearchUnavailable(f"Elasticsearch is not answering: {error}") from error
        return False


def _fuzzy(field: str, term: str) -> dict[str, Any]:
    return {
        "fuzzy": {
            field: {"value": term, "fuzziness": FUZZINESS, "prefix_length": 1, "max_expansions": 50, "transpositions": True}
        }
    }


def _exact_or_fuzzy(exact: dict[str, Any], fuzzy: dict[str, Any], exact_boost: float, fuzzy_boost: float) -> dict[str, Any]:
    """Score `exact_boost` if the exact clause matches, else `fuzzy_boost` if the fuzzy one does."""
    return {
        "dis_max": {
            "queries": [
                {"constant_score": {"filter": exact, "boost": exact_boost}},
                {"constant_score": {"filter": fuzzy, "boost": fuzzy_boost}},
            ]
        }
    }


def _text_query(query: SearchQuery) -> dict[str, Any] | None:
    """The text match, scored by `Ranking` with constant scores (see search.query.Ranking)."""
    terms = query.terms
    if not terms:
        return None
    ranking = Ranking(len(terms))
    clauses = []
    for term in terms:
        anywhere_exact = {"bool": {"should": [{"term": {field: term}} for field, _ in FIELD_WEIGHTS]}}
        anywhere_fuzzy = {"bool": {"should": [_fuzzy(field, term) for field, _ in FIELD_WEIGHTS]}}
        clauses.append(
            _exact_or_fuzzy(anywhere_exact, anywhere_fuzzy, ranking.exact_weight + ranking.match_weight, ranking.match_weight)
        )
        for field, weight in FIELD_WEIGHTS:
            clauses.append(_exact_or_fuzzy({"term": {field: term}}, _fuzzy(field, term), weight, weight * FUZZY_SHARE))
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _capability_word(word: str) -> dict[str, Any]:
    """A capability whose own words answer `word`, exactly or within the typo allowance."""
    return {"match": {"capabilities.terms": {"query": word, "fuzziness": FUZZINESS, "prefix_length": 1, "max_expansions": 50}}}


def _capability_clauses(
    query: SearchQuery, exclude: str | None = None, *, facets_only: bool = False, facets_too: bool = True
) -> list[dict[str, Any]]:
    """Conditions one capability must meet; the facet ones (category, material) are optional."""
    clauses: list[dict[str, Any]] = []
    if facets_too:
        if query.categories and exclude != "category":
            clauses.append({"terms": {"capabilities.category": list(category_codes(query.categories))}})
        if query.materials and exclude != "material":
            clauses.append({"terms": {"capabilities.materials": list(query.materials)}})
    if facets_only:
        return clauses
    if query.max_lead_time is not None:
        clauses.append({"range": {"capabilities.lead_time_days": {"lte": query.max_lead_time}}})
    if query.max_moq is not None:
        clauses.append({"range": {"capabilities.moq": {"lte": query.max_moq}}})
    if query.price_min is not None or query.price_max is not None:
        clauses.append({"term": {"capabilities.currency": query.currency}})
        if query.price_max is not None:
            clauses.append({"range": {"capabilities.price_min": {"lte": query.price_max}}})
        if query.price_min is not None:
            clauses.append({"range": {"capabilities.price_max": {"gte": query.price_min}}})
    if query.capacity:
        low, high = capacity_key_range(query.capacity.units, query.capacity.by)
        clauses.append({"range": {"capabilities.capacity_keys": {"gte": low, "lte": high}}})
        clauses.append({"range": {"capabilities.ready_on": {"lte": query.capacity.by.isoformat()}}})
    clauses.extend(_capability_word(entry[0]) for entry in query.capability_words)
    return clauses


def _nested(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nested": {"path": "capabilities", "query": {"bool": {"filter": clauses}}}}


def _base_filters(query: SearchQuery) -> list[dict[str, Any]]:
    """Filters that are not facets: they narrow the hits and every facet count."""
    filters: list[dict[str, Any]] = []
    capability = _capability_clauses(query, facets_too=False)
    if capability:
        filters.append(_nested(capability))
    if query.capacity and query.capacity.as_of:
        filters.append({"range": {"fresh_until": {"gt": instant_text(query.capacity.as_of)}}})
    if query.near and query.near.km is not None:
        filters.append(
            {"geo_distance": {"distance": f"{query.near.km}km", "location": {"lat": query.near.lat, "lon": query.near.lon}}}
        )
    return filters


def _group_facet_clauses(query: SearchQuery, exclude: str | None = None) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if query.countries and exclude != "country":
        clauses.append({"terms": {"country": list(query.countries)}})
    if query.certifications and exclude != "certification":
        clauses.append({"terms": {"certifications": list(query.certifications)}})
    if query.verified_certifications and exclude != "verified_certification":
        clauses.append({"terms": {"verified_certifications": list(query.verified_certifications)}})
    if query.verified is not None and exclude != "verified":
        clauses.append({"term": {"verified": query.verified}})
    return clauses


def _facet_filters(query: SearchQuery, exclude: str | None = None) -> list[dict[str, Any]]:
    """The facet selections, as filters on hits (post_filter) or on another facet's counts."""
    clauses = _group_facet_clauses(query, exclude)
    if _capability_clauses(query, exclude, facets_only=True):
        # Facet and non-facet capability conditions must hold for the same capability.
        clauses.append(_nested(_capability_clauses(query, exclude)))
    return clauses


def _facet_aggregation(query: SearchQuery, facet: str) -> dict[str, Any]:
    selection = {"bool": {"filter": _facet_filters(query, exclude=facet)}}
    if facet in GROUP_FACET_FIELDS:
        field = GROUP_FACET_FIELDS[facet]
        inner = {"values": {"terms": {"field": field, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}]}}}
        return {"filter": selection, "aggs": inner}
    field = "capabilities.category" if facet == "category" else "capabilities.materials"
    capability = _capability_clauses(query, exclude=facet)
    return {
        "filter": selection,
        "aggs": {
            "capabilities": {
                "nested": {"path": "capabilities"},
                "aggs": {
                    "matching": {
                        "filter": {"bool": {"filter": capability}},
                        "aggs": {
                            "values": {
                                "terms": {"field": field, "size": FACET_SIZE, "order": [{"groups": "desc"}, {"_key": "asc"}]},
                                "aggs": {"groups": {"reverse_nested": {}}},
                            }
                        },
                    }
                },
            }
        },
    }


def _facet_values(query: SearchQuery, facet: str, aggregation: dict[str, Any]) -> list[FacetValue]:
    selected = selected_values(query, facet)
    if facet in ("category", "material"):
        buckets = aggregation["capabilities"]["matching"]["values"]["buckets"]
        return [FacetValue(b["key"], b["groups"]["doc_count"], b["key"] in selected) for b in buckets]
    values = []
    for bucket in aggregation["values"]["buckets"]:
        key = bucket.get("key_as_string", str(bucket["key"])) if facet == "verified" else str(bucket["key"])
        values.append(FacetValue(key, bucket["doc_count"], key in selected))
    return values


def _sort(query: SearchQuery) -> list[dict[str, Any]]:
    tiebreak = {"id": "asc"}
    if query.sort == Sort.RATING:
        return [{"rating": {"order": "desc", "missing": -1.0}}, tiebreak]
    if query.sort == Sort.LEAD_TIME:
        capability = _capability_clauses(query)
        nested: dict[str, Any] = {"path": "capabilities"}
        if capability:
            nested["filter"] = {"bool": {"filter": capability}}
        return [{"capabilities.lead_time_days": {"order": "asc", "mode": "min", "nested": nested, "missing": 100000}}, tiebreak]
    if query.sort == Sort.DISTANCE:
        distance = {
            "_geo_distance": {
                "location": {"lat": query.near.lat, "lon": query.near.lon},
                "order": "asc",
                "unit": "km",
                "distance_type": "arc",
            }
        }
        return [distance, tiebreak]
    return [{"_score": {"order": "desc"}}, tiebreak]
