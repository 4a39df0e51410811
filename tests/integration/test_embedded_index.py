"""The embedded index keeps a warm read-only connection per thread, and still sees every write and rebuild."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from search.embedded import EmbeddedIndex
from search.query import SearchQuery


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
