"""The demo's groups and products have pictures, stored as uploads are, on every card and profile."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import Connection, func, select

from marketplace.demo import seed_marketplace
from marketplace.demo_pictures import craft_picture
from marketplace.producers.models import Photo, ProducerGroup, Product

COVER = re.compile(r'<img class="cover" src="(/media/[^"]+)" alt="([^"]+)" width="640" height="360"')


def _seed(app: Flask) -> None:
    from marketplace.db import db

    with app.app_context():
        seed_marketplace(db.session, groups=6, seed=7, photos_folder=Path(app.config["UPLOAD_DIR"]))


def test_every_demo_group_and_product_has_a_drawn_picture_on_its_card_and_profile(
    app: Flask, connection: Connection, client: FlaskClient
) -> None:
    _seed(app)
    from marketplace.db import db

    with app.app_context():
        groups = db.session.scalars(select(ProducerGroup).order_by(ProducerGroup.id)).all()
        assert len(groups) == 6
        products = db.session.scalar(select(func.count()).select_from(Product))
        covers = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.product_id.is_(None)))
        product_photos = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.product_id.is_not(None)))
        assert covers == 6 and product_photos == products > 0
        slugs = [g.slug for g in groups]
        files = {p.path for p in db.session.scalars(select(Photo))}
    assert len(files) == covers + product_photos  # each its own picture
    folder = Path(app.config["UPLOAD_DIR"])
    for path in files:
        with Image.open(folder / path) as image:
            assert image.format == "JPEG" and image.size == (640, 360)

    for page in ("/", "/groups"):
        html = client.get(page).get_data(as_text=True)
        assert 'class="cover placeholder"' not in html, page
        shown = COVER.findall(html)
        assert shown, page
        for src, alt in shown:
            assert alt.startswith("Illustration of ") and alt.endswith("(drawn for the demo)")
            image = client.get(src)
            image.close()  # the file it streams
            assert image.status_code == 200 and image.mimetype == "image/jpeg"
    for slug in slugs:
        html = client.get(f"/groups/{slug}").get_data(as_text=True)
        assert 'class="cover placeholder"' not in html, slug
        assert re.search(r'<img[^>]+src="/media/photos/[^"]+"[^>]+alt="Illustration of [^"]+"', html), slug


def test_the_same_seed_draws_the_same_picture_and_groups_differ() -> None:
    assert craft_picture("baskets.storage", "7:demo-1:cover") == craft_picture("baskets.storage", "7:demo-1:cover")
    assert craft_picture("baskets.storage", "7:demo-1:cover") != craft_picture("baskets.storage", "7:demo-2:cover")
    assert len(craft_picture("textiles.throws", "7:demo-3:cover")) < 100_000  # a phone-sized JPEG
