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
