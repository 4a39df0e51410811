"""An upload is kept only with the use case that commits it: a repeated post or a refused one leaves no stray file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from tests import factories
from tests.integration.test_producer_listing import png_bytes
from tests.integration.test_sourcing_flow import RFQ
from tests.web import hidden_fields, sign_in, text_of

# Each case: sign someone in, then return (the page, where to post, the fields with a fresh file, the folder its files go to).
Case = Callable[[FlaskClient, Session], tuple[str, str, Callable[[], dict[str, object]], str]]


def _group_admin(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, admin.user.email)
    return group


def gallery_photo(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = _group_admin(client, session)
    return (
        "/manage/photos",
        "/manage/photos",
        lambda: {"photo": (io.BytesIO(png_bytes()), "a.png"), "caption": "Coiling"},
        f"photos/{group.id}",
    )


def certification_evidence(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = _group_admin(client, session)
    return (
        "/manage/certifications",
        "/manage/certifications",
        lambda: {"scheme": "wfto", "reference": "W-1", "evidence": (io.BytesIO(b"%PDF-1.4 WFTO membership"), "wfto.pdf")},
        f"evidence/{group.id}",
    )


def progress_photo(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    order = factories.accepted_order(session, group, factories.buyer(session))
    maker = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, maker.user.email)
    return (
        f"/orders/{order.id}",
        f"/orders/{order.id}/progress",
        lambda: {"percent": "40", "note": "Half woven", "photo": (io.BytesIO(png_bytes()), "p.png")},
        f"orders/{order.id}",
    )


def rfq_attachment(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    factories.capability(session, group, category="baskets.storage", weekly_capacity=300, lead_time_days=21, moq=50)
    buyer = factories.buyer(session)
    session.commit()
    sign_in(client, buyer.user.email)
    page = f"/rfqs/new?group={group.slug}"
    return (
        page,
        page,
        lambda: {**RFQ, "group": [group.slug], "send": "1", "attachments": (io.BytesIO(b"%PDF-1.4 spec sheet"), "spec.pdf")},
        f"rfqs/{buyer.organization_id}",
    )


def _files(app: Flask, folder: str) -> set[str]:
    root = Path(app.config["UPLOAD_DIR"]) / folder
    return {p.name for p in root.iterdir()} if root.exists() else set()


@pytest.mark.parametrize(
    "case", [gallery_photo, certification_evidence, progress_photo, rfq_attachment], ids=lambda c: c.__name__
)
def test_a_repeated_post_with_a_file_leaves_exactly_one_file(
    app: Flask, client: FlaskClient, session: Session, case: Case
) -> None:
    page, action, fields, folder = case(client, session)
    before = _files(app, folder)
    tokens = hidden_fields(client, page)  # one page, posted twice (a double tap, a resend after a lost answer)
    first = client.post(action, data={**tokens, **fields()}, content_type="multipart/form-data")
    second = client.post(action, data={**tokens, **fields()}, content_type="multipart/form-data")
    assert first.status_code == 302, text_of(first)
    assert second.status_code == 302 and second.location == first.location  # the repeat is shown the first result

    new = _files(app, folder) - before
    assert len(new) == 1 and not any(name.endswith(".staged") for name in new), new


def test_a_refused_post_with_a_photo_leaves_no_file(app: Flask, client: FlaskClient, session: Session) -> None:
    page, action, fields, folder = progress_photo(client, session)
    assert (
        client.post(action, data={**hidden_fields(client, page), **fields()}, content_type="multipart/form-data").status_code
        == 302
    )
    before = _files(app, folder)
    lower = {
        **fields(),
        "percent": "10",
    }  # below the last report without a reason: refused inside the use case, after the photo was read
    refused = client.post(action, data={**hidden_fields(client, page), **lower}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "Say why it is lower now" in text_of(refused)
    assert _files(app, folder) == before
