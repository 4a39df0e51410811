"""A material filter finds what groups list however either side spells it, on both search backends."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.bootstrap import worker_for
from marketplace.producers.changes import touch
from search.backends import SearchIndex
from tests import factories
from tests.web import text_of


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


def test_materials_match_by_the_taxonomys_word_in_any_spelling(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    seagrass = factories.producer_group(session, name="Mekong Seagrass Weavers", country="VN")
    factories.capability(session, seagrass, materials=["Sea-grass", "natural dyes"])
    wool = factories.producer_group(session, name="Cusco Knitters", country="PE")
    factories.capability(session, wool, category="textiles.scarves", materials=["Woollen yarn"])
    glass = factories.producer_group(session, name="Krobo Beads", country="GH")
    factories.capability(session, glass, category="jewelry.necklaces", materials=["recycled glass"])
    for group in (seagrass, wool, glass):
        touch(session, group)
    session.commit()
    worker_for(app).drain()

    def found(url: str) -> set[str]:
        page = text_of(client.get(url))
        return {g.name for g in (seagrass, wool, glass) if f"/groups/{g.slug}" in page}

    assert found("/search?material=seagrass") == {seagrass.name}
    assert found("/search?material=Sea+grass") == {seagrass.name}
    assert found("/search?material=wool") == {wool.name}
    assert found("/search?material=woolen") == {wool.name}
    assert found("/search?material=glass") == {glass.name}  # "recycled glass" is glass

    # The buyer's line: "sea grass baskets" becomes the seagrass filter and finds the group that wrote "Sea-grass".
    answer = client.get("/search?q=sea+grass+baskets")
    assert answer.status_code == 303
    args = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert args["material"] == ["seagrass"] and args["q"] == ["baskets"]
    assert found(answer.headers["Location"]) == {seagrass.name}
