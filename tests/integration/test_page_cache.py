"""The anonymous page cache (marketplace.pagecache): public pages are served from it to signed-out visitors
only, in their language, and never once what they show has changed, whoever changed it: the change and the
new public generation commit together, so every worker's next request renders afresh."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import LoginAttempt
from marketplace.pagecache import HIT_HEADER, PAGES, SEARCH, PublicGeneration, generation
from marketplace.producers.models import ProducerGroup
from tests import factories
from tests.integration.test_query_counts import counted
from tests.web import sign_in, text_of


def _twice(client: FlaskClient, url: str, **kwargs: object) -> tuple[str, str]:
    """GET `url` twice; return the second answer's text and whether it came from the cache."""
    first = client.get(url, **kwargs)
    assert first.status_code == 200, (url, first.status_code)
    second = client.get(url, **kwargs)
    assert second.status_code == 200
    return text_of(second), second.headers.get(HIT_HEADER, "")


def test_an_anonymous_page_is_served_from_the_cache_with_one_statement(
    client: FlaskClient, session: Session, connection: Connection
) -> None:
    group = factories.producer_group(session, name="Kitui Cached Weavers")
    session.commit()
    for url in ("/", "/groups", f"/groups/{group.slug}", "/api/v1/groups", f"/api/v1/groups/{group.slug}"):
        assert client.get(url).headers.get(HIT_HEADER) == "miss", url
        with counted(connection) as seen:
            again = client.get(url)
        assert again.headers.get(HIT_HEADER) == "hit", url
        assert "Kitui Cached Weavers" in text_of(again), url
        assert len(seen) == 1 and "public_generation" in seen[0], (url, seen)  # the generation, nothing else


def test_an_unlisted_group_disappears_at_once_from_every_cached_page(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Vanishing Basket Makers")
    session.commit()
    pages = ["/", "/groups", "/api/v1/groups", f"/groups/{group.slug}", f"/api/v1/groups/{group.slug}"]
    for url in pages:
        body, source = _twice(client, url)
        assert source == "hit" and "Vanishing Basket Makers" in body, url

    group.listed = False  # committed by another session, as another worker or the operator's CLI would
    session.commit()

    for url in pages[:3]:
        answer = client.get(url)
        assert answer.headers.get(HIT_HEADER) != "hit", url
        assert "Vanishing Basket Makers" not in text_of(answer), url
    for url in pages[3:]:
        assert client.get(url).status_code == 404, url


def test_a_bulk_update_replaces_the_generation_too(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Bulk Renamed Weavers")
    session.commit()
    _twice(client, f"/groups/{group.slug}")
    session.execute(update(ProducerGroup).where(ProducerGroup.id == group.id).values(name="Bulk Renamed Potters"))
    session.commit()
    assert "Bulk Renamed Potters" in text_of(client.get(f"/groups/{group.slug}"))


def test_writes_no_public_page_shows_and_rolled_back_ones_keep_the_cache(client: FlaskClient, session: Session) -> None:
    factories.producer_group(session)
    session.commit()
    _twice(client, "/")
    before = generation(session)
    session.add(LoginAttempt(email="someone@example.org", remote_addr="127.0.0.1"))
    session.commit()
    factories.producer_group(session, name="Never Committed Group")
    session.rollback()
    assert generation(session) == before
    assert client.get("/").headers.get(HIT_HEADER) == "hit"


def test_each_language_gets_its_own_page(client: FlaskClient, session: Session) -> None:
    factories.producer_group(session)
    session.commit()
    english, _ = _twice(client, "/", headers={"Accept-Language": "en"})
    french, source = _twice(client, "/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert source == "hit"
    assert "Producer groups" in english and "Producer groups" not in french
    again, source = _twice(client, "/", headers={"Accept-Language": "en"})
    assert source == "hit" and again == english


def test_signed_in_people_never_get_a_cached_page_and_theirs_is_never_stored(
    client: FlaskClient, session: Session, app: Flask
) -> None:
    buyer = factories.buyer(session, name="Private Buyer Ltd")
    factories.producer_group(session)
    session.commit()
    _twice(client, "/")  # an anonymous copy is in the cache
    sign_in(client, buyer.user.email)
    for _ in range(2):
        mine = client.get("/")
        assert mine.headers.get(HIT_HEADER) is None
        assert "Sign out" in text_of(mine)
        assert mine.headers["Cache-Control"] == "private, no-store"

    stranger = app.test_client()
    for _ in range(2):
        theirs = stranger.get("/")
        assert "Sign out" not in text_of(theirs) and buyer.user.email not in text_of(theirs)
        assert 'name="csrf_token"' not in text_of(theirs)


def test_a_page_that_sets_a_cookie_is_not_stored(client: FlaskClient, session: Session) -> None:
    factories.producer_group(session)
    session.commit()
    for _ in range(2):
        chosen = client.get("/?lang=fr")  # the language choice goes into the session cookie
        assert "Set-Cookie" in chosen.headers
        assert chosen.headers.get(HIT_HEADER) is None
        client.delete_cookie("session")


def test_the_generations_are_the_rows_a_migration_made(session: Session) -> None:
    assert sorted(session.scalars(select(PublicGeneration.id)).all()) == [PAGES, SEARCH]


def test_every_cached_endpoint_is_a_route_of_the_app(app: Flask) -> None:
    """A page moved to another blueprint keeps its cache (a renamed endpoint would silently never be cached)."""
    from marketplace.pagecache import CACHED_ENDPOINTS

    assert CACHED_ENDPOINTS.issubset({rule.endpoint for rule in app.url_map.iter_rules()})


def test_a_missing_generation_row_is_written_again_by_the_next_public_change(session: Session) -> None:
    """A database emptied or restored without the row: the page cache is off until a public write restores it."""
    session.execute(delete(PublicGeneration))
    session.commit()
    assert generation(session) is None
    factories.producer_group(session, name="Restoring Weavers")
    session.commit()
    assert generation(session) is not None
