"""The search index Loom talks to, behind one protocol, chosen by configuration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from search.query import SearchQuery, SearchResult

Progress = Callable[[int], None]


class SearchIndex(Protocol):
    name: str

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents; a document older (by `version`) than the indexed one is ignored.
        Return how many were written."""

    def delete(self, group_id: int, version: int) -> None:
        """Remove a group's document unless a newer version is indexed."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Run `query`: one page of hits, the facet counts and the next page's cursor.

        Raises InvalidQuery for a query the backend cannot run, SearchUnavailable when the index does not answer.
        """

    def rebuild(self, documents: Iterable[dict[str, Any]], *, progress: Progress | None = None) -> int:
        """Build a fresh index from all documents and switch to it at once; return the count."""

    def count(self) -> int:
        """Return how many groups are indexed."""

    def earliest_fresh_until(self) -> dt.datetime | None:
        """The soonest UTC instant at which an indexed document's capacity goes stale (its group's day ends); None if empty."""

    def schema_is_current(self) -> bool:
        """False when the index was built by a version of Loom whose layout differs (rebuild it)."""


def make_index(config: dict[str, Any]) -> SearchIndex:
    """Return the search index the configuration names (`SEARCH_BACKEND`.

    "embedded", the default, or "elasticsearch" at `ELASTICSEARCH_URL`).
    """
    backend = config.get("SEARCH_BACKEND", "embedded")
    if backend == "elasticsearch":
        from search.elastic import ElasticsearchIndex

        return ElasticsearchIndex.from_url(config["ELASTICSEARCH_URL"], prefix=config.get("ELASTICSEARCH_INDEX", "loom-groups"))
    if backend == "embedded":
        from search.embedded import EmbeddedIndex

        return EmbeddedIndex(Path(config["SEARCH_EMBEDDED_PATH"]), keep_matches=config.get("SEARCH_KEEP_MATCHES", True))
    raise ValueError(f"LOOM_SEARCH_BACKEND must be 'embedded' or 'elasticsearch', not {backend!r}")
