"""A group's card always shows a picture: its gallery photo, else a product's photo, else a drawn placeholder
that says what the group makes — on search results, the home page, the directory and the profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.bootstrap import worker_for
from marketplace.producers.changes import touch
from marketplace.producers.models import Photo, Product
from search.backends import SearchIndex
from tests import factories
from tests.web import text_of


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


def test_a_group_without_a_gallery_photo_shows_a_product_photo_then_a_placeholder_saying_what_it_makes(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    pictured = factories.producer_group(session, name="Machakos Weavers")
    factories.capability(session, pictured)
    session.add(
        Photo(
            group_id=pictured.id,
            path="photos/machakos.jpg",
            content_type="image/jpeg",
            width=800,
            height=600,
            caption="Mwende coiling a sisal basket",
        )
    )
    # A product photo older than the gallery photo: the gallery still comes first.
    older = Product(
        group=pictured,
        sku="MW-1",
        title="Market tote",
        category="baskets.storage",
        materials=["sisal"],
        lead_time_days=20,
        currency="USD",
    )
    session.add(older)
    session.flush()
    session.add(
        Photo(group_id=pictured.id, product_id=older.id, path="photos/tote.jpg", content_type="image/jpeg", width=640, height=480)
    )
    catalogued = factories.producer_group(session, name="Kisii Soapstone")
    factories.capability(session, catalogued, category="home.decor", materials=["soapstone"])
    product = Product(
        group=catalogued,
        sku="KS-1",
        title="Soapstone bowl",
        category="home.decor",
        materials=["soapstone"],
        lead_time_days=30,
        currency="USD",
        moq=10,
    )
    session.add(product)
    session.flush()
    session.add(
        Photo(
            group_id=catalogued.id,
            product_id=product.id,
            path="photos/bowl.jpg",
            content_type="image/jpeg",
            width=1200,
            height=900,
        )
    )
    plain = factories.producer_group(session, name="Kitui Weavers")
    factories.capability(session, plain)
    for group in (pictured, catalogued, plain):
        touch(session, group)
    session.commit()
    worker_for(app).drain()

    gallery = '<img class="cover" src="/media/photos/machakos.jpg" alt="Mwende coiling a sisal basket" width="800" height="600"'
    from_product = (
        '<img class="cover" src="/media/photos/bowl.jpg" alt="Soapstone bowl by Kisii Soapstone" width="1200" height="900"'
    )
    placeholder = (
        '<div class="cover placeholder" role="img" aria-label="Makes Baskets"><span>KW</span><small '
        'aria-hidden="true">Baskets</small></div>'
    )

    pages = {
        "search": text_of(client.get("/search?q=weavers+soapstone")),
        "home": text_of(client.get("/")),
        "directory": text_of(client.get("/groups")),
    }
    for name, page in pages.items():
        assert gallery in page and from_product in page and placeholder in page, name
        assert "/media/photos/tote.jpg" not in page, name
    assert from_product in text_of(client.get(f"/groups/{catalogued.slug}"))
    assert placeholder in text_of(client.get(f"/groups/{plain.slug}"))
