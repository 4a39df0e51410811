"""The embedded index keeps a warm read-only connection per thread, and still sees every write and rebuild."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from pathlib import Path

from search.embedded import EmbeddedIndex
from search.query import CapacityNeed, SearchQuery, Sort


def _ids(index: EmbeddedIndex) -> set[int]:
    result = index.search(SearchQuery(size=100))
    return {hit.id for hit in result.hits}


def test_a_warm_connection_sees_another_workers_writes_and_rebuilds(catalogue_documents: list[dict], tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    worker, operator = EmbeddedIndex(path), EmbeddedIndex(path)  # two processes' views of one file
    operator.rebuild(catalogue_documents[:3])
    assert _ids(worker) == {d["id"] for d in catalogue_documents[:3]}
    warm = worker._reader()
    assert worker._reader() is warm  # kept between searches: its cache and memory map stay warm

    operator.index([catalogue_documents[3]])  # the outbox worker's write
    assert _ids(worker) == {d["id"] for d in catalogue_documents[:4]}

    later = copy.deepcopy(catalogue_documents[4:6])
    operator.rebuild(later)  # `loom search rebuild` renames a new file over the old one
    assert _ids(worker) == {d["id"] for d in later}
    assert worker.search(SearchQuery(text=later[0]["name"], size=5)).total >= 1


def test_each_thread_searches_on_its_own_connection(catalogue_documents: list[dict], tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "search.db")
    index.rebuild(catalogue_documents)
    totals: list[int] = []
    errors: list[BaseException] = []

    def search() -> None:
        try:
            for _ in range(5):
                totals.append(index.search(SearchQuery(text="baskets")).total)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            index.close()

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(totals)) == 1 and len(totals) == 20


def _temp_schema_version(index: EmbeddedIndex) -> int:
    return index._reader().execute("PRAGMA temp.schema_version").fetchone()[0]


def _searches(by: dt.date) -> list[SearchQuery]:
    """A search of each kind the search page makes: words, words with units by a date, units sorted by lead time, a
    category picked with units, and the words again."""
    need = CapacityNeed(50, by)
    return [
        SearchQuery(text="baskets"),
        SearchQuery(text="baskets", capacity=need),
        SearchQuery(capacity=need, sort=Sort.LEAD_TIME),
        SearchQuery(text="baskets", capacity=need, categories=("baskets",)),
        SearchQuery(text="baskets", capacity=need, sort=Sort.LEAD_TIME),
        SearchQuery(text="baskets"),
    ]


def test_a_search_like_the_one_before_changes_no_schema(catalogue_documents: list[dict], tmp_path: Path) -> None:
    # Each schema change (a working table dropped and created again) makes SQLite prepare every statement of the
    # connection again: the working tables are emptied instead (issue 19).
    index = EmbeddedIndex(tmp_path / "search.db", keep_matches=False)
    index.rebuild(catalogue_documents)
    for query in _searches(dt.date.today() + dt.timedelta(weeks=16)):
        index.search(query)
        version = _temp_schema_version(index)
        again = index.search(query)
        assert _temp_schema_version(index) == version, query
        assert again.total and again == index.search(query)


def test_working_tables_left_by_any_search_give_the_answers_of_a_fresh_connection(
    catalogue_documents: list[dict], tmp_path: Path
) -> None:
    path = tmp_path / "search.db"
    warm = EmbeddedIndex(path, keep_matches=False)
    warm.rebuild(catalogue_documents)
    searches = _searches(dt.date.today() + dt.timedelta(weeks=16))
    for first, then in itertools.product(searches, searches):
        warm.search(first)
        fresh = EmbeddedIndex(path, keep_matches=False)
        assert warm.search(then) == fresh.search(then), (first, then)
        fresh.close()
    connection = warm._reader()
    connection.execute("DROP TABLE temp.matched")
    connection.execute("CREATE TEMP TABLE matched (id INTEGER PRIMARY KEY)")  # another shape: made again
    fresh = EmbeddedIndex(path, keep_matches=False)
    assert warm.search(searches[1]) == fresh.search(searches[1])
