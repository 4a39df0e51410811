"""Long group listings page by a cursor (keyset pagination): each next page is read from the listing
index just after the last group shown, so page 4,000 costs what page 1 costs; a cursor Loom did not
write is a 400."""

from __future__ import annotations

import base64
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from marketplace.producers.services import list_groups, listing_key
from marketplace.queryargs import encode_listing_cursor
from tests import factories
from tests.integration.test_listing_plans import plan, statements


def _groups(session: Session) -> list[int]:
    # Names that tie, verified and not, in two countries: the walk must keep every group exactly once.
    ids = []
    for _n, (name, verified, country) in enumerate(
        [
            ("Alpha", True, "KE"),
            ("Alpha", True, "GH"),
            ("Beta", True, "KE"),
            ("Alpha", False, "KE"),
            ("Zulu", True, "KE"),
            ("Beta", False, "GH"),
            ("Beta", False, "KE"),
            ("Gamma", False, "KE"),
        ]
    ):
        group = factories.producer_group(session, name=name, country=country, verified=verified)
        factories.capability(session, group)
        ids.append(group.id)
    session.commit()
    return ids


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_walking_the_api_by_its_cursor_shows_every_group_once_in_listing_order(
    client: FlaskClient, session: Session, per_page: int
) -> None:
    _groups(session)
    everything = client.get("/api/v1/groups?per_page=100").get_json()
    expected = [g["slug"] for g in everything["items"]]
    walked, url = [], f"/api/v1/groups?per_page={per_page}"
    for _ in range(20):
        page = client.get(url).get_json()
        walked += [g["slug"] for g in page["items"]]
        if page["next"] is None:
            break
        url = f"/api/v1/groups?per_page={per_page}&after={page['next']}"
    assert walked == expected and len(expected) == everything["total"]


def test_the_directory_links_its_next_page_by_cursor(client: FlaskClient, session: Session, app) -> None:  # type: ignore[no-untyped-def]
    _groups(session)
    app.config["PAGE_SIZE"] = 3
    try:
        names, url = [], "/groups?country=KE"
        for _ in range(5):
            page = client.get(url).get_data(as_text=True)
            names += re.findall(r'href="/groups/(group-\d+)"', page)
            link = re.search(r'href="([^"]+)" rel="next"', page)
            if link is None:
                break
            url = link.group(1).replace("&amp;", "&")
            assert "after=" in url
    finally:
        app.config["PAGE_SIZE"] = 24
    slugs = [g.slug for g in list_groups(session, country="KE", per_page=100)[0]]
    assert list(dict.fromkeys(names)) == slugs and len(slugs) == 6


def _cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        _cursor([True, "Alpha"]),
        _cursor(["yes", "Alpha", 1]),
        _cursor([True, "A" * 201, 1]),
        _cursor([True, "Alpha", 0]),
        _cursor([True, "Alpha", 2**40]),
        _cursor([True, "Alpha", 1.5]),
        _cursor({"a": 1}),
        _cursor([[[[[]]]]]),
        "A" * 601,
        "%0A" * 601,  # spaces longer than any cursor: over the document's maxLength, not an absent cursor (schemathesis)
        "%0D" + "%1C" * 600,
    ],
)
def test_a_cursor_loom_did_not_write_is_a_400(client: FlaskClient, cursor: str) -> None:
    for url in (f"/api/v1/groups?after={cursor}", f"/groups?after={cursor}"):
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
    assert client.get(f"/api/v1/groups?after={cursor}").mimetype == "application/problem+json"


@pytest.mark.parametrize("verified", [True, False])
def test_a_page_after_a_cursor_is_read_from_the_listing_index_without_sorting(
    session: Session, connection: Connection, verified: bool
) -> None:
    _groups(session)
    start = next(g for g in list_groups(session, per_page=100)[0] if g.verified == verified)
    with statements(connection) as seen:
        list_groups(session, per_page=2, after=listing_key(start))
    pages = [(s, p) for s, p in seen if "ORDER BY" in s and "LIMIT" in s and "producer_group.verified" in s]
    assert pages
    for statement, parameters in pages:
        shown = plan(connection, statement, parameters)
        assert "ix_producer_group_listing" in shown, shown
        if connection.dialect.name == "sqlite":
            assert "TEMP B-TREE FOR ORDER BY" not in shown, shown
        else:
            assert "Sort" not in shown, shown
    assert encode_listing_cursor(listing_key(start))  # what the pages hand out
