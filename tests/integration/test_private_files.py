"""The public media route serves the photos groups publish, and nothing else, however the path is spelled;
private files (evidence, RFQ attachments, progress photos of orders) go to authorised people, uncached."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.orders.models import ProgressUpdate
from marketplace.producers.models import Certification, Photo
from tests import factories
from tests.integration.test_producer_listing import png_bytes
from tests.web import sign_in, submit

TRAVERSALS = [
    "photos/%2e%2e/{path}",
    "photos/..%2f{path}",
    "photos/./../{path}",
    "photos/%2E%2E/{path}",
    "photos//../{path}",
    "photos/x/../../{path}",
    "photos/%2e%2e%5c{path}",
    "{path}",
]


def _evidence(client: FlaskClient, session: Session) -> Certification:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    evidence = (io.BytesIO(b"%PDF-1.4 certificate of WFTO membership"), "wfto.pdf")
    submit(
        client,
        "/manage/certifications",
        {"scheme": "wfto", "reference": "W-1", "evidence": evidence},
        content_type="multipart/form-data",
    )
    return session.scalar(select(Certification).where(Certification.group_id == group.id))


@pytest.mark.parametrize("spelling", TRAVERSALS)
def test_evidence_cannot_be_reached_through_the_public_route(
    app: Flask, client: FlaskClient, session: Session, spelling: str
) -> None:
    certification = _evidence(client, session)
    own = client.get(f"/manage/certifications/{certification.id}/evidence")
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"
    own.close()
    anonymous = app.test_client()
    answer = anonymous.get("/media/" + spelling.format(path=certification.evidence_path))
    assert answer.status_code == 404, answer.headers.get("Cache-Control")


@pytest.mark.parametrize("spelling", TRAVERSALS)
def test_rfq_attachments_cannot_be_reached_through_the_public_route(
    app: Flask, client: FlaskClient, session: Session, spelling: str
) -> None:
    folder = Path(app.config["UPLOAD_DIR"]) / "rfqs" / "999"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sizes.pdf").write_bytes(b"%PDF-1.7 sizes")
    assert app.test_client().get("/media/" + spelling.format(path="rfqs/999/sizes.pdf")).status_code == 404


def test_only_photos_on_record_are_public(app: Flask, client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    submit(
        client,
        "/manage/photos",
        {"photo": (io.BytesIO(png_bytes()), "b.png"), "caption": "Coiling"},
        content_type="multipart/form-data",
    )
    photo = session.scalar(select(Photo).where(Photo.group_id == group.id))
    with app.test_client().get(f"/media/{photo.path}") as served:
        assert served.status_code == 200 and "public" in served.headers["Cache-Control"]
    stray = Path(app.config["UPLOAD_DIR"]) / "photos" / "stray.png"
    stray.write_bytes(png_bytes())
    assert app.test_client().get("/media/photos/stray.png").status_code == 404


def test_progress_photos_of_an_order_are_for_its_parties_only(app: Flask, client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    order = factories.accepted_order(session, group, buyer)
    maker = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, maker.user.email)
    posted = submit(
        client,
        f"/orders/{order.id}",
        {"percent": "40", "note": "Half woven", "photo": (io.BytesIO(png_bytes()), "p.png")},
        action=f"/orders/{order.id}/progress",
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    update = session.scalar(
        select(ProgressUpdate).where(ProgressUpdate.order_id == order.id, ProgressUpdate.photo_path.is_not(None))
    )
    photo_url = f"/orders/{order.id}/progress/{update.id}/photo"
    assert not update.photo_path.startswith("photos/")
    for spelling in TRAVERSALS:
        assert app.test_client().get("/media/" + spelling.format(path=update.photo_path)).status_code == 404
    with client.get(photo_url) as own:
        assert own.status_code == 200 and own.data == png_bytes() and own.headers["Cache-Control"] == "private, no-store"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'src="{photo_url}"' in page

    sign_in(client := app.test_client(), buyer.user.email)
    with client.get(photo_url) as buyers:
        assert buyers.status_code == 200
    stranger = factories.buyer(session, name="Other Shop")
    session.commit()
    sign_in(client := app.test_client(), stranger.user.email)
    assert client.get(photo_url).status_code == 404
    assert app.test_client().get(photo_url).status_code == 302  # to sign-in
