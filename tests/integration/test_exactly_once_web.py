"""Pages carry what the person saw and a one-time token: a stale click is refused, a repeated post creates nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Invitation
from marketplace.orders.models import Order, OrderStatus, ProgressUpdate
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from marketplace.sourcing.models import Message, Quote, Rfq
from tests.integration.test_sourcing_flow import RFQ, as_, market, quote  # noqa: F401 - market is a fixture
from tests.web import hidden_fields, submit, text_of

TODAY = dt.date.today()


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _mails(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == topics.SEND_MAIL))


def _accept_fields(page: str, quote_id: int) -> dict[str, str]:
    """The hidden fields of the accept button of one quote, as the buyer's page shows them."""
    form = re.search(rf'action="/quotes/{quote_id}/accept".*?</form>', page, re.S)
    assert form, "no accept button for that quote"
    inputs = re.findall(r"<input [^>]*>", form.group(0))
    return {
        re.search(r'name="(\w+)"', i).group(1): re.search(r'value="([^"]*)"', i).group(1) for i in inputs if 'type="hidden"' in i
    }


def _rfq_with_quote(client: FlaskClient, session: Session, market: dict, price: str, quantity: int) -> tuple[Rfq, Quote]:  # noqa: F811
    slugs = "&".join(f"group={market[k]['group'].slug}" for k in ("machakos", "kitui"))
    as_(client, market["buyer"])
    submit(client, f"/rfqs/new?{slugs}", {**RFQ, "send": "1"})
    rfq = session.scalar(select(Rfq))
    as_(client, market["kitui"]["admin"])
    quote(client, rfq.id, price, quantity=quantity)
    return rfq, session.scalar(select(Quote))


def test_accepting_a_quote_revised_since_the_page_was_opened_is_refused(
    client: FlaskClient, session: Session, market: dict
) -> None:  # noqa: F811
    rfq, standing = _rfq_with_quote(client, session, market, "5.00", 100)
    as_(client, market["buyer"])
    page = text_of(client.get(f"/quotes/{standing.id}/accept"))  # the confirmation page the compare table links to
    seen = _accept_fields(page, standing.id)
    assert seen["revision"] == "1" and Decimal(seen["unit_price"]) == Decimal("5.00") and seen["quantity"] == "100"

    as_(client, market["kitui"]["admin"])
    quote(client, rfq.id, "50.00", quantity=100)  # the group revises while the buyer's page is open
    as_(client, market["buyer"])
    # Signing in again renews the CSRF token; the accept fields are still those of the page opened before.
    seen["csrf_token"] = hidden_fields(client, f"/rfqs/{rfq.id}")["csrf_token"]
    response = client.post(f"/quotes/{standing.id}/accept", data=seen, follow_redirects=True)

    assert "This quote changed from 5.00 to 50.00 per unit since you opened the page — review it and accept again" in text_of(
        response
    )
    assert _count(session, Order) == 0
    fresh = _accept_fields(text_of(client.get(f"/quotes/{standing.id}/accept")), standing.id)
    assert client.post(f"/quotes/{standing.id}/accept", data=fresh).status_code == 302
    session.expire_all()
    assert session.scalar(select(Order)).total == Decimal("5000.00")


def test_a_move_from_a_state_the_order_has_left_is_refused(client: FlaskClient, session: Session, market: dict) -> None:  # noqa: F811
    rfq, standing = _rfq_with_quote(client, session, market, "8.75", 100)
    as_(client, market["buyer"])
    submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{standing.id}/accept")
    order = session.scalar(select(Order))
    buyer_page = text_of(client.get(f"/orders/{order.id}"))  # confirmed, with a Cancel button that carries it
    assert 'name="expected" type="hidden" value="confirmed"' in buyer_page

    as_(client, market["kitui"]["admin"])
    submit(client, f"/orders/{order.id}", {}, action=f"/orders/{order.id}/move/in_production")
    as_(client, market["buyer"])
    response = client.post(
        f"/orders/{order.id}/move/cancelled",
        data={
            "csrf_token": hidden_fields(client, "/orders")["csrf_token"],
            "expected": "confirmed",
            "note": "Store opening moved.",
        },
        follow_redirects=True,
    )

    assert "This order changed from confirmed to in production since you opened the page — review it and try again." in text_of(
        response
    )
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.IN_PRODUCTION


def test_send_rfq_posted_twice_makes_one_rfq_and_tells_each_group_once(
    client: FlaskClient, session: Session, market: dict
) -> None:  # noqa: F811
    slugs = "&".join(f"group={market[k]['group'].slug}" for k in ("machakos", "kitui"))
    as_(client, market["buyer"])
    page = f"/rfqs/new?{slugs}"
    fields = hidden_fields(client, page)
    assert fields.get("submission")
    mails_before = _mails(session)

    first = client.post(page, data={**fields, **RFQ, "send": "1"})
    second = client.post(page, data={**fields, **RFQ, "send": "1"})

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(session, Rfq) == 1
    assert _mails(session) - mails_before == 2  # one per group's admin, not two
    assert "That was already sent; here is what it made." in text_of(client.get(second.headers["Location"]))
    # A new page has a new token: a second request on purpose is still possible.
    assert submit(client, page, {**RFQ, "send": "1"}).status_code == 302
    assert _count(session, Rfq) == 2


def test_messages_quotes_progress_and_invitations_posted_twice_are_made_once(
    client: FlaskClient, session: Session, market: dict
) -> None:  # noqa: F811
    rfq, _ = _rfq_with_quote(client, session, market, "8.75", 100)
    kitui = market["kitui"]["admin"]

    page = f"/manage/rfqs/{rfq.id}"
    fields = hidden_fields(client, page)
    values = {
        "unit_price": "9.10",
        "quantity": "100",
        "lead_time_days": "30",
        "valid_until": (TODAY + dt.timedelta(days=20)).isoformat(),
    }
    for _ in range(2):
        assert client.post(page, data={**fields, **values, "submit": "1"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Quote)).revision == 2  # the first revision counted once

    fields = hidden_fields(client, page)
    for _ in range(2):
        client.post(f"/manage/rfqs/{rfq.id}/messages", data={**fields, "body": "Can you confirm the sizes?"})
    assert _count(session, Message) == 1

    as_(client, market["buyer"])
    submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{session.scalar(select(Quote)).id}/accept")
    order = session.scalar(select(Order))
    as_(client, kitui)
    fields = hidden_fields(client, f"/orders/{order.id}")
    progress_token = re.search(
        r'name="submission" type="hidden" value="([^"]+)"', text_of(client.get(f"/orders/{order.id}"))
    ).group(1)
    for _ in range(2):
        client.post(
            f"/orders/{order.id}/progress",
            data={"csrf_token": fields["csrf_token"], "submission": progress_token, "percent": "40", "note": "Weaving."},
        )
    assert _count(session, ProgressUpdate) == 1

    fields = hidden_fields(client, "/team")
    for _ in range(2):
        response = client.post("/team", data={**fields, "email": "wanjiru@example.org", "role": "member"})
        assert response.status_code == 302
    assert _count(session, Invitation) == 1


def test_a_token_used_by_someone_else_is_refused(client: FlaskClient, session: Session, market: dict) -> None:  # noqa: F811
    rfq, _ = _rfq_with_quote(client, session, market, "8.75", 100)
    fields = hidden_fields(client, f"/manage/rfqs/{rfq.id}")
    client.post(f"/manage/rfqs/{rfq.id}/messages", data={**fields, "body": "Hello."})
    as_(client, market["buyer"])
    stolen = {**fields, "csrf_token": hidden_fields(client, f"/rfqs/{rfq.id}")["csrf_token"]}
    response = client.post(f"/rfqs/{rfq.id}/messages/{market['kitui']['group'].id}", data={**stolen, "body": "Hi."})
    assert response.status_code == 409
    assert _count(session, Message) == 1
