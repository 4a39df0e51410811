"""Creating forms added lately carry a one-time token: the same page posted twice creates once.

(The token's claim under real concurrency is proved once for every form in test_submission_concurrency.py.)
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.api.models import ApiToken
from tests import factories
from tests.integration.test_email_confirmation import _mails_to, _unconfirm
from tests.web import hidden_fields, sign_in, text_of


def test_an_api_token_form_posted_twice_makes_one_token(client: FlaskClient, session: Session) -> None:
    admin = factories.buyer(session, role=Role.ADMIN)
    sign_in(client, admin.user.email)
    fields = {**hidden_fields(client, "/api-tokens"), "name": "Our ERP"}

    first = client.post("/api-tokens", data=fields)
    again = client.post("/api-tokens", data=fields)  # a double tap on "Create"

    assert first.status_code == 200 and re.search(r"loom_[\w-]+", text_of(first))
    assert again.status_code == 302 and again.headers["Location"].endswith("/api-tokens")
    assert (
        session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.organization_id == admin.organization_id)) == 1
    )


def test_the_api_token_page_after_a_token_offers_a_fresh_form(client: FlaskClient, session: Session) -> None:
    admin = factories.buyer(session, role=Role.ADMIN)
    sign_in(client, admin.user.email)
    fields = hidden_fields(client, "/api-tokens")

    page = text_of(client.post("/api-tokens", data={**fields, "name": "Our ERP"}))
    token = re.search(r'name="submission"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission"', page)
    assert token is not None and fields["submission"] not in token.groups()  # a second program's token is a new post
    client.post("/api-tokens", data={**fields, "submission": token.group(1) or token.group(2), "name": "Our PIM"})

    names = session.scalars(select(ApiToken.name).where(ApiToken.organization_id == admin.organization_id)).all()
    assert sorted(names) == ["Our ERP", "Our PIM"]


def test_a_double_tap_on_resend_the_confirmation_sends_one_e_mail(client: FlaskClient, session: Session) -> None:
    membership = factories.buyer(session, email="amelia@northwind.example")
    _unconfirm(session, membership)
    sign_in(client, "amelia@northwind.example")
    banner = text_of(client.get("/groups"))
    token = re.search(r'name="submission" value="([^"]+)"', banner)
    assert token, "the banner's button carries a one-time token"
    fields = {"csrf_token": hidden_fields(client, "/groups")["csrf_token"], "submission": token.group(1)}

    first = client.post("/email/confirm", data=fields)
    assert "We sent a new confirmation link" in text_of(client.get(first.headers["Location"]))
    again = client.post("/email/confirm", data=fields)

    assert first.status_code == again.status_code == 302
    assert len(_mails_to(session, "amelia@northwind.example")) == 1
    page = text_of(client.get(again.headers["Location"]))
    assert "That was already sent" in page and "We sent a new confirmation link" not in page
