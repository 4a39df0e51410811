"""Business dates are the calendar of the party that set them: a quote's valid-until is the quoting group's date.

At 02:00 UTC on 1 January it is 05:00 on 1 January in Nairobi (UTC+3) and still 20:00 on 31 December
in Guatemala (UTC−6): a quote valid until 31 December has lapsed for a Kenyan group, and stands for
a Guatemalan one, whoever accepts it and wherever they are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import marketplace.clock
from marketplace.accounts.models import Role
from marketplace.orders.models import Order
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from tests import factories
from tests.web import hidden_fields, sign_in, text_of

MOMENT = dt.datetime(2027, 1, 1, 2, 0, tzinfo=dt.UTC)
NEW_YEARS_EVE = dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    ("group_country", "buyer_country", "stands"),
    [("KE", "GT", False), ("GT", "KE", True), ("IN", "GT", False)],  # Kolkata (UTC+5:30): 07:30 on 1 January
    ids=["group-in-Nairobi-buyer-in-Guatemala", "group-in-Guatemala-buyer-in-Nairobi", "group-in-Kolkata-buyer-in-Guatemala"],
)
def test_a_quote_stands_until_the_end_of_its_valid_until_day_in_the_groups_calendar(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch, group_country: str, buyer_country: str, stands: bool
) -> None:
    monkeypatch.setattr(marketplace.clock, "utcnow", lambda: MOMENT)
    group = factories.producer_group(session, country=group_country)
    factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
    buyer = factories.buyer(session, role=Role.OWNER)
    buyer.organization.country = buyer_country
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Storage baskets",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=NEW_YEARS_EVE + dt.timedelta(weeks=12),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal("9.00"),
        currency="USD",
        quantity=100,
        lead_time_days=20,
        valid_until=NEW_YEARS_EVE,
        status=QuoteStatus.SUBMITTED,
    )
    session.add_all([rfq, quote])
    session.commit()
    sign_in(client, buyer.user.email)

    shown = text_of(client.get(f"/rfqs/{rfq.id}"))
    accepted = client.post(f"/quotes/{quote.id}/accept", data=hidden_fields(client, f"/quotes/{quote.id}/accept"))

    session.expire_all()
    orders = session.scalars(select(Order).where(Order.quote_id == quote.id)).all()
    if stands:
        assert len(orders) == 1 and accepted.location == f"/orders/{orders[0].id}"
        assert orders[0].number.startswith("LM-2026-")  # the group's year: still 2026 in Guatemala
    else:
        assert orders == [] and "expired" in text_of(client.get(accepted.location))
        assert "expired" in shown.lower()  # the buyer's comparison says so too, though it is still 31 December for them
