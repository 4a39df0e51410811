"""Delivery terms (Incoterms® 2020) end to end: asked in the RFQ, kept or changed in the quote, compared, accepted, ordered."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.orders.models import Order
from marketplace.outbox.models import OutboxMessage
from marketplace.sourcing.incoterms import INCOTERMS
from marketplace.sourcing.models import Quote, Rfq
from tests.integration.test_sourcing_flow import RFQ, as_, market, quote  # noqa: F401 - the market fixture
from tests.web import submit, text_of

ASKED = "DAP Rotterdam — delivered to the door; the buyer pays import duties"
OFFERED = "FOB Mombasa — loaded on board the buyer's ship at the port"
OFFERED_HTML = str(escape(OFFERED))  # as a page writes it (buyer&#39;s)
DIFFERS = '<span class="badge differs">differs from what you asked</span>'


def _send(client: FlaskClient, market: dict) -> None:
    as_(client, market["buyer"])
    slugs = [market[k]["group"].slug for k in ("machakos", "kitui")]
    page = "/rfqs/new?" + "&".join(f"group={s}" for s in slugs)
    sent = submit(client, page, {**RFQ, "incoterm": "DAP", "incoterm_place": " Rotterdam ", "group": slugs, "send": "1"})
    assert sent.status_code == 302, text_of(sent)


def _row(page: str, group_name: str) -> str:
    table = page.split('<table class="list compare">')[1].split("</table>")[0]
    rows = [r for r in table.split("<tr>") if f">{group_name}</span></a>" in r]
    assert len(rows) == 1, group_name
    return rows[0]


def test_all_eleven_incoterms_2020_rules_are_offered() -> None:
    assert list(INCOTERMS) == ["EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP"]


def test_a_group_quotes_other_terms_and_the_buyer_sees_them_everywhere(
    client: FlaskClient,
    session: Session,
    market: dict,  # noqa: F811
) -> None:
    _send(client, market)
    rfq = session.scalar(select(Rfq))
    assert (rfq.incoterm, rfq.incoterm_place) == ("DAP", "Rotterdam")
    assert f"Delivery terms (Incoterms® 2020): <strong>{ASKED}</strong>" in text_of(client.get(f"/rfqs/{rfq.id}"))

    # Machakos keeps the buyer's terms: its form comes with them chosen.
    as_(client, market["machakos"]["admin"])
    form = text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    assert f"The buyer asks for these delivery terms (Incoterms® 2020): <strong>{ASKED}</strong>" in form
    assert re.search(r'<option selected value="DAP">DAP — delivered to the door', form) or re.search(
        r'<option value="DAP" selected>', form
    ), re.findall(r"<option[^>]*DAP[^>]*>", form)
    assert re.search(r'<input[^>]*name="incoterm_place"[^>]*value="Rotterdam"', form)
    assert quote(client, rfq.id, "9.10", incoterm="DAP", incoterm_place="Rotterdam").status_code == 302

    # Kitui offers FOB: without a place it is told to name one, and nothing typed is lost.
    as_(client, market["kitui"]["admin"])
    refused = quote(client, rfq.id, "7.90", incoterm="FOB", incoterm_place="")
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Name the place your FOB price holds to: the town, port or warehouse." in page
    assert re.search(r'<input[^>]*name="unit_price"[^>]*value="7.90"', page)
    assert quote(client, rfq.id, "7.90", incoterm="FOB", incoterm_place="Mombasa").status_code == 302
    assert f"Delivery terms: {OFFERED_HTML}" in text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    kitui = session.scalar(select(Quote).where(Quote.group_id == market["kitui"]["group"].id))
    assert (kitui.incoterm, kitui.incoterm_place) == ("FOB", "Mombasa")

    # The buyer's e-mail for Kitui's quote names the other terms; Machakos's does not.
    bodies = {
        m.payload["subject"]: m.payload["body"]
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))
        if m.payload["to"] == market["buyer"].user.email
    }
    kitui_mail = next(b for s, b in bodies.items() if "Kitui" in s)
    machakos_mail = next(b for s, b in bodies.items() if "Machakos" in s)
    assert f"Delivery terms: Kitui Basket Collective quotes {OFFERED}, not the {ASKED} you asked for." in kitui_mail
    assert "Delivery terms" not in machakos_mail

    # The compare table: a column of terms, the differing one marked.
    as_(client, market["buyer"])
    page = text_of(client.get(f"/rfqs/{rfq.id}"))
    assert "<th>Delivery terms</th>" in page
    kitui_row, machakos_row = _row(page, "Kitui Basket Collective"), _row(page, "Machakos Sisal Weavers")
    assert OFFERED_HTML in kitui_row and DIFFERS in kitui_row
    assert ASKED in machakos_row and DIFFERS not in machakos_row

    # The accept page, then the order and its invoice, carry the quoted terms.
    accept = text_of(client.get(f"/quotes/{kitui.id}/accept"))
    assert f"<dd>{OFFERED_HTML} {DIFFERS}" in accept and f"You asked for {ASKED}." in accept
    assert submit(client, f"/quotes/{kitui.id}/accept", {}, action=f"/quotes/{kitui.id}/accept").status_code == 302
    order = session.scalar(select(Order))
    assert (order.incoterm, order.incoterm_place) == ("FOB", "Mombasa")
    assert f"· {OFFERED_HTML} ·" in text_of(client.get(f"/orders/{order.id}"))


def test_terms_the_request_never_offered_are_refused(
    client: FlaskClient,
    session: Session,
    market: dict,  # noqa: F811
) -> None:
    as_(client, market["buyer"])
    slug = market["kitui"]["group"].slug
    refused = submit(client, f"/rfqs/new?group={slug}", {**RFQ, "incoterm": "XYZ", "group": [slug], "send": "1"})
    assert refused.status_code == 422 and session.scalar(select(Rfq)) is None
    assert submit(client, f"/rfqs/new?group={slug}", {**RFQ, "group": [slug], "send": "1"}).status_code == 302
    rfq = session.scalar(select(Rfq))
    as_(client, market["kitui"]["admin"])
    refused = quote(client, rfq.id, "7.90", incoterm="XYZ", incoterm_place="Mombasa")
    assert refused.status_code == 422 and "Choose the delivery terms from the list." in text_of(refused)
    assert quote(client, rfq.id, "7.90").status_code == 302  # a post without terms keeps the buyer's
    assert session.scalar(select(Quote)).incoterm == rfq.incoterm == "FCA"
