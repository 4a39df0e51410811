"""GET /api/v1/orders/{number}/epcis with a token the buyer's organization created, as the OpenAPI document says."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.trace.chain import verify_document
from tests import factories
from tests.epcis_schema import epcis_errors
from tests.integration.test_api import conforms
from tests.web import sign_in, submit

PATH = "/orders/{number}/epcis"


def _token(client: FlaskClient, membership) -> str:  # type: ignore[no-untyped-def]
    submit(client, "/login", {}, action="/logout")
    sign_in(client, membership.user.email)
    page = submit(client, "/api-tokens", {"name": "Our ERP"}).get_data(as_text=True)
    match = re.search(r"loom_[\w-]+", page)
    assert match, "the new token is shown once"
    assert match.group(0) not in submit(client, "/login", {}, action="/logout").get_data(as_text=True)
    return match.group(0)


def test_the_buyers_program_downloads_the_trace_with_its_token(client: FlaskClient, session: Session) -> None:
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, city="Machakos", latitude=-1.5, longitude=37.2)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    stranger = factories.buyer(session, name="Casa Verde", role=Role.OWNER)
    order = factories.accepted_order(session, group, buyer)
    from marketplace.orders.services import post_progress

    post_progress(session, admin, order.id, percent=30, note="Achieng (0712 345 678) has the handles", photo_path=None)
    session.commit()
    url = f"/api/v1/orders/{order.number}/epcis"

    token = _token(client, buyer)
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    conforms(response, PATH)
    assert epcis_errors(response.get_json()) == [] and verify_document(response.get_json()) == []
    assert [n["note"] for n in response.get_json()["loom:notes"]] == [
        "Achieng (0712 345 678) has the handles"
    ]  # a party reads its notes
    assert client.get(url, headers={"Authorization": f"Bearer {_token(client, admin)}"}).status_code == 200  # the group's, too

    for headers in ({}, {"Authorization": "Bearer loom_not-a-token"}, {"Authorization": f"Basic {token}"}):
        refused = client.get(url, headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        conforms(refused, PATH)
    others = client.get(url, headers={"Authorization": f"Bearer {_token(client, stranger)}"})
    assert others.status_code == 404
    conforms(others, PATH)
    missing = client.get("/api/v1/orders/LM-0000-99999/epcis", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404

    # Revoked: refused from then on.
    submit(client, "/login", {}, action="/logout")
    sign_in(client, buyer.user.email)
    page = client.get("/api-tokens").get_data(as_text=True)
    revoke = re.search(r'action="(/api-tokens/\d+/revoke)"', page).group(1)
    submit(client, "/api-tokens", {}, action=revoke)
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_plain_members_cannot_create_tokens(client: FlaskClient, session: Session) -> None:
    member = factories.buyer(session, role=Role.MEMBER)
    session.commit()
    sign_in(client, member.user.email)
    page = submit(client, "/api-tokens", {"name": "Mine"}).get_data(as_text=True)
    assert re.search(r"loom_[\w-]{20,}", page) is None
