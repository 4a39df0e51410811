"""Answering a buyer: one search, ranked all words first, then most words (see search.query.Ranking)."""

from __future__ import annotations

from search.backends import SearchIndex
from search.query import SearchQuery, SearchResult


def find_groups(index: SearchIndex, query: SearchQuery) -> SearchResult:
    """Search `index`; raise InvalidQuery for a bad cursor or sort, SearchUnavailable if it cannot answer."""
    return index.search(query)
