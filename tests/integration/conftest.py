"""Search fixtures: a fixed catalogue indexed once into each backend (the real Elasticsearch server
that `make test` starts, and the embedded index), for the contract and relevance tests."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.bootstrap import wire_subscribers
from marketplace.cli import upgrade_database
from marketplace.db import make_engine
from marketplace.outbox import events
from marketplace.producers.importer import import_groups, read_json
from marketplace.producers.models import Capability, ProducerGroup
from search.backends import SearchIndex
from search.documents import build_document
from search.elastic import ElasticsearchIndex
from search.embedded import EmbeddedIndex

CATALOGUE = Path(__file__).parents[1] / "data" / "search-catalogue.json"
TODAY = dt.date(2027, 1, 6)  # a Wednesday: production weeks start Monday 11 January


def elasticsearch_url() -> str:
    url = os.environ.get("LOOM_TEST_ELASTICSEARCH_URL")
    if not url:
        pytest.fail("LOOM_TEST_ELASTICSEARCH_URL is not set: run the suite with `make test`, which starts Elasticsearch.")
    return url


@pytest.fixture(scope="session")
def catalogue_documents(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The catalogue imported into a database of its own and turned into search documents."""
    folder = tmp_path_factory.mktemp("catalogue")
    url = f"sqlite:///{folder / 'catalogue.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    document = json.loads(CATALOGUE.read_text())
    if not events.bus.wired:  # the import publishes what changed; no app may have been made yet in this run
        wire_subscribers(events.bus)
    with Session(engine) as session:
        report = import_groups(session, read_json(CATALOGUE.read_text()))
        assert report.errors == []
        extras = {g["external_ref"]: g["_test"] for g in document["groups"]}
        groups = session.scalars(
            select(ProducerGroup).options(
                selectinload(ProducerGroup.capabilities).selectinload(Capability.windows),
                selectinload(ProducerGroup.certifications),
            )
        ).all()
        for group in groups:
            extra = extras[group.external_ref]
            group.verified = extra["verified"]
            group.rating = None if extra["rating"] is None else Decimal(str(extra["rating"]))
            group.rating_count = 10 if extra["rating"] is not None else 0
            group.response_time_hours = extra["response_time_hours"]
            for certification in group.certifications:  # the import never verifies: an operator does
                certification.verified = certification.scheme in extra["verified_certifications"]
        session.commit()
        documents = [build_document(g, TODAY) for g in groups]
    engine.dispose()
    return documents


def _elasticsearch(prefix: str) -> ElasticsearchIndex:
    return ElasticsearchIndex.from_url(elasticsearch_url(), prefix=prefix)


@pytest.fixture(scope="session")
def embedded_catalogue(catalogue_documents: list[dict], tmp_path_factory: pytest.TempPathFactory) -> EmbeddedIndex:
    """The catalogue in the embedded backend, built with the same rebuild path `loom search rebuild` uses."""
    index = EmbeddedIndex(tmp_path_factory.mktemp("embedded") / "search.db")
    index.rebuild(catalogue_documents)
    return index


@pytest.fixture(scope="session")
def elasticsearch_catalogue(catalogue_documents: list[dict]) -> Iterator[ElasticsearchIndex]:
    """The catalogue in the real Elasticsearch server, in an index of this run's own."""
    prefix = f"loom-test-{uuid.uuid4().hex[:8]}"
    index = _elasticsearch(prefix)
    index.rebuild(catalogue_documents)
    yield index
    index.client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
    index.client.close()


@pytest.fixture(scope="session", params=["embedded", "elasticsearch"])
def catalogue_index(request: pytest.FixtureRequest) -> SearchIndex:
    """The catalogue in one backend (each test runs once per backend)."""
    return request.getfixturevalue(f"{request.param}_catalogue")


@pytest.fixture(params=["embedded", "elasticsearch"])
def empty_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    """A fresh, empty index of each backend, for tests that write."""
    if request.param == "embedded":
        yield EmbeddedIndex(tmp_path / "search.db")
        return
    prefix = f"loom-test-{uuid.uuid4().hex[:8]}"
    index = _elasticsearch(prefix)
    yield index
    index.client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
    index.client.close()
