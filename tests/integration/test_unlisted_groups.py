"""A producer group that signed itself up shows nowhere public until one of its people confirms their e-mail
address: not on the home page, the directory, search, the JSON API, its profile, its photos or its stories.
Once confirmed it shows everywhere at once (its re-indexing is queued in the confirming transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from marketplace.producers.models import Photo, ProducerGroup
from marketplace.sourcing.models import Rfq, RfqStatus
from search.backends import SearchIndex
from search.indexing import rebuild
from search.query import SearchQuery
from tests import factories
from tests.integration.test_email_confirmation import SIGNUP, _confirmation_link
from tests.web import sign_in, submit, text_of

NAME = SIGNUP["organization_name"]
# Every public page and API answer that lists groups; each must leave the unconfirmed group out.
LISTS = [
    "/",
    "/groups",
    "/groups?country=KE",
    "/search?q=Kitui",
    "/search?country=KE",
    "/api/v1/groups",
    "/api/v1/groups?country=ke",
    "/api/v1/search?q=Kitui",
    "/api/v1/search?country=KE",
]


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


def _doors(client: FlaskClient, slug: str) -> dict[str, bool]:
    """Whether each public door shows the group (its address in the answer, or a 200 for its own address)."""
    shown = {door: slug in text_of(client.get(door)) for door in LISTS}
    for door in (f"/groups/{slug}", f"/api/v1/groups/{slug}"):
        answer = client.get(door)
        assert answer.status_code in (200, 404), (door, answer.status_code)
        shown[door] = answer.status_code == 200 and NAME in text_of(answer)
    return shown


def test_a_signed_up_group_shows_nowhere_public_until_its_owner_confirms_then_everywhere(
    app: Flask, client: FlaskClient, session: Session, live_index: SearchIndex
) -> None:
    submit(client, "/signup", SIGNUP)
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.name == NAME))
    assert group is not None and not group.listed
    worker_for(app).drain()  # its sign-up queued a re-index: the worker leaves it out
    rebuild(session, live_index)  # and so does a full rebuild
    assert live_index.search(SearchQuery(text="Kitui")).hits == []
    anonymous = app.test_client()
    assert _doors(anonymous, group.slug) == dict.fromkeys(
        [*LISTS, f"/groups/{group.slug}", f"/api/v1/groups/{group.slug}"], False
    )

    buyer = factories.buyer(session, role=Role.ADMIN)  # a buyer cannot reach it by its address either
    draft = Rfq(
        buyer_id=buyer.organization_id,
        created_by_id=buyer.user_id,
        title="Baskets",
        spec="",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        destination_country="GB",
        status=RfqStatus.DRAFT,
        needed_by=dt.date.today() + dt.timedelta(weeks=10),
    )
    session.add(draft)
    session.commit()
    shopper = app.test_client()
    sign_in(shopper, buyer.user.email)
    submit(shopper, "/rfqs", {"target": f"{draft.id}:{group.slug}"}, action="/rfqs/drafts/groups")
    assert "There is no such producer group." in text_of(shopper.get("/rfqs"))
    session.expire_all()
    assert session.get(Rfq, draft.id).recipients == []
    assert NAME not in text_of(shopper.get(f"/rfqs/new?group={group.slug}"))

    submit(client, _confirmation_link(session, "mwende@example.org"), {})
    session.expire_all()
    assert session.get(ProducerGroup, group.id).listed
    queued = session.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == topics.INDEX_GROUP, OutboxMessage.key == str(group.id))
    )
    assert any(m.status == "pending" for m in queued)  # queued by the confirmation itself
    worker_for(app).drain()
    assert _doors(anonymous, group.slug) == dict.fromkeys([*LISTS, f"/groups/{group.slug}", f"/api/v1/groups/{group.slug}"], True)


def test_an_invited_teammate_who_accepts_lists_the_group_too(session: Session) -> None:
    group = factories.producer_group(session, listed=False)
    owner = factories.member_of(session, group, role=Role.OWNER)
    owner.user.email_confirmed_at = None
    __, link = accounts.invite(
        session, inviter=owner, email="kioko@example.org", role=Role.ADMIN, base_url="https://loom.test", ttl=dt.timedelta(days=3)
    )
    token = link.rsplit("/", 1)[1]
    accounts.accept_invitation(session, token, user=None, name="Kioko", password="a long enough passphrase")
    assert group.listed


def test_an_unlisted_groups_photos_and_published_stories_are_not_public(client: FlaskClient, session: Session) -> None:
    from marketplace.trace.story import set_story_consent

    group = factories.producer_group(session, name=NAME)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session)
    order = factories.accepted_order(session, group, buyer)
    session.add(
        Photo(group_id=group.id, path="photos/kitui/loom.jpg", content_type="image/jpeg", width=10, height=10, caption="")
    )
    set_story_consent(session, buyer, order.id, agree=True)
    story = set_story_consent(session, admin, order.id, agree=True)
    session.commit()
    doors = [
        f"/stories/{story.public_id}",
        f"/stories/{story.public_id}/verify",
        f"/stories/{story.public_id}/trace.epcis.json",
        f"/stories/{story.public_id}/qr.svg",
        f"/stories/{story.public_id}/tags",
        "/media/photos/kitui/loom.jpg",
    ]
    assert [client.get(door).status_code for door in doors[:-1]] == [200] * 5

    group.listed = False  # as a group whose people never confirmed an address (e.g. one that traded before confirmation existed)
    session.commit()
    assert [client.get(door).status_code for door in doors] == [404] * 6


# type: ignore[no-untyped-def]
def test_the_migration_lists_only_groups_someone_confirmed_or_an_operator_imported(tmp_path) -> None:
    """Migration 0023 applies the same rule to the groups already there (upgraded from 0017, the schema before it)."""
    import sqlalchemy as sa

    from marketplace.cli import upgrade_database
    from marketplace.db import make_engine

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0017")
    engine = make_engine(url)
    now = "2026-03-03 09:30:00.000000"
    with engine.begin() as db:
        db.execute(
            sa.text(
                "INSERT INTO organization (id, kind, name, country, created_at) VALUES (1, 'producer', 'Confirmed', 'KE', :t),"
                " (2, 'producer', 'Unconfirmed', 'KE', :t), (3, 'producer', 'Imported', 'KE', :t)"
            ),
            {"t": now},
        )
        for n in (1, 2, 3):
            db.execute(
                sa.text(
                    "INSERT INTO producer_group (id, organization_id, name, slug, story, country, region, city, artisan_count,"
                    " women_share, youth_share, languages, verified, rating_count, created_at, updated_at, version) VALUES "
                    "(:n, :n, 'G', :slug, '', 'KE', '', '', 0, 0, 0, '[]', 0, 0, :t, :t, 1)"
                ),
                {"n": n, "slug": f"g-{n}", "t": now},
            )
        db.execute(
            sa.text(
                "INSERT INTO user_account (id, email, name, password_hash, is_operator, created_at, email_confirmed_at) VALUES "
                "(1, 'a@example.org', 'A', 'x', 0, :t, :t), (2, 'b@example.org', 'B', 'x', 0, :t, NULL)"
            ),
            {"t": now},
        )
        db.execute(
            sa.text(
                "INSERT INTO membership (user_id, organization_id, role, created_at) VALUES (1, 1, 'owner', :t), (2, 2, "
                "'owner', :t)"
            ),
            {"t": now},
        )
    engine.dispose()
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as db:
        assert dict(db.execute(sa.text("SELECT organization_id, listed FROM producer_group")).all()) == {1: 1, 2: 0, 3: 1}
    engine.dispose()
