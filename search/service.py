"""Answering a buyer: one search, and a second, looser one when no group has every word."""
from __future__ import annotations

from dataclasses import replace

from search.backends import SearchIndex
from search.query import SearchQuery, SearchResult


def find_groups(index: SearchIndex, query: SearchQuery) -> SearchResult:
    result = index.search(query)
    if result.total == 0 and query.match_all_terms and len(query.terms) > 1 and not query.after:
        looser = index.search(replace(query, match_all_terms=False))
        looser.relaxed = True
        return looser
    return result
