"""Sessions end on the server when people sign out; cookies and reset links carry nothing of the password;
private pages are never cached; a wrong method is a 405 that says which ones are allowed."""

from __future__ import annotations

import base64
import json
import re
import zlib

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.outbox.models import OutboxMessage
from tests import factories
from tests.web import csrf_token, sign_in, submit

EMAIL = "amelia@northwind.example"


def _cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def _decoded(cookie: str) -> str:
    body = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()


def test_signing_out_ends_the_session_even_for_a_copied_cookie(app, client: FlaskClient, session: Session) -> None:  # type: ignore[no-untyped-def]
    factories.buyer(session, email=EMAIL)
    session.commit()
    sign_in(client, EMAIL)
    thief = app.test_client()
    thief.set_cookie("session", _cookie(client), domain="localhost")
    assert thief.get("/orders").status_code == 200
    submit(client, "/orders", {}, action="/logout")
    assert thief.get("/orders").status_code == 302  # to sign-in: the copied cookie no longer works


def test_the_session_cookie_and_the_reset_link_show_nothing_of_the_password_hash(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email=EMAIL)
    user = session.scalar(select(User).where(User.email == EMAIL))
    sign_in(client, EMAIL)
    assert user.password_hash[-16:] not in _decoded(_cookie(client))
    submit(client, "/password/forgot", {"email": EMAIL})
    body = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().payload["body"]
    token = re.search(r"/password/reset/(\S+)", body).group(1)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))
    assert not any(user.password_hash[i : i + 8] in json.dumps(claims) for i in range(0, len(user.password_hash) - 8))


def test_the_csrf_token_is_renewed_at_sign_in(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email=EMAIL)
    before = csrf_token(client, "/login")
    sign_in(client, EMAIL)
    after = csrf_token(client, "/rfqs/new")
    assert before.split(".")[0] != after.split(".")[0]


def test_private_pages_are_not_cached(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    buyer = factories.buyer(session, email=EMAIL)
    order = factories.accepted_order(session, group, buyer)
    session.commit()
    sign_in(client, EMAIL)
    for page in ("/orders", f"/orders/{order.id}", "/rfqs", "/team"):
        answer = client.get(page)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store", page


def test_a_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    page = client.post("/groups")
    assert page.status_code == 405 and set(page.headers["Allow"].split(", ")) >= {"GET"}
    api = client.delete("/api/v1/groups")
    assert api.status_code == 405 and "GET" in api.headers["Allow"] and api.mimetype == "application/problem+json"
