"""Search inside the app: changes reach the index through the outbox, outages lose nothing, the page
and the API answer as documented."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.db import utcnow
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.worker import Worker
from search.backends import SearchIndex
from search.elastic import ElasticsearchIndex
from search.query import SearchQuery
from tests import factories
from tests.integration.test_api import conforms
from tests.web import sign_in, submit, text_of


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    """Point the app at a fresh index of each backend for the length of the test."""
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


@pytest.fixture
def unreachable_index(app: Flask) -> Iterator[ElasticsearchIndex]:
    """Elasticsearch at an address where nothing listens: a real connection refusal, no double."""
    index = ElasticsearchIndex.from_url("http://127.0.0.1:9")
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = index
    yield index
    app.extensions["loom.search"] = original
    index.client.close()


def later(app: Flask, hours: float = 2) -> Worker:
    """A worker whose clock is ahead, so retries that wait for backoff are due."""
    worker = worker_for(app)
    worker.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return worker


def found(index: SearchIndex, text: str) -> list[str]:
    return [h.slug for h in index.search(SearchQuery(text=text)).hits]


def test_a_profile_change_reaches_search_through_the_outbox(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    factories.capability(session, group, category="baskets.storage", materials=["papyrus"])
    admin = factories.member_of(session, group, role=Role.ADMIN)
    sign_in(client, admin.user.email)
    submit(
        client,
        "/manage/profile",
        {
            "name": "Kisumu Papyrus Weavers",
            "country": "KE",
            "artisan_count": "30",
            "story": "Papyrus mats woven on the shores of Lake Victoria.",
        },
    )
    assert found(live_index, "victoria") == []  # nothing outside the database changes inside the request

    worker_for(app).drain()

    assert found(live_index, "lake victoria") == [group.slug]
    assert found(live_index, "papyrus baskets") == [group.slug]


def test_replayed_messages_do_not_roll_the_index_back(app: Flask, session: Session, live_index: SearchIndex) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers", story="first story")
    factories.capability(session, group)
    session.add(OutboxMessage(topic="search.index_group", key=str(group.id), payload={"version": group.version}))
    session.commit()
    worker_for(app).drain()

    group.story = "second story about sunbirds"
    group.version += 1
    session.add(OutboxMessage(topic="search.index_group", key=str(group.id), payload={"version": group.version}))
    session.commit()
    worker_for(app).drain()
    # An old copy of the document arriving late (a replay from a backup, a slow worker) is ignored.
    from search.documents import build_document

    stale = build_document(group, dt.date.today())
    stale.update(version=group.version - 1, story_terms="first story")
    assert live_index.index([stale]) == 0
    assert found(live_index, "sunbird") == [group.slug]


def test_an_elasticsearch_outage_loses_no_update(
    app: Flask, session: Session, unreachable_index, empty_index: SearchIndex
) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    factories.capability(session, group)
    from marketplace.producers.changes import touch

    touch(session, group)
    session.commit()

    summary = worker_for(app).drain()

    assert summary.retried == 1
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "search.index_group"))
    session.refresh(message)
    assert message.status == OutboxStatus.PENDING and "Elasticsearch is not answering" in message.last_error

    app.extensions["loom.search"] = empty_index  # search is back
    assert later(app).drain().done == 1
    assert found(empty_index, "papyrus") == [group.slug]


def test_the_search_page_says_when_search_is_down(client: FlaskClient, unreachable_index) -> None:
    response = client.get("/search?q=baskets")
    assert response.status_code == 503
    page = text_of(response)
    assert "Search is not answering right now" in page and 'href="/groups"' in page


def test_the_api_answers_503_when_search_is_down(client: FlaskClient, unreachable_index) -> None:
    response = client.get("/api/v1/search?q=baskets")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    conforms(response, "/search")


def test_the_search_page_shows_hits_with_highlights_and_facets(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers", story="Papyrus & <reeds> from the lake.")
    factories.capability(session, group, materials=["papyrus"])
    from marketplace.producers.changes import touch

    touch(session, group)
    session.commit()
    worker_for(app).drain()

    page = text_of(client.get("/search?q=papyrus"))

    assert "Kisumu <mark>Papyrus</mark> Weavers" in page
    assert "<mark>Papyrus</mark> &amp; &lt;reeds&gt;" in page  # the story is escaped, only the marks are HTML
    assert 'type="checkbox" name="material" value="papyrus"' in page
    assert "MOQ 50" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("units=100&by=2001-01-01", "The date must be in the future."),
        ("units=100&by=2999-01-01", "Capacity is planned 104 weeks ahead"),
        ("sort=distance", "Sorting by distance needs a place to measure from."),
        ("near=Qwertyville", "We don&#39;t know that place"),
        ("near=Hyderabad", "Several places are called"),
        ("category=widgets", "is not in the taxonomy"),
        ("price_min=20&price_max=10", "The lowest price is above the highest."),
    ],
)
def test_bad_search_input_is_explained(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    assert message in text_of(response)


def test_the_search_api_conforms_and_pages(app: Flask, client: FlaskClient, session: Session, live_index) -> None:
    from marketplace.producers.changes import touch

    for n in range(5):
        group = factories.producer_group(session, name=f"Papyrus Group {n}")
        factories.capability(session, group, materials=["papyrus"])
        touch(session, group)
    session.commit()
    worker_for(app).drain()

    by = (dt.date.today() + dt.timedelta(weeks=10)).isoformat()
    first = client.get(f"/api/v1/search?q=papyrus&size=3&units=100&by={by}&category=baskets")
    conforms(first, "/search")
    body = first.get_json()
    assert body["total"] == 5 and len(body["items"]) == 3 and body["next"]
    assert body["items"][0]["matches"][0]["units_by_date"] > 100
    second = client.get(f"/api/v1/search?q=papyrus&size=3&units=100&by={by}&category=baskets&after={body['next']}")
    conforms(second, "/search")
    names = [i["name"] for i in body["items"] + second.get_json()["items"]]
    assert sorted(names) == [f"Papyrus Group {n}" for n in range(5)]
    assert second.get_json()["next"] is None

    bad = client.get("/api/v1/search?units=ten")
    assert bad.status_code == 400
    conforms(bad, "/search")
    assert bad.get_json()["field"] == "units"


def test_rebuilds_and_the_outbox_handler_build_the_same_documents(session: Session) -> None:
    """Rebuilds read plain rows, the outbox handler mapped objects: the document must not depend on which."""
    from marketplace.demo import seed_marketplace
    from marketplace.producers.models import ProducerGroup
    from search.documents import build_document
    from search.indexing import documents

    seed_marketplace(session, groups=15, seed=3)
    today = dt.date(2027, 1, 6)
    from_rows = {doc["id"]: doc for doc in documents(session, today, batch=4)}
    from marketplace.reputation.signals import reputation

    from_objects = {g.id: build_document(g, today, reputation(session, g.id)) for g in session.scalars(select(ProducerGroup))}
    assert from_rows == from_objects and len(from_rows) == 15
    assert any(w for doc in from_rows.values() for c in doc["capabilities"] for w in [c["capacity_keys"]])


def test_a_rebuild_reads_past_batches_of_unlisted_groups_and_leaves_them_out(session: Session) -> None:
    """Batches are read by id alone and unlisted groups dropped from them: a batch holding none that is listed is not the end."""
    from search.indexing import documents

    groups = [factories.producer_group(session, name=f"Lakeside Weavers {n}") for n in range(7)]
    for n in (1, 2, 3, 5):
        groups[n].listed = False
    session.commit()

    ids = [doc["id"] for doc in documents(session, dt.date(2027, 1, 6), batch=2)]  # batches (0 1) (2 3) (4 5) (6)
    assert ids == [groups[n].id for n in (0, 4, 6)]


def test_a_rebuild_reads_its_batches_along_the_primary_key_without_sorting(session: Session, connection: Connection) -> None:
    """Each batch walks the primary key from the last id read. With `listed = true` in the statement, SQLite read every
    listed group after it through the listing index and sorted them to keep a batch: a rebuild grew with the square of
    the groups (issue 19)."""
    from search.indexing import documents
    from tests.integration.test_listing_plans import _as_if_large, statements

    for n in range(3):
        factories.producer_group(session, name=f"Lakeside Weavers {n}")
    session.commit()
    with statements(connection) as seen:
        assert len(list(documents(session, dt.date(2027, 1, 6), batch=2))) == 3
    batches = [(s, p) for s, p in seen if s.lstrip().startswith("SELECT producer_group.id") and "LIMIT" in s]
    assert len(batches) == 3  # (0 1) (2), and the empty read that ends it
    statement, parameters = batches[0]
    if connection.dialect.name == "sqlite":
        shown = "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
        assert "USING INTEGER PRIMARY KEY (rowid>?)" in shown and "TEMP B-TREE" not in shown, shown
    else:
        _as_if_large(connection)
        shown = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        assert "Index Scan using pk_producer_group on producer_group" in shown and "Sort" not in shown, shown


def test_a_change_made_while_the_index_is_rebuilt_is_not_lost(session: Session, tmp_path) -> None:
    from marketplace.producers.changes import touch
    from search.documents import build_document
    from search.embedded import EmbeddedIndex
    from search.indexing import rebuild

    groups = [factories.producer_group(session, name=f"Lakeside Weavers {n}", story="reeds") for n in range(3)]
    for group in groups:
        factories.capability(session, group)
    session.commit()

    class IndexWithABusyWorker(EmbeddedIndex):
        """While the rebuild reads the database, the worker indexes a fresh change into the old index."""

        def rebuild(self, documents, *, progress=None):  # type: ignore[no-untyped-def]
            def interleaved():  # type: ignore[no-untyped-def]
                for number, doc in enumerate(documents):
                    if number == 1:
                        groups[0].story = "papyrus now"
                        touch(session, groups[0])
                        session.commit()
                        self.index([build_document(groups[0], dt.date.today())])
                    yield doc

            return super().rebuild(interleaved(), progress=progress)

    index = IndexWithABusyWorker(tmp_path / "search.db")
    assert rebuild(session, index) == 3
    assert found(index, "papyrus") == [groups[0].slug]


def test_only_certifications_an_operator_verified_pass_the_verified_filter(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    from marketplace.producers.changes import touch
    from marketplace.producers.models import Certification
    from marketplace.producers.services import verify_certification

    checked = factories.producer_group(session, name="Papyrus Checked")
    claimed = factories.producer_group(session, name="Papyrus Claimed")
    for group in (checked, claimed):
        factories.capability(session, group, materials=["papyrus"])
        session.add(Certification(group=group, scheme="wfto"))
        touch(session, group)
    session.flush()
    verify_certification(
        session,
        factories.user(session, operator=True),
        checked.certifications[0].id,
        verified=True,
        note="Found in the WFTO members list.",
    )
    session.commit()
    worker_for(app).drain()

    response = client.get("/api/v1/search?q=papyrus&verified_certification=wfto")
    conforms(response, "/search")
    [hit] = response.get_json()["items"]
    assert (hit["name"], hit["certifications"], hit["verified_certifications"]) == ("Papyrus Checked", ["wfto"], ["wfto"])
    assert response.get_json()["facets"]["verified_certification"] == [{"value": "wfto", "count": 1, "selected": True}]
    everyone = client.get("/api/v1/search?q=papyrus&certification=wfto").get_json()
    assert {i["name"]: i["verified_certifications"] for i in everyone["items"]} == {
        "Papyrus Checked": ["wfto"],
        "Papyrus Claimed": [],
    }

    page = text_of(client.get("/search?q=papyrus"))
    assert "WFTO Guaranteed Fair Trade ✓ verified" in page and "WFTO Guaranteed Fair Trade (claimed)" in page
    assert 'type="checkbox" name="verified_certification" value="wfto"' in page
    bad = client.get("/api/v1/search?verified_certification=iso9001")
    assert bad.status_code == 400 and bad.get_json()["field"] == "verified_certification"


def test_near_any_town_in_the_gazetteer(app: Flask, client: FlaskClient, session: Session, live_index) -> None:
    from marketplace.producers.changes import touch

    near_bolga = factories.producer_group(session, name="Papyrus Near Bolga", country="GH", latitude=10.80, longitude=-0.86)
    far = factories.producer_group(session, name="Papyrus In Accra", country="GH", latitude=5.60, longitude=-0.19)
    for group in (near_bolga, far):
        factories.capability(session, group, materials=["papyrus"])
        touch(session, group)
    session.commit()
    worker_for(app).drain()

    response = client.get("/api/v1/search?q=papyrus&near=Bolgatanga&km=50")
    conforms(response, "/search")
    assert [i["name"] for i in response.get_json()["items"]] == ["Papyrus Near Bolga"]
    ambiguous = client.get("/api/v1/search?q=papyrus&near=Hyderabad")
    assert ambiguous.status_code == 400 and ambiguous.get_json()["field"] == "near"
    assert "Pakistan" in ambiguous.get_json()["detail"]


def test_the_daily_rebuild_recomputes_capacity_when_a_day_begins(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    from marketplace.producers.changes import touch
    from search.documents import build_document, index_day
    from search.indexing import DailyRebuild, groups_with_details

    group = factories.producer_group(session, name="Papyrus Yesterday")
    factories.capability(session, group, materials=["papyrus"])
    touch(session, group)
    session.commit()
    today = index_day()
    [loaded] = groups_with_details(session, [group.id])
    live_index.index([{**build_document(loaded, today - dt.timedelta(days=1)), "version": group.version + 1}])
    by = (today + dt.timedelta(weeks=10)).isoformat()

    stale = client.get(f"/api/v1/search?q=papyrus&units=10&by={by}").get_json()
    assert stale["total"] == 0  # capacity computed yesterday is not trusted today
    daily = DailyRebuild(app.extensions["loom.db"]["sessionmaker"], lambda: live_index)
    assert daily.run_once() >= 1
    assert live_index.earliest_fresh_until() > utcnow() and daily.run_once() is None  # current: nothing to do
    fresh = client.get(f"/api/v1/search?q=papyrus&units=10&by={by}").get_json()
    assert [i["name"] for i in fresh["items"]] == ["Papyrus Yesterday"] and fresh["items"][0]["matches"][0]["units_by_date"] >= 10


def test_the_worker_rebuilds_a_stale_index(tmp_path) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from sqlalchemy.orm import Session as PlainSession

    from marketplace import create_app
    from marketplace.cli import main, upgrade_database
    from search.documents import index_day
    from search.indexing import documents

    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade_database(url)
    own_app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    info = ScriptInfo(create_app=lambda: own_app)
    runner = CliRunner()
    data = str(Path(__file__).parent.parent / "data" / "federation-groups.csv")
    assert "2 created" in runner.invoke(main, ["import", "groups", data], obj=info).output
    index = own_app.extensions["loom.search"]
    with PlainSession(own_app.extensions["loom.db"]["engine"]) as session:
        index.rebuild(documents(session, index_day() - dt.timedelta(days=1)))  # as a rebuild left it yesterday

    first = runner.invoke(main, ["worker", "--once"], obj=info)
    assert "Search index rebuilt for today: 2 producer groups." in first.output
    assert index.earliest_fresh_until() > utcnow()
    assert "rebuilt" not in runner.invoke(main, ["worker", "--once"], obj=info).output
    own_app.extensions["loom.db"]["engine"].dispose()


def test_the_home_page_example_is_understood_as_filters_the_buyer_can_remove(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    from marketplace.producers.changes import touch
    from marketplace.producers.models import Certification

    fair = factories.producer_group(session, name="Machakos Weavers")
    factories.capability(session, fair, materials=["sisal"], moq=100)
    session.add(Certification(group=fair, scheme="wfto", reference="WFTO-1"))
    unlabelled = factories.producer_group(session, name="Kitui Weavers")
    factories.capability(session, unlabelled, materials=["sisal"])
    big_only = factories.producer_group(session, name="Thika Weavers")
    factories.capability(session, big_only, materials=["sisal"], moq=5000)
    session.add(Certification(group=big_only, scheme="fairtrade", reference="FT-2"))
    scarves = factories.producer_group(session, name="Nairobi Scarf Studio")
    factories.capability(session, scarves, category="textiles.scarves", materials=["cotton"])
    session.add(Certification(group=scarves, scheme="wfto", reference="WFTO-3"))
    for group in (fair, unlabelled, big_only, scarves):
        touch(session, group)
    session.commit()
    worker_for(app).drain()

    typed = client.get(
        "/search", query_string={"q": "2,000 sisal baskets, fair trade", "units": "", "by": ""}
    )  # the home page's form

    assert typed.status_code == 303
    location = typed.headers["Location"]
    assert (
        "q=baskets" in location and "units=2000" in location and "material=sisal" in location and "certification=wfto" in location
    )
    page = text_of(client.get(location))
    assert "Machakos Weavers" in page
    for left_out in ("Kitui Weavers", "Thika Weavers", "Scarf Studio"):  # not fair trade; MOQ above 2,000; not baskets
        assert left_out not in page
    for chip in ("2,000 units", "sisal", "Fair Trade"):
        assert f'<span dir="auto">{chip}</span>' in page
    assert page.index('class="results"') < page.index('class="facets"')  # on a phone the results come before the filters

    without_fair_trade = client.get(location).get_data(as_text=True)
    remove = re.search(r'href="([^"]+)" aria-label="Remove Fair Trade"', without_fair_trade)
    assert remove is not None
    page = text_of(client.get(html.unescape(remove.group(1))))
    assert "Kitui Weavers" in page and "Machakos Weavers" in page and "Thika Weavers" not in page


def test_a_deadline_in_words_lands_in_the_buyers_calendar(client: FlaskClient, live_index) -> None:
    today = dt.date.today()
    typed = client.get("/search", query_string={"q": "baskets by March"})
    march = dt.date(today.year if today.month < 3 else today.year + 1, 3, 31)
    assert typed.status_code == 303 and f"by={march.isoformat()}" in typed.headers["Location"]
    page = text_of(client.get(typed.headers["Location"]))
    assert f"by 31 Mar {march.year}" in page


def test_numbers_are_accepted_as_people_write_them(client: FlaskClient, live_index) -> None:
    by = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    assert client.get(f"/search?q=baskets&units=2,000&by={by}").status_code == 200
    assert client.get(f"/search?q=baskets&units=2%20000&by={by}").status_code == 200
    assert client.get(f"/search?q=baskets&units=2,00&by={by}").status_code == 400
    assert client.get(f"/api/v1/search?q=baskets&units=2,000&by={by}").status_code == 200
    page = text_of(client.get("/search?q=baskets+by+31+February"))
    assert "There is no such date as" in page


def test_a_buyer_adds_groups_to_a_draft_from_the_results_once(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    from marketplace.producers.changes import touch
    from marketplace.sourcing.models import Rfq, RfqRecipient
    from tests.integration.test_flows_web import _rfq_fields

    buyer = factories.buyer(session, role=Role.OWNER)
    other_buyer = factories.buyer(session, name="Other Buyer", role=Role.OWNER)
    group = factories.producer_group(session, name="Machakos Weavers")
    factories.capability(session, group, materials=["sisal"])
    touch(session, group)
    session.commit()
    worker_for(app).drain()
    sign_in(client, other_buyer.user.email)
    assert submit(client, "/rfqs/new", _rfq_fields(title="Someone else's baskets", draft="1")).status_code == 302
    client.post("/logout", data={})
    sign_in(client, buyer.user.email)
    assert submit(client, "/rfqs/new", _rfq_fields(title="Spring baskets", draft="1")).status_code == 302
    mine = session.scalar(select(Rfq).where(Rfq.title == "Spring baskets"))
    theirs = session.scalar(select(Rfq).where(Rfq.title == "Someone else's baskets"))

    results = "/search?q=baskets"
    page = text_of(client.get(results))
    assert f'form="add-to-draft" name="target" value="{mine.id}:{group.slug}"' in page and "Someone else" not in page

    for _ in range(2):  # a second click (or a reload of the post) adds nothing twice
        answer = submit(client, results, {"target": f"{mine.id}:{group.slug}", "next": results}, action="/rfqs/drafts/groups")
        assert answer.status_code == 303 and answer.headers["Location"] == results
    assert session.scalars(select(RfqRecipient.group_id).where(RfqRecipient.rfq_id == mine.id)).all() == [group.id]
    page = text_of(client.get(results))
    assert "is already in your draft" in page and 'In your draft “<span dir="auto">Spring baskets</span>” ✓' in page

    answer = submit(
        client, results, {"target": f"{theirs.id}:{group.slug}", "next": "https://evil.example/"}, action="/rfqs/drafts/groups"
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/rfqs"  # only a path on this site
    assert session.scalars(select(RfqRecipient).where(RfqRecipient.rfq_id == theirs.id)).all() == []
    assert (
        client.post("/rfqs/drafts/groups", data={"target": f"{mine.id}:{group.slug}"}).status_code == 400
    )  # no CSRF token: refused


def test_results_the_home_page_and_profiles_show_a_groups_photo_or_a_placeholder(
    app: Flask, client: FlaskClient, session: Session, live_index
) -> None:
    from marketplace.producers.changes import touch
    from marketplace.producers.models import Photo

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
    plain = factories.producer_group(session, name="Kitui Weavers")
    factories.capability(session, plain)
    for group in (pictured, plain):
        touch(session, group)
    session.commit()
    worker_for(app).drain()
    photo = (
        '<img class="cover" src="/media/photos/machakos.jpg" alt="Mwende coiling a sisal basket" width="800" height="600" '
        'loading="lazy">'
    )
    placeholder = (
        '<div class="cover placeholder" role="img" aria-label="Makes Baskets"><span>KW</span><small '
        'aria-hidden="true">Baskets</small></div>'
    )

    for page in (text_of(client.get("/search?q=baskets")), text_of(client.get("/")), text_of(client.get("/groups"))):
        assert photo in page and placeholder in page
    assert placeholder in text_of(client.get(f"/groups/{plain.slug}"))
    assert "Mwende coiling a sisal basket" in text_of(
        client.get(f"/groups/{pictured.slug}")
    ) and "cover placeholder" not in text_of(client.get(f"/groups/{pictured.slug}"))
