"""What replaces the generations that key the anonymous page cache (marketplace.pagecache).

Every change to what a cached public page shows gives a freshly rendered page at once; writes to orders,
requests, quotes and messages that leave a group's measured record as shown (marketplace.reputation.shown)
keep the cached pages. Search pages are cached under the search index's own generation: a change shows on
the next search once the worker has indexed it, and nothing signed in is ever cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.pagecache import HIT_HEADER, PAGES, SEARCH, generation
from marketplace.producers.changes import touch
from marketplace.producers.models import CapacityWindow, Certification, Photo, PriceTier, ProducerGroup
from marketplace.reputation import services as reviews
from marketplace.reputation import shown
from marketplace.reputation.models import Review
from marketplace.reputation.shown import figures
from marketplace.reputation.signals import Reputation, reputation
from marketplace.sourcing import services as sourcing
from marketplace.sourcing.models import Message, Quote
from search.backends import SearchIndex
from search.indexing import rebuild
from tests import factories
from tests.integration.test_query_counts import grow
from tests.integration.test_reputation import deliver, rated, rfq_to
from tests.web import sign_in, text_of


@pytest.fixture
def record(session: Session) -> dict[str, Any]:
    """A group with a measured record on show (3 orders delivered on time, reviewed; 3 requests answered), one order in hand."""
    group = factories.producer_group(session, name="Kitui Record Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session, role=Role.ADMIN)
    grow(session, group, 1)
    for _ in range(3):
        order = factories.accepted_order(session, group, buyer, quantity=40)
        deliver(session, admin, buyer, order)
        reviews.leave_review(session, buyer, order.id, **rated(5), text="Fine work")
    for _ in range(3):
        rfq_to(session, group, buyer, sent_hours_ago=100, answered_after_hours=5)
    in_hand = factories.accepted_order(session, group, buyer, quantity=40)
    session.commit()
    return {"group": group, "admin": admin, "buyer": buyer, "order": in_hand}


def _warm(client: FlaskClient, urls: list[str]) -> None:
    for url in urls:
        client.get(url)
        assert client.get(url).headers.get(HIT_HEADER) == "hit", url


def _pages(group: ProducerGroup) -> list[str]:
    return ["/", "/groups", f"/groups/{group.slug}", "/api/v1/groups", f"/api/v1/groups/{group.slug}"]


def _answered_rfq(session: Session, group: ProducerGroup) -> int:
    return session.scalars(select(Quote.rfq_id).where(Quote.group_id == group.id).order_by(Quote.id.desc())).first()


def _message(session: Session, record: dict[str, Any]) -> None:
    rfq_id = _answered_rfq(session, record["group"])
    session.add(Message(rfq_id=rfq_id, group_id=record["group"].id, author_id=record["buyer"].user_id, body="And in blue?"))


def _group_message(session: Session, record: dict[str, Any]) -> None:
    """Through the service, which also raises the group's version for search (a column no cached page shows)."""
    quote = session.scalar(select(Quote).where(Quote.rfq_id == _answered_rfq(session, record["group"])))
    sourcing.post_message(
        session, record["admin"], rfq=quote.rfq, group=record["group"], body="Blue is fine.", base_url="https://loom.test"
    )


def _revise_quote(session: Session, record: dict[str, Any]) -> None:
    quote = session.scalar(select(Quote).where(Quote.rfq_id == _answered_rfq(session, record["group"])))
    quote.unit_price, quote.revision = Decimal("8.75"), quote.revision + 1


def _into_production(session: Session, record: dict[str, Any]) -> None:
    today = dt.date.today()
    orders.move(session, record["admin"], record["order"].id, OrderStatus.IN_PRODUCTION, note="", today=today, base_url="x")


@pytest.mark.parametrize(
    "write",
    [_message, _group_message, _revise_quote, _into_production],
    ids=["message", "group's message", "quote revised", "order moved"],
)
def test_record_writes_that_leave_the_record_as_shown_keep_the_cached_pages(
    client: FlaskClient, session: Session, record: dict[str, Any], write: Callable[[Session, dict[str, Any]], None]
) -> None:
    group = record["group"]
    _warm(client, _pages(group))
    before = generation(session)

    write(session, record)
    session.commit()

    assert generation(session) == before
    for url in _pages(group):
        assert client.get(url).headers.get(HIT_HEADER) == "hit", url


def _deliver_in_hand(session: Session, record: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    deliver(session, record["admin"], record["buyer"], record["order"])
    return lambda shown: f"Orders completed: <strong>{shown['orders_completed']}</strong>"


def _answer_new_request(session: Session, record: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    rfq_to(session, record["group"], record["buyer"], sent_hours_ago=2, answered_after_hours=1, by_message=True)
    return lambda shown: f"(based on {shown['requests_received']} requests)"


def _late_order(session: Session, record: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    record["order"].ship_by = dt.date.today() - dt.timedelta(days=2)  # past its ship-by date and not shipped
    return lambda shown: (
        f"Ships on time: <strong>{shown['on_time_percent']} %</strong> (based on {shown['on_time_basis']} orders)"
    )


def _request_unanswered(session: Session, record: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    rfq_to(session, record["group"], record["buyer"], sent_hours_ago=100, answered_after_hours=None)  # past the window
    return lambda shown: f"Answers requests: <strong>{shown['answer_percent']} %</strong>"


@pytest.mark.parametrize(
    "write",
    [_deliver_in_hand, _answer_new_request, _late_order, _request_unanswered],
    ids=["order delivered", "request answered", "order late", "request unanswered"],
)
def test_record_writes_that_change_the_record_as_shown_give_a_fresh_profile(
    client: FlaskClient, session: Session, record: dict[str, Any], write: Callable[[Session, dict[str, Any]], Any]
) -> None:
    group = record["group"]
    _warm(client, _pages(group))
    cached = text_of(client.get(f"/groups/{group.slug}"))

    expected = write(session, record)
    session.commit()

    profile = client.get(f"/groups/{group.slug}")
    assert profile.headers.get(HIT_HEADER) == "miss"
    wanted = expected(figures(reputation(session, group.id)))
    assert wanted in text_of(profile) and wanted not in cached, wanted


def _renamed(session: Session, group: ProducerGroup) -> str:
    group.name = "Kitui Renamed Weavers"
    return "Kitui Renamed Weavers"


def _capability_retitled(session: Session, group: ProducerGroup) -> str:
    group.capabilities[0].title = "Coiled sisal storage baskets"
    return "Coiled sisal storage baskets"


def _week_changed(session: Session, group: ProducerGroup) -> str:
    window = session.scalars(select(CapacityWindow).where(CapacityWindow.capability_id == group.capabilities[0].id)).first()
    window.units_available = 4321
    return "4321"


def _certified(session: Session, group: ProducerGroup) -> str:
    session.add(Certification(group_id=group.id, scheme="fsc", reference="FSC-NEW"))
    return "FSC"


def _product_retitled(session: Session, group: ProducerGroup) -> str:
    group.products[0].title = "Round lidded basket"
    return "Round lidded basket"


def _price_changed(session: Session, group: ProducerGroup) -> str:
    session.scalars(select(PriceTier).where(PriceTier.product_id == group.products[0].id)).first().unit_price = Decimal("7.25")
    return "7.25"


def _photo_added(session: Session, group: ProducerGroup) -> str:
    session.add(Photo(group_id=group.id, path="photos/new-loom.png", content_type="image/png", width=40, height=30))
    return "photos/new-loom.png"


def _review_answered(session: Session, group: ProducerGroup) -> str:
    session.scalars(select(Review).where(Review.group_id == group.id)).first().reply = "Thank you, come again."
    return "Thank you, come again."


@pytest.mark.parametrize(
    "change",
    [
        _renamed,
        _capability_retitled,
        _week_changed,
        _certified,
        _product_retitled,
        _price_changed,
        _photo_added,
        _review_answered,
    ],
    ids=["group", "capability", "capacity week", "certification", "product", "price tier", "photo", "review"],
)
def test_a_change_to_anything_a_cached_page_shows_gives_a_fresh_page(
    client: FlaskClient, session: Session, record: dict[str, Any], change: Callable[[Session, ProducerGroup], str]
) -> None:
    group = record["group"]
    _warm(client, _pages(group))

    shown = change(session, group)
    session.commit()

    answers = [client.get(url) for url in (f"/groups/{group.slug}", f"/api/v1/groups/{group.slug}")]
    assert all(a.headers.get(HIT_HEADER) == "miss" for a in answers)
    assert any(shown in text_of(a) for a in answers), shown


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(0.665, 66), (0.675, 68), (0.6667, 67)],  # as `|number("0")` writes it: 66.5 → 66, 67.5 → 68 (half to even)
)
def test_the_record_is_kept_rounded_as_the_page_shows_it(rate: float, shown: int) -> None:
    record = Reputation(on_time_basis=12, on_time_rate=rate, rfqs_received=4, response_rate=rate, median_response_hours=0.4)
    kept = figures(record)
    assert kept["on_time_percent"] == kept["answer_percent"] == shown
    assert kept["answer_hours"] == 1  # "within 1 h": the page shows at least one hour


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


def test_an_anonymous_search_is_cached_until_the_worker_indexes_a_change(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    factories.capability(session, group, materials=["papyrus"])
    session.commit()
    rebuild(session, live_index)
    searches = ["/search?q=papyrus", "/api/v1/search?q=papyrus"]
    for url in searches:
        assert client.get(url).headers.get(HIT_HEADER) == "miss", url
        again = client.get(url)
        assert again.headers.get(HIT_HEADER) == "hit" and "Kisumu" in text_of(again) and "Lakeside" not in text_of(again), url
    before = generation(session, SEARCH)

    group.name = "Kisumu Lakeside Weavers"
    touch(session, group)  # queues its re-indexing, as every profile edit does
    session.commit()
    assert generation(session, SEARCH) == before  # the index does not have it yet: its pages still tell what it answers
    worker_for(app).drain()

    assert generation(session, SEARCH) != before
    for url in searches:
        fresh = client.get(url)
        assert fresh.headers.get(HIT_HEADER) == "miss", url
        assert "Lakeside" in text_of(fresh), url


def test_a_rebuild_replaces_the_search_generation(app: Flask, session: Session, live_index: SearchIndex) -> None:
    factories.producer_group(session, name="Rebuilt Weavers")
    session.commit()
    before, pages = generation(session, SEARCH), generation(session, PAGES)
    rebuild(session, live_index)
    assert generation(session, SEARCH) != before
    assert generation(session, PAGES) == pages  # search's generation is its own: the other pages stay cached


def test_signed_in_searches_are_never_cached_nor_served_from_the_cache(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    factories.capability(session, group, materials=["papyrus"])
    buyer = factories.buyer(session, name="Private Buyer Ltd", role=Role.ADMIN)
    session.commit()
    rebuild(session, live_index)
    stranger = app.test_client()
    stranger.get("/search?q=papyrus")  # an anonymous copy is in the cache

    sign_in(client, buyer.user.email)
    for _ in range(2):
        mine = client.get("/search?q=papyrus")
        assert mine.headers.get(HIT_HEADER) is None
        assert "Sign out" in text_of(mine)
    for _ in range(2):
        theirs = stranger.get("/search?q=papyrus")
        assert "Sign out" not in text_of(theirs) and buyer.user.email not in text_of(theirs)
    assert theirs.headers.get(HIT_HEADER) == "hit"


def test_no_statement_of_the_record_refresh_grows_with_the_groups_a_commit_touched(
    session: Session, connection: Connection
) -> None:
    """A bulk import touches every group: one value bound per group fails past SQLite's 32,766 (PostgreSQL's 65,535)."""
    widest: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        widest.append(len(parameters or ()))

    event.listen(connection, "before_cursor_execute", count)
    try:
        changed = shown.refresh(session, session.connection(), set(range(1, 4 * shown._CHUNK + 7)))
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert changed  # groups never measured: their figures are new
    # The record's one statement binds a chunk's ids once per branch of its UNION ALL (orders, the groups' calendars,
    # requests, ratings) and twice in the requests' first answers (quotes, messages): on SQLite, whose parameters are
    # positional, six times.
    assert 0 < max(widest) <= 6 * shown._CHUNK + 5, max(widest)


def test_the_after_flush_look_at_a_bulk_write_builds_the_dirty_set_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seed or an import flushes thousands of rows: the look at them must not rebuild `session.dirty` per row (quadratic)."""
    groups = [factories.producer_group(session) for _ in range(12)]
    session.commit()
    built: list[int] = []
    dirty = Session.dirty

    def counted(self: Session) -> Any:
        built.append(1)
        return dirty.fget(self)  # type: ignore[attr-defined]

    monkeypatch.setattr(Session, "dirty", property(counted))
    for group in groups:
        group.version += 1  # bookkeeping no cached page shows: each row's changes are looked at
    session.flush()
    monkeypatch.undo()

    assert 1 <= len(built) <= 2, len(built)  # once for the flush's look, whatever the number of rows
    session.rollback()
