"""The coordinator's phone and the buyer's RFQ through HTTP: what a person typed survives an error,
and the pages say what will happen before it happens."""
from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.orders.models import ProgressUpdate
from tests import factories
from tests.web import sign_in, submit, text_of


@pytest.fixture
def order_parties(session: Session) -> dict:
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, name="Machakos Sisal Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer)
    session.commit()
    return {"buyer": buyer, "group": group, "admin": admin, "order": order}


def _value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def test_progress_is_posted_without_a_photo_and_an_error_keeps_what_was_typed(client: FlaskClient, session: Session, order_parties: dict) -> None:
    order = order_parties["order"]
    sign_in(client, order_parties["admin"].user.email)
    page = f"/orders/{order.id}"
    html = text_of(client.get(page))
    assert re.search(r'<input[^>]*name="photo"[^>]*>', html) and not re.search(r'<input[^>]*name="photo"[^>]*required', html)

    posted = submit(client, page, {"percent": "35", "note": "Coiling under way", "reason": "", "photo": (io.BytesIO(b""), "")},
                    action=f"{page}/progress", content_type="multipart/form-data")  # fmt: skip
    assert posted.status_code == 302, text_of(posted)

    # Down from 35 to 10 without a reason: refused beside the reason field, nothing typed lost.
    refused = submit(client, page, {"percent": "10", "note": "Restarted the big sizes", "reason": ""}, action=f"{page}/progress")
    html = text_of(refused)
    assert refused.status_code == 422
    assert "The last report said 35 %. Say why it is lower now." in html
    assert _value(html, "percent") == "10" and _value(html, "note") == "Restarted the big sizes"
    # A percentage out of range comes back with the note kept too.
    refused = submit(client, page, {"percent": "140", "note": "Nearly there"}, action=f"{page}/progress")
    assert refused.status_code == 422 and _value(text_of(refused), "note") == "Nearly there"
    assert "Number must be between 0 and 100." in text_of(refused)

    with_reason = submit(client, page, {"percent": "10", "note": "Restarted the big sizes", "reason": "A batch failed the quality check"},
                         action=f"{page}/progress")  # fmt: skip
    assert with_reason.status_code == 302
    updates = session.scalars(select(ProgressUpdate).where(ProgressUpdate.order_id == order.id).order_by(ProgressUpdate.id)).all()
    assert [(u.percent, u.reason, u.photo_path) for u in updates] == [(35, None, None), (10, "A batch failed the quality check", None)]
    assert "A batch failed the quality check" in text_of(client.get(page))


def _open_quote(session: Session, group, buyer, *, quantity: int = 1200, unit_price: str = "8.75", currency: str = "USD"):  # type: ignore[no-untyped-def]
    import datetime as dt
    from decimal import Decimal

    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus

    if not group.capabilities:
        factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
        session.refresh(group)
    today = dt.date.today()
    rfq = Rfq(buyer_id=buyer.organization_id, title="Sisal storage baskets", category="baskets.storage", quantity=quantity, currency=currency,
              needed_by=today + dt.timedelta(weeks=12), destination_country="GB", status=RfqStatus.OPEN, recipients=[RfqRecipient(group_id=group.id)])  # fmt: skip
    quote = Quote(rfq=rfq, group_id=group.id, unit_price=Decimal(unit_price), currency=currency, quantity=quantity, lead_time_days=20,
                  valid_until=today + dt.timedelta(days=10), status=QuoteStatus.SUBMITTED)  # fmt: skip
    session.add_all([rfq, quote])
    session.commit()
    return rfq, quote


def test_before_accepting_the_buyer_sees_the_deposit_and_what_happens_next(client: FlaskClient, session: Session) -> None:
    from marketplace.orders.models import Order

    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, name="Kitui Basket Collective")
    rfq, quote = _open_quote(session, group, buyer)
    sign_in(client, buyer.user.email)
    compare = text_of(client.get(f"/rfqs/{rfq.id}"))
    assert f'href="/quotes/{quote.id}/accept"' in compare and f'action="/quotes/{quote.id}/accept"' not in compare  # no one-click order

    page = client.get(f"/quotes/{quote.id}/accept")
    html = text_of(page)
    # 1,200 × 8.75 = 10,500.00; half now.
    assert "You pay a deposit of <strong>$5,250.00</strong> (50 %) now" in html and "the balance of $5,250.00" in html
    assert "What happens next" in html and "Confirm the order and the $5,250.00 deposit" in html
    assert session.scalar(select(Order)) is None  # looking orders nothing

    other = factories.buyer(session, name="Someone Else", role=Role.OWNER)
    session.commit()
    client.post("/logout", data={})
    sign_in(client, other.user.email)
    assert client.get(f"/quotes/{quote.id}/accept").status_code == 404
