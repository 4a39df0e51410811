"""The whole sourcing flow through HTTP, and every refusal along the way."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from babel import dates as babel_dates
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.billing.models import Invoice, InvoiceKind
from marketplace.orders.models import Order, OrderStatus
from marketplace.producers.models import CapacityCommitment, CapacityWindow
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqStatus
from marketplace.trace.services import chain_of, verify_chain
from tests import factories
from tests.web import sign_in, submit, text_of

TODAY = dt.date.today()
NEEDED_BY = TODAY + dt.timedelta(weeks=12)


@pytest.fixture
def market(session: Session) -> dict:
    """A buyer (owner and plain member) and two basket groups (each with an admin and a member)."""
    buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
    buyer_member = factories.buyer(session, name="unused", role=Role.MEMBER)
    buyer_member.organization_id = buyer.organization_id
    groups = {}
    for key, name in (("machakos", "Machakos Sisal Weavers"), ("kitui", "Kitui Basket Collective")):
        group = factories.producer_group(session, name=name)
        factories.capability(session, group, category="baskets.storage", weekly_capacity=300, lead_time_days=21, moq=50)
        groups[key] = {
            "group": group,
            "admin": factories.member_of(session, group, role=Role.ADMIN),
            "member": factories.member_of(session, group, role=Role.MEMBER),
        }
    session.commit()
    return {"buyer": buyer, "buyer_member": buyer_member, **groups}


def as_(client: FlaskClient, membership) -> FlaskClient:
    """Sign out whoever is signed in, then sign in as this person."""
    submit(client, "/login", {}, action="/logout")
    sign_in(client, membership.user.email)
    return client


RFQ = {
    "title": "1,200 sisal storage baskets",
    "spec": "Natural and indigo, three sizes nested.",
    "category": "baskets.storage",
    "quantity": "1200",
    "target_unit_price": "9.50",
    "currency": "USD",
    "needed_by": NEEDED_BY.isoformat(),
    "destination_country": "GB",
}


def send_rfq(client: FlaskClient, market: dict) -> Rfq:
    slugs = "&".join(f"group={market[k]['group'].slug}" for k in ("machakos", "kitui"))
    response = submit(
        client,
        f"/rfqs/new?{slugs}",
        {**RFQ, "group": [market[k]["group"].slug for k in ("machakos", "kitui")], "send": "1"},
        action=f"/rfqs/new?{slugs}",
    )
    assert response.status_code == 302, text_of(response)
    return response


def quote(client: FlaskClient, rfq_id: int, price: str, quantity: int = 1200, lead: int = 30, **extra: str):
    return submit(
        client,
        f"/manage/rfqs/{rfq_id}",
        {
            "unit_price": price,
            "quantity": str(quantity),
            "lead_time_days": str(lead),
            "valid_until": (TODAY + dt.timedelta(days=20)).isoformat(),
            "notes": "Nested sets.",
            "submit": "1",
            **extra,
        },
    )


def test_rfq_to_quotes_to_order_to_delivery(client: FlaskClient, session: Session, market: dict) -> None:
    # The buyer asks two groups at once.
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    assert rfq.status == RfqStatus.OPEN and len(rfq.recipients) == 2

    # Both groups see it in their inbox and quote; one revises.
    as_(client, market["machakos"]["admin"])
    assert rfq.title in text_of(client.get("/manage/rfqs"))
    page = text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    assert "your calendar has room for" in page.lower()
    assert quote(client, rfq.id, "10.40").status_code == 302
    assert quote(client, rfq.id, "9.90").status_code == 302
    as_(client, market["kitui"]["admin"])
    assert quote(client, rfq.id, "8.75", lead=45).status_code == 302

    # The buyer compares them side by side and accepts the cheaper.
    as_(client, market["buyer"])
    compare = text_of(client.get(f"/rfqs/{rfq.id}")).split("Quotes, side by side")[1]
    assert compare.index("Kitui Basket Collective") < compare.index("Machakos Sisal Weavers")  # cheapest first
    assert "(revision 2)" in compare
    kitui_quote = session.scalar(select(Quote).where(Quote.group_id == market["kitui"]["group"].id))
    response = submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{kitui_quote.id}/accept")
    assert response.status_code == 302
    order = session.scalar(select(Order))
    assert order.status == OrderStatus.CONFIRMED and order.total == Decimal("10500.00")
    session.expire_all()
    assert {q.group_id: q.status for q in session.scalars(select(Quote))} == {
        market["kitui"]["group"].id: QuoteStatus.ACCEPTED,
        market["machakos"]["group"].id: QuoteStatus.DECLINED,
    }
    deposit = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert (deposit.kind, deposit.amount, deposit.sequence) == (InvoiceKind.DEPOSIT, Decimal("5250.00"), 1)
    committed = sum(c.units for c in session.scalars(select(CapacityCommitment).where(CapacityCommitment.order_id == order.id)))
    assert committed == 1200

    # The group makes it, reporting progress; the buyer receives it; the balance is invoiced.
    as_(client, market["kitui"]["member"])
    assert (
        submit(
            client, f"/orders/{order.id}", {"percent": "40", "note": "Coiling under way"}, action=f"/orders/{order.id}/progress"
        ).status_code
        == 302
    )
    as_(client, market["kitui"]["admin"])
    for step in ("in_production", "ready", "shipped"):
        submit(client, f"/orders/{order.id}", {"note": "", "carrier": "Maersk"}, action=f"/orders/{order.id}/move/{step}")
    as_(client, market["buyer"])
    timeline = text_of(client.get(f"/orders/{order.id}"))
    assert "Coiling under way" in timeline and "Mark delivered" in timeline
    submit(client, f"/orders/{order.id}", {"note": ""}, action=f"/orders/{order.id}/move/delivered")
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status == OrderStatus.DELIVERED
    balance = session.scalar(select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.BALANCE))
    assert balance.amount == Decimal("5250.00") and balance.sequence == 2
    steps = [(e.why["step"], e.biz_step) for e in chain_of(session, order.id)]
    assert steps == [
        ("confirmed", ""),
        ("progress", "inspecting"),
        ("in_production", "creating_class_instance"),
        ("ready", "packing"),
        ("shipped", "shipping"),
        ("delivered", "receiving"),
    ]
    assert verify_chain(session, order.id) is None


def test_groups_see_only_their_own_rfqs_and_quotes(client: FlaskClient, session: Session, market: dict) -> None:
    rfq = quoted(client, session, market, "machakos", "10.40")
    outsider = factories.producer_group(session, name="Tamale Shea Women")
    outsider_admin = factories.member_of(session, outsider, role=Role.ADMIN)
    session.commit()

    as_(client, market["kitui"]["admin"])
    page = text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    assert "10.40" not in page  # another group's price is never shown
    as_(client, outsider_admin)
    assert client.get(f"/manage/rfqs/{rfq.id}").status_code == 404
    assert quote(client, rfq.id, "1.00").status_code == 404


def test_a_buyer_cannot_see_another_buyers_rfq_or_accept_its_quotes(client: FlaskClient, session: Session, market: dict) -> None:
    rfq = quoted(client, session, market, "machakos", "10.40")
    other_buyer = factories.buyer(session, name="Casa Verde")
    session.commit()
    machakos_quote = session.scalar(select(Quote))

    as_(client, other_buyer)
    assert client.get(f"/rfqs/{rfq.id}").status_code == 404
    assert submit(client, "/rfqs", {}, action=f"/quotes/{machakos_quote.id}/accept").status_code == 404
    session.expire_all()
    assert session.scalar(select(Order)) is None


def test_a_member_without_the_role_cannot_accept(client: FlaskClient, session: Session, market: dict) -> None:
    rfq = quoted(client, session, market, "machakos", "10.40")
    machakos_quote = session.scalar(select(Quote))

    as_(client, market["buyer_member"])
    assert "Only an admin or owner of your organization can accept" in text_of(client.get(f"/rfqs/{rfq.id}"))
    assert submit(client, "/rfqs", {}, action=f"/quotes/{machakos_quote.id}/accept").status_code == 403
    as_(client, market["machakos"]["member"])
    assert quote(client, rfq.id, "1.00").status_code == 403  # quoting is for the group's admins too


@pytest.mark.parametrize("ending", ["withdrawn", "expired"])
def test_a_withdrawn_or_expired_quote_cannot_be_accepted(
    client: FlaskClient, session: Session, market: dict, ending: str
) -> None:
    rfq = quoted(client, session, market, "machakos", "10.40")
    machakos_quote = session.scalar(select(Quote))
    if ending == "withdrawn":
        submit(client, f"/manage/rfqs/{rfq.id}", {}, action=f"/manage/rfqs/{rfq.id}/withdraw")
    else:
        machakos_quote.valid_until = TODAY - dt.timedelta(days=1)
        session.commit()

    as_(client, market["buyer"])
    response = submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{machakos_quote.id}/accept", follow_redirects=True)
    assert f"This quote is {ending}; only a standing quote can be accepted." in text_of(response)
    assert session.scalar(select(Order)) is None


def quoted(client: FlaskClient, session: Session, market: dict, group: str, price: str) -> Rfq:
    """The buyer asks both groups and one of them quotes; that group's admin stays signed in."""
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market[group]["admin"])
    quote(client, rfq.id, price)
    return rfq


def kitui_order(client: FlaskClient, session: Session, market: dict) -> Order:
    """The buyer asks both groups, Kitui quotes, the buyer accepts: the order, with the buyer signed in."""
    rfq = quoted(client, session, market, "kitui", "8.75")
    as_(client, market["buyer"])
    submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{session.scalar(select(Quote)).id}/accept")
    return session.scalar(select(Order))


def move_to(client: FlaskClient, order: Order, status: str, note: str = ""):  # type: ignore[no-untyped-def]
    return submit(
        client,
        f"/orders/{order.id}",
        {"note": note, "carrier": "Maersk"},
        action=f"/orders/{order.id}/move/{status}",
        follow_redirects=True,
    )


def test_an_invalid_transition_is_refused_with_a_clear_message(client: FlaskClient, session: Session, market: dict) -> None:
    order = kitui_order(client, session, market)

    assert "An order that is confirmed cannot become delivered." in text_of(move_to(client, order, "delivered"))
    as_(client, market["kitui"]["admin"])
    assert "An order that is confirmed cannot become closed." in text_of(move_to(client, order, "closed"))
    for step in ("in_production", "ready", "shipped"):
        move_to(client, order, step)
    assert "Only the buyer can mark this order delivered." in text_of(move_to(client, order, "delivered"))
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.SHIPPED


def test_cancelling_gives_the_capacity_back(client: FlaskClient, session: Session, market: dict) -> None:
    order = kitui_order(client, session, market)

    assert "Say why the order is cancelled" in text_of(move_to(client, order, "cancelled"))
    move_to(client, order, "cancelled", note="Our store opening moved to next year.")
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CANCELLED
    assert sum(w.units_committed for w in session.scalars(select(CapacityWindow))) == 0
    assert session.scalars(select(CapacityCommitment)).all() == []


def test_accepting_a_quote_beyond_capacity_ships_by_the_date_the_page_promised(
    client: FlaskClient, session: Session, market: dict
) -> None:
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["kitui"]["admin"])
    assert "Send the quote anyway" in text_of(quote(client, rfq.id, "8.75", quantity=20_000))  # warned first
    quote(client, rfq.id, "8.75", quantity=20_000, confirmed="1")
    page = text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    assert re.search(r"The earliest you could finish all of them is <strong>", page)
    as_(client, market["buyer"])
    offer = session.scalar(select(Quote))
    accept_page = text_of(client.get(f"/quotes/{offer.id}/accept"))
    promised = re.search(r"; all by ([^)]+)\)", accept_page)
    assert promised, "the accept page says when all units can ship"
    posted = dict(re.findall(r'<input type="hidden" name="(revision|unit_price|quantity|ship_by)" value="([^"]*)">', accept_page))
    assert "ship_by" in posted  # the page posts the date it promised
    response = submit(client, f"/quotes/{offer.id}/accept", posted, follow_redirects=True)
    assert "The group can make" not in text_of(response)
    order = session.scalar(select(Order))
    assert order is not None and order.ship_by > rfq.needed_by
    assert promised.group(1).strip() == babel_dates.format_date(order.ship_by, format="medium", locale="en")
    committed = sum(w.units_committed for w in session.scalars(select(CapacityWindow)))
    assert committed == 20_000


def test_counts_are_shown_with_the_locale_grouping(client: FlaskClient, session: Session, market: dict) -> None:
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["kitui"]["admin"])
    quote(client, rfq.id, "8.75", quantity=20_000, confirmed="1")
    assert "20,000" in text_of(client.get(f"/manage/rfqs/{rfq.id}"))  # "Current: $8.75 × 20,000"
    as_(client, market["buyer"])
    assert "for 20,000" in text_of(client.get(f"/rfqs/{rfq.id}"))
    offer = session.scalar(select(Quote))
    refused = text_of(submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{offer.id}/accept", follow_redirects=True))
    assert re.search(r"The group can make [0-9],[0-9]{3} of the 20,000 units", refused)  # no date promised: refused


def test_the_pricing_helper_suggests_a_fair_price_and_the_artisans_share(
    client: FlaskClient, session: Session, market: dict
) -> None:
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    response = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "materials_cost": "1.50",
            "hours": "3",
            "hourly_wage": "1.20",
            "overhead_percent": "10",
            "margin_percent": "20",
            "quantity": "1200",
            "lead_time_days": "30",
            "suggest": "1",
        },
    )
    page = text_of(response)
    # (1.50 + 3 × 1.20) = 5.10; +10 % = 5.61; +20 % = 6.73; artisans' pay 3.60 of 6.73 = 53.5 %
    assert "Suggested unit price <strong>$6.73</strong>" in page and "<strong>53.5 %</strong>" in page
    assert re.search(r'<input[^>]*name="unit_price"[^>]*value="6.73"', page), re.findall(r"<input[^>]*unit_price[^>]*>", page)
    assert session.scalar(select(Quote)) is None  # a suggestion stores nothing


def test_the_suggested_price_is_filled_into_the_unit_price_a_browser_posted_empty(
    client: FlaskClient, session: Session, market: dict
) -> None:
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    # A browser posts every field, the empty unit price too.
    response = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "materials_cost": "1.50",
            "hours": "3",
            "hourly_wage": "1.20",
            "overhead_percent": "10",
            "margin_percent": "20",
            "unit_price": "",
            "quantity": "1200",
            "lead_time_days": "30",
            "valid_until": "",
            "notes": "",
            "exchange_rate": "",
            "suggest": "1",
        },
    )
    page = text_of(response)
    assert response.status_code == 200
    assert re.search(r'<input[^>]*name="unit_price"[^>]*value="6.73"', page), re.findall(r"<input[^>]*unit_price[^>]*>", page)
    assert "Enter a value" not in page and "This field is required" not in page  # the quote is not being sent yet


def test_the_pricing_helper_works_in_the_groups_currency_and_converts_at_the_stated_rate(
    client: FlaskClient, session: Session, market: dict
) -> None:
    group = market["machakos"]["group"]
    group.currency = "KES"
    session.commit()
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    page = text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    for label in (
        "Materials per unit (KES)",
        "Artisan hours per unit (hours)",
        "Fair hourly wage (KES per hour)",
        "Overhead (% of materials and pay)",
        "Group margin (% on top)",
        "KES for 1 USD",
        "Unit price (USD)",
    ):
        assert label in page, label

    typed = {
        "materials_cost": "250",
        "hours": "3",
        "hourly_wage": "150",
        "overhead_percent": "10",
        "margin_percent": "20",
        "unit_price": "",
        "quantity": "1200",
        "lead_time_days": "30",
        "suggest": "1",
    }
    response = submit(client, f"/manage/rfqs/{rfq.id}", typed)
    assert response.status_code == 422 and "how many KES make 1 USD" in text_of(response)  # no silent 1:1

    response = submit(client, f"/manage/rfqs/{rfq.id}", {**typed, "exchange_rate": "129.50"})
    page = text_of(response)
    # (250 + 3 × 150) = 700; +10 % = 770; +20 % = 924 KES; 924 / 129.50 = 7.135… → 7.14 USD; pay 450 of 924 = 48.7 %
    assert "Suggested unit price <strong>KES924.00</strong>" in page, re.findall(r"Suggested unit price <strong>[^<]*", page)
    assert "<strong>$7.14</strong>" in page and "<strong>48.7 %</strong>" in page
    assert re.search(r'<input[^>]*name="unit_price"[^>]*value="7.14"', page)
    assert "below your group's floor" not in page


def test_the_pricing_helper_warns_when_the_artisans_share_is_below_the_groups_floor(
    client: FlaskClient, session: Session, market: dict
) -> None:
    group = market["machakos"]["group"]
    group.artisan_share_floor = 40
    session.commit()
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    # Materials typed in shillings into a dollar form: (250 + 3.60) +10 % +20 % = 334.75; pay 3.60 is 1.1 % of it.
    response = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "materials_cost": "250",
            "hours": "3",
            "hourly_wage": "1.20",
            "overhead_percent": "10",
            "margin_percent": "20",
            "unit_price": "",
            "quantity": "1200",
            "lead_time_days": "30",
            "suggest": "1",
        },
    )
    page = text_of(response)
    assert "<strong>1.1 %</strong>" in page and "below your group's floor of 40 %" in page


def test_messages_reach_the_other_side_by_e_mail(client: FlaskClient, session: Session, market: dict) -> None:
    from marketplace.outbox.models import OutboxMessage

    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    group = market["machakos"]["group"]
    submit(client, f"/rfqs/{rfq.id}", {"body": "Can you do a darker indigo?"}, action=f"/rfqs/{rfq.id}/messages/{group.id}")
    as_(client, market["machakos"]["admin"])
    assert "Can you do a darker indigo?" in text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    assert any(m["to"] == market["machakos"]["admin"].user.email and "darker indigo" in m["body"] for m in mails)


def test_attachments_reach_the_groups_asked_and_nobody_else(client: FlaskClient, session: Session, market: dict) -> None:
    import io

    as_(client, market["buyer"])
    slug = market["machakos"]["group"].slug
    refused = submit(
        client,
        f"/rfqs/new?group={slug}",
        {**RFQ, "group": slug, "send": "1", "attachments": [(io.BytesIO(b"MZ\x90\x00binary"), "spec.exe")]},
        action=f"/rfqs/new?group={slug}",
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "not a photo we can read" in text_of(refused)
    sent = submit(
        client,
        f"/rfqs/new?group={slug}",
        {**RFQ, "group": slug, "send": "1", "attachments": [(io.BytesIO(b"%PDF-1.7 sizes"), "sizes.pdf")]},
        action=f"/rfqs/new?group={slug}",
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    rfq = session.scalar(select(Rfq))
    attachment = rfq.attachments[0]
    assert attachment.filename == "sizes.pdf"
    with client.get(f"/rfqs/{rfq.id}/attachments/{attachment.id}") as own:
        assert own.status_code == 200 and own.data.startswith(b"%PDF")

    as_(client, market["machakos"]["admin"])
    assert "sizes.pdf" in text_of(client.get(f"/manage/rfqs/{rfq.id}"))
    with client.get(f"/manage/rfqs/{rfq.id}/attachments/{attachment.id}") as asked:
        assert asked.status_code == 200
    as_(client, market["kitui"]["admin"])  # not asked this time
    assert client.get(f"/manage/rfqs/{rfq.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/media/{attachment.path}").status_code == 404


def test_members_send_requests_but_only_admins_cancel_or_close_a_sent_one(
    client: FlaskClient, session: Session, market: dict
) -> None:
    """Who may do what with an RFQ: any member of the buyer drafts, sends and drops a draft; cancelling or closing a sent
    request (which declines every group's quote) needs an admin or owner, like accepting."""
    as_(client, market["buyer_member"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    assert rfq.status == RfqStatus.OPEN and rfq.buyer_id == market["buyer"].organization_id
    page = text_of(client.get(f"/rfqs/{rfq.id}"))
    assert (
        "Close without ordering" not in page
        and "An admin of <bdi>Northwind Home</bdi> accepts, closes or cancels this request." in page
    )
    for action in ("cancel", "close"):
        assert submit(client, f"/rfqs/{rfq.id}", {}, action=f"/rfqs/{rfq.id}/{action}").status_code == 403
    session.refresh(rfq)
    assert rfq.status == RfqStatus.OPEN
    as_(client, market["buyer"])
    assert submit(client, f"/rfqs/{rfq.id}", {}, action=f"/rfqs/{rfq.id}/close").status_code == 302
    session.refresh(rfq)
    assert rfq.status == RfqStatus.CLOSED


def test_the_comparison_names_certifications_and_what_each_calendar_can_make_by_the_date(
    client: FlaskClient, session: Session, market: dict
) -> None:
    from marketplace.producers.models import Certification

    kitui, machakos = market["kitui"]["group"], market["machakos"]["group"]
    session.add_all(
        [
            Certification(group=kitui, scheme="wfto", reference="W-1", verified=True),
            Certification(group=machakos, scheme="fairtrade", reference="F-2"),
            Certification(group=machakos, scheme="gots", reference="G-3", valid_until=TODAY - dt.timedelta(days=1)),
            Certification(group=machakos, scheme="fsc", reference="X", rejected_at=dt.datetime.now(dt.UTC)),
        ]
    )
    session.commit()
    rfq = quoted(client, session, market, "kitui", "8.75")
    quote(client, rfq.id, "8.75")
    as_(client, market["machakos"]["admin"])
    assert quote(client, rfq.id, "9.50", quantity=20_000, confirmed="1").status_code == 302  # far beyond 12 weeks at 300 a week
    as_(client, market["buyer"])

    compare = text_of(client.get(f"/rfqs/{rfq.id}")).split("Quotes, side by side")[1]
    quote_rows = re.findall(r'<tr>\s*<td data-label="Group">.*?</tr>', compare, re.S)
    rows = dict(zip(("kitui", "machakos"), quote_rows, strict=True))  # cheapest first: Kitui, then Machakos
    assert "WFTO Guaranteed Fair Trade ✓ verified" in rows["kitui"] and "wfto" not in rows["kitui"]
    assert "Fairtrade International (claimed, not yet checked)" in rows["machakos"]
    assert (
        "GOTS (Global Organic Textile Standard) (expired" in rows["machakos"] and "FSC" not in rows["machakos"]
    )  # rejected: not listed
    assert re.search(r'class="fit">[0-9,]+ units free by [A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4}: enough for 1,200<', rows["kitui"])
    assert re.search(r'class="error">only [0-9,]+ of 20,000 units free by', rows["machakos"])

    kitui_quote = session.scalar(select(Quote).where(Quote.group_id == kitui.id))
    assert submit(client, f"/rfqs/{rfq.id}", {}, action=f"/quotes/{kitui_quote.id}/accept").status_code == 302
    compare = text_of(client.get(f"/rfqs/{rfq.id}")).split("Quotes, side by side")[1]
    winner = re.findall(r'<tr>\s*<td data-label="Group">.*?</tr>', compare, re.S)[0]
    assert (
        'class="fit">1,200 units reserved for your order' in winner and 'class="error"' not in winner
    )  # its own order is not held against it
    assert "2 quotes, one accepted" in text_of(client.get("/rfqs"))
