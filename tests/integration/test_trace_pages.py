"""The order page's trace in plain words and its EPCIS download; the public product story, published only
while both parties agree, with its QR code, hang tags and verification page."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import pathlib
import re

import pytest
import zxingcpp
from babel.dates import format_date
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.orders.models import OrderStatus, ProgressUpdate
from marketplace.orders.services import move, post_progress
from marketplace.trace.chain import verify_document
from tests import factories
from tests.epcis_schema import epcis_errors
from tests.web import sign_in, submit

BASE = "https://loom.test"


@pytest.fixture
def deal(session: Session) -> dict:
    buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
    group = factories.producer_group(
        session,
        name="Machakos Sisal Weavers",
        city="Machakos",
        latitude=-1.5177,
        longitude=37.2634,
        artisan_count=240,
        women_share=85,
        youth_share=30,
    )
    admin = factories.member_of(session, group, role=Role.ADMIN)
    outsider = factories.buyer(session, name="Casa Verde", role=Role.OWNER)
    order = factories.accepted_order(session, group, buyer)
    move(session, admin, order.id, OrderStatus.IN_PRODUCTION, note="", today=dt.date.today(), base_url=BASE)
    post_progress(
        session,
        admin,
        order.id,
        percent=40,
        note="Mary Wanjiku finished the first 100",
        photo_path="photos/orders/x/coil.jpg",
        base_url=BASE,
    )
    post_progress(
        session, admin, order.id, percent=70, note="Private second photo", photo_path="photos/orders/x/private.jpg", base_url=BASE
    )
    session.commit()
    return {"buyer": buyer, "group": group, "admin": admin, "order": order, "outsider": outsider}


def words(response) -> str:  # type: ignore[no-untyped-def]
    """The page as a reader sees it: tags removed, entities decoded, spaces collapsed."""
    inline = re.sub(r"</?bdi>", "", response.get_data(as_text=True))  # isolated words read on with their sentence
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _as(client: FlaskClient, membership) -> FlaskClient:
    submit(client, "/login", {}, action="/logout")
    sign_in(client, membership.user.email)
    return client


def test_the_order_page_tells_the_trace_in_plain_words_and_both_parties_download_it(client: FlaskClient, deal: dict) -> None:
    order = deal["order"]
    today = dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("Africa/Nairobi")).date()
    for who in ("buyer", "admin"):
        _as(client, deal[who])
        page = words(client.get(f"/orders/{order.id}"))
        trace = page.split("Trace", 1)[1]
        assert f"Order confirmed · Machakos · {format_date(today, 'medium', locale='en')}" in trace  # the reader's format
        assert "Production started · Machakos" in trace and "Progress checked · Machakos" in trace and "40 % done" in trace
        assert "TransactionEvent" not in trace and "urn:" not in trace and "accepting" not in trace
        download = client.get(f"/orders/{order.id}/trace.epcis.json")
        assert download.status_code == 200 and download.mimetype == "application/ld+json"
        assert "attachment" in download.headers["Content-Disposition"]
        document = json.loads(download.data)
        assert epcis_errors(document) == [] and verify_document(document) == []
        assert len(document["epcisBody"]["eventList"]) == 4
    _as(client, deal["outsider"])
    assert client.get(f"/orders/{order.id}/trace.epcis.json").status_code == 404


def test_the_story_is_public_only_while_both_agree(client: FlaskClient, session: Session, deal: dict) -> None:
    order = deal["order"]
    first_photo = session.query(ProgressUpdate).filter_by(order_id=order.id, percent=40).one()
    _as(client, deal["buyer"])
    assert submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/story/publish").status_code == 302
    link = re.search(r"/stories/[\w-]+", client.get(f"/orders/{order.id}").get_data(as_text=True))
    assert link is None  # only one party agrees: no story address yet
    from marketplace.trace.story import story_of

    public_id = story_of(session, order.id).public_id
    anonymous = client.application.test_client()
    for path in ("", "/trace.epcis.json", "/verify", "/qr.svg", "/qr.png", "/tags"):
        assert anonymous.get(f"/stories/{public_id}{path}").status_code == 404

    _as(client, deal["admin"])
    response = submit(
        client, f"/orders/{order.id}", {"photo_ids": [str(first_photo.id)]}, action=f"/orders/{order.id}/story/publish"
    )
    assert response.status_code == 302
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/stories/{public_id}" in page and "Print hang tags" in page

    story = anonymous.get(f"/stories/{public_id}")
    assert story.status_code == 200
    text = words(story)
    for shown in (
        "Made by Machakos Sisal Weavers",
        "Machakos, Kenya",
        "240 artisans",
        "85 % women",
        "30 % young people",
        "Order confirmed · Machakos",
        "Production started · Machakos",
        "Verify this story",
    ):
        assert shown in text, shown
    markup = story.get_data(as_text=True)
    other_photo = session.query(ProgressUpdate).filter_by(order_id=order.id, percent=70).one()
    uploads = pathlib.Path(client.application.config["UPLOAD_DIR"])
    for update in (first_photo, other_photo):  # both files exist: only the choice decides what is served
        (uploads / update.photo_path).parent.mkdir(parents=True, exist_ok=True)
        (uploads / update.photo_path).write_bytes(b"\xff\xd8\xff\xe0 a photo")
    chosen_url, other_url = f"/stories/{public_id}/photos/{first_photo.id}", f"/stories/{public_id}/photos/{other_photo.id}"
    assert chosen_url in markup and other_url not in markup and "private.jpg" not in markup  # only the photo the group chose
    with anonymous.get(chosen_url) as served:
        assert served.status_code == 200 and served.headers["Cache-Control"] == "private, no-store"
    assert anonymous.get(other_url).status_code == 404  # a photo not chosen is not served through the story
    for private in (
        "Northwind Home",
        deal["admin"].user.name,
        deal["admin"].user.email,
        deal["buyer"].user.email,
        "Mary Wanjiku",
        order.total.to_eng_string(),
    ):
        assert private not in text, private

    verify = words(anonymous.get(f"/stories/{public_id}/verify"))
    assert "All 4 events recomputed" in verify and "ni:///sha-256;" in verify
    document = json.loads(anonymous.get(f"/stories/{public_id}/trace.epcis.json").data)
    assert verify_document(document) == []

    svg = anonymous.get(f"/stories/{public_id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = anonymous.get(f"/stories/{public_id}/qr.png")
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))]
    assert decoded == [f"{client.application.config['BASE_URL']}/stories/{public_id}"]
    tags = anonymous.get(f"/stories/{public_id}/tags").get_data(as_text=True)
    assert tags.count('class="hang-tag"') == 24 and tags.count("<svg") == 24

    # Either side may change its mind: the story goes away.
    _as(client, deal["buyer"])
    submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/story/withdraw")
    assert anonymous.get(f"/stories/{public_id}").status_code == 404
    assert anonymous.get(chosen_url).status_code == 404


def test_only_admins_answer_and_only_the_orders_photos_can_be_chosen(client: FlaskClient, session: Session, deal: dict) -> None:
    order = deal["order"]
    member = factories.member_of(session, deal["group"], role=Role.MEMBER)
    session.commit()
    _as(client, member)
    response = submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/story/publish", follow_redirects=True)
    assert response.status_code in (200, 403)
    from marketplace.trace.story import story_of

    assert story_of(session, order.id) is None or not story_of(session, order.id).group_agrees
    _as(client, deal["admin"])
    response = submit(
        client,
        f"/orders/{order.id}",
        {"photo_ids": ["999999"]},
        action=f"/orders/{order.id}/story/publish",
        follow_redirects=True,
    )
    assert "Choose among this order's progress photos." in words(response)
    _as(client, deal["outsider"])
    assert submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/story/publish").status_code == 404
    assert client.post(f"/orders/{order.id}/story/nonsense").status_code in (400, 404)


def _publish(session: Session, deal: dict) -> str:
    from marketplace.trace.story import set_story_consent

    set_story_consent(session, deal["buyer"], deal["order"].id, agree=True)
    story = set_story_consent(session, deal["admin"], deal["order"].id, agree=True)
    session.commit()
    return story.public_id


def test_the_public_trace_leaves_out_the_notes_and_still_verifies(client: FlaskClient, session: Session, deal: dict) -> None:
    order = deal["order"]
    public_id = _publish(session, deal)
    anonymous = client.application.test_client()
    public = anonymous.get(f"/stories/{public_id}/trace.epcis.json")
    assert public.status_code == 200
    for private in ("Mary Wanjiku", "Private second photo", "note_salt", "loom:notes"):
        assert private not in public.get_data(as_text=True), private
    document = json.loads(public.data)
    assert epcis_errors(document) == [] and verify_document(document) == []
    assert sum("loom:noteDigest" in e for e in document["epcisBody"]["eventList"]) == 2  # the notes' salted digests stay hashed
    assert "Mary Wanjiku" not in words(anonymous.get(f"/stories/{public_id}/verify"))

    _as(client, deal["buyer"])  # the order's parties still get the notes, proved against the same event IDs
    own = json.loads(client.get(f"/orders/{order.id}/trace.epcis.json").data)
    assert epcis_errors(own) == [] and verify_document(own) == []
    assert [n["note"] for n in own["loom:notes"]] == ["Mary Wanjiku finished the first 100", "Private second photo"]
    assert [e["eventID"] for e in own["epcisBody"]["eventList"]] == [e["eventID"] for e in document["epcisBody"]["eventList"]]
    own["loom:notes"][0]["note"] = "Someone else finished the first 100"
    assert [p.message for p in verify_document(own)] == [
        "The note of event 3 was altered: it does not match the digest the event's hash covers."
    ]


def test_an_older_noted_event_is_sealed_when_the_story_is_published_so_the_public_copy_verifies_without_its_note(
    client: FlaskClient, session: Session, deal: dict
) -> None:
    from marketplace.trace.services import cbv_hash, chain_of, first_altered

    events = chain_of(session, deal["order"].id)
    older = events[2]  # as recorded before notes were kept apart: the note text itself inside the hashed event
    older.why = {k: v for k, v in older.why.items() if k != "note_salt"}
    older.hash = cbv_hash(older, events[1])
    for after, before in zip(events[3:], events[2:], strict=False):
        after.prev_hash = before.hash
        after.hash = cbv_hash(after, before)
    session.commit()
    recorded = [(e.sequence, e.hash) for e in events]
    public_id = _publish(session, deal)

    chain = chain_of(session, deal["order"].id)
    assert [(e.sequence, e.hash) for e in chain[: len(recorded)]] == recorded  # history kept as it was: one seal appended
    assert len(chain) == len(recorded) + 1 and first_altered(chain) is None
    anonymous = client.application.test_client()
    public = anonymous.get(f"/stories/{public_id}/trace.epcis.json")
    assert "Mary Wanjiku" not in public.get_data(as_text=True)
    document = json.loads(public.data)
    assert epcis_errors(document) == [] and verify_document(document) == []  # every event checks, the old one by its seal
    page = words(anonymous.get(f"/stories/{public_id}/verify"))
    assert f"All {len(chain)} events recomputed just now" in page and "cannot be recomputed" not in page
    assert "Mary Wanjiku" not in words(anonymous.get(f"/stories/{public_id}"))
    from marketplace.trace.story import plain_steps

    assert len(plain_steps(chain, "Africa/Nairobi")) == len(recorded)  # the seal is bookkeeping, not a step of the goods

    tampered = json.loads(public.data)  # what the public copy shows of the old event is what was sealed
    tampered["epcisBody"]["eventList"][2]["eventTime"] = "2020-01-01T00:00:00.000Z"
    assert [p.message for p in verify_document(tampered)] == [
        f"Event 3 was altered: it differs from what event {len(chain)} sealed."
    ]
    unsealed = json.loads(public.data)
    del unsealed["epcisBody"]["eventList"][-1]["loom:seals"][0]  # a forged seal no longer matches its own hash ID
    assert any("does not hash to its eventID" in p.message for p in verify_document(unsealed))

    from marketplace.trace.story import set_story_consent

    set_story_consent(session, deal["buyer"], deal["order"].id, agree=False)  # withdrawn and published again: sealed once
    set_story_consent(session, deal["buyer"], deal["order"].id, agree=True)
    session.commit()
    assert len(chain_of(session, deal["order"].id)) == len(chain)
    _as(client, deal["admin"])
    own = json.loads(client.get(f"/orders/{deal['order'].id}/trace.epcis.json").data)
    assert verify_document(own) == [] and "Mary Wanjiku" in json.dumps(own, ensure_ascii=False)


def test_stories_published_before_seals_existed_are_sealed_by_one_command(
    client: FlaskClient, session: Session, deal: dict
) -> None:
    from marketplace.cli import main
    from marketplace.trace.models import ProductStory
    from marketplace.trace.services import cbv_hash, chain_of

    events = chain_of(session, deal["order"].id)
    older = events[2]
    older.why = {k: v for k, v in older.why.items() if k != "note_salt"}
    older.hash = cbv_hash(older, events[1])
    for after, before in zip(events[3:], events[2:], strict=False):
        after.prev_hash = before.hash
        after.hash = cbv_hash(after, before)
    session.add(
        ProductStory(order_id=deal["order"].id, public_id="published-before", photo_ids=[], buyer_agrees=True, group_agrees=True)
    )
    session.commit()
    anonymous = client.application.test_client()
    before = verify_document(json.loads(anonymous.get("/stories/published-before/trace.epcis.json").data))
    assert [(p.position, p.withheld) for p in before] == [(3, True)]

    result = client.application.test_cli_runner().invoke(main, ["trace", "seal-stories"])
    assert result.exit_code == 0 and "1 published product stories got a seal." in result.output
    public = json.loads(anonymous.get("/stories/published-before/trace.epcis.json").data)
    assert verify_document(public) == [] and "Mary Wanjiku" not in json.dumps(public, ensure_ascii=False)
    again = client.application.test_cli_runner().invoke(main, ["trace", "seal-stories"])
    assert "0 published product stories got a seal." in again.output
