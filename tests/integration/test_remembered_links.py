"""A request's links are remembered (issue 19: a page builds thirty to a hundred, the same ones again and again) and
each is the very text Flask builds: per value and type, in the order given, under the application root the request
came in on, relative to its blueprint; external links, schemes and unusual values are always built afresh."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

CASES: list[tuple[str, dict]] = [
    ("discovery.search", {"q": "baskets", "page": 2}),
    ("discovery.search", {"page": 2, "q": "baskets"}),  # the query keeps the order given
    ("discovery.search", {"q": "baskets", "page": True}),  # True is not 1
    ("discovery.search", {"q": "baskets", "page": 1}),
    ("discovery.search", {"q": "a b&c=d/é", "category": None}),
    ("discovery.profile", {"slug": "hillside-weavers"}),
    ("discovery.profile", {"slug": "hillside-weavers", "_anchor": "capacity"}),
    ("discovery.profile", {"slug": "hillside-weavers", "_external": True}),
    ("discovery.search", {"q": ["two", "words"]}),
    ("static", {"filename": "loom.css"}),
]


@pytest.mark.parametrize("root", ["", "/loom", "/other/root"])
def test_remembered_links_are_flasks_own_under_every_application_root(app: Flask, root: str) -> None:
    for _ in range(2):  # built, then remembered
        with app.test_request_context("/search", base_url=f"https://loom.test{root}"):
            for endpoint, values in CASES:
                assert url_for(endpoint, **values) == Flask.url_for(app, endpoint, **values), (root, endpoint, values)
            assert url_for("discovery.search", q="x").startswith(f"{root}/search?")


def test_a_relative_link_follows_the_requests_blueprint(app: Flask) -> None:
    links = []
    for path in ("/search", "/api/v1/search", "/search"):
        with app.test_request_context(path):
            links.append(url_for(".search", q="x"))
    assert links == ["/search?q=x", "/api/v1/search?q=x", "/search?q=x"]
