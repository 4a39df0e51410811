"""The buyer's order page shows every amount with its currency and the delivery terms the RFQ chose and the group quoted."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.orders.models import Order
from marketplace.sourcing.models import Quote, Rfq
from tests.integration.test_sourcing_flow import RFQ, as_, market, quote  # noqa: F401 - the market fixture
from tests.web import submit, text_of


def test_the_order_page_prices_each_line_in_its_currency_and_keeps_the_quoted_delivery_terms(
    client: FlaskClient,
    session: Session,
    market: dict,  # noqa: F811
) -> None:
    as_(client, market["buyer"])
    slug = market["kitui"]["group"].slug
    sent = submit(client, f"/rfqs/new?group={slug}", {**RFQ, "incoterm": "DAP", "group": [slug], "send": "1"},
                  action=f"/rfqs/new?group={slug}")  # fmt: skip
    assert sent.status_code == 302, text_of(sent)
    rfq = session.scalar(select(Rfq))
    assert rfq.incoterm == "DAP"
    as_(client, market["kitui"]["admin"])
    assert quote(client, rfq.id, "8.75").status_code == 302
    as_(client, market["buyer"])
    kitui_quote = session.scalar(select(Quote))
    assert submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{kitui_quote.id}/accept").status_code == 302
    order = session.scalar(select(Order))
    assert order.incoterm == "DAP"

    page = text_of(client.get(f"/orders/{order.id}"))
    items = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ">1,200<" in items and "$8.75" in items and "$10,500.00" in items  # 1,200 × 8.75, with its currency
    assert not re.search(r">\s*[\d,]+\.\d\d\s*<", items)  # no bare amount left in the item table
    assert "· DAP — delivered to the door; the buyer pays import duties ·" in page and "FCA" not in page
