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
from tests.web import hidden_fields, sign_in, submit, text_of


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


def test_progress_is_posted_without_a_photo_and_an_error_keeps_what_was_typed(
    client: FlaskClient, session: Session, order_parties: dict
) -> None:
    order = order_parties["order"]
    sign_in(client, order_parties["admin"].user.email)
    page = f"/orders/{order.id}"
    html = text_of(client.get(page))
    assert re.search(r'<input[^>]*name="photo"[^>]*>', html) and not re.search(r'<input[^>]*name="photo"[^>]*required', html)

    posted = submit(
        client,
        page,
        {"percent": "35", "note": "Coiling under way", "reason": "", "photo": (io.BytesIO(b""), "")},
        action=f"{page}/progress",
        content_type="multipart/form-data",
    )
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

    with_reason = submit(
        client,
        page,
        {"percent": "10", "note": "Restarted the big sizes", "reason": "A batch failed the quality check"},
        action=f"{page}/progress",
    )
    assert with_reason.status_code == 302
    updates = session.scalars(select(ProgressUpdate).where(ProgressUpdate.order_id == order.id).order_by(ProgressUpdate.id)).all()
    assert [(u.percent, u.reason, u.photo_path) for u in updates] == [
        (35, None, None),
        (10, "A batch failed the quality check", None),
    ]
    assert "A batch failed the quality check" in text_of(client.get(page))


# type: ignore[no-untyped-def]
def _open_quote(session: Session, group, buyer, *, quantity: int = 1200, unit_price: str = "8.75", currency: str = "USD"):
    import datetime as dt
    from decimal import Decimal

    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus

    if not group.capabilities:
        factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
        session.refresh(group)
    today = dt.date.today()
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Sisal storage baskets",
        category="baskets.storage",
        quantity=quantity,
        currency=currency,
        needed_by=today + dt.timedelta(weeks=12),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal(unit_price),
        currency=currency,
        quantity=quantity,
        lead_time_days=20,
        valid_until=today + dt.timedelta(days=10),
        status=QuoteStatus.SUBMITTED,
    )
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
    assert (
        f'href="/quotes/{quote.id}/accept"' in compare and f'action="/quotes/{quote.id}/accept"' not in compare
    )  # no one-click order

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


@pytest.fixture
def basket_groups(session: Session) -> dict:
    buyer = factories.buyer(session, role=Role.OWNER)
    buyer.organization.country = "GB"
    machakos = factories.producer_group(session, name="Machakos Sisal Weavers")
    factories.capability(session, machakos, category="baskets.storage", weekly_capacity=100, lead_time_days=14, moq=500)
    kitui = factories.producer_group(session, name="Kitui Basket Collective")
    factories.capability(session, kitui, category="baskets.storage", weekly_capacity=300, lead_time_days=14, moq=50)
    session.commit()
    return {"buyer": buyer, "machakos": machakos, "kitui": kitui}


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    option = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(0)) if select else None
    return (option.group(1) or option.group(2)) if option else None


def _rfq_fields(**changes: str) -> dict:
    import datetime as dt

    return {
        "title": "Storage baskets",
        "spec": "Three nested sizes, natural sisal.",
        "category": "baskets.storage",
        "quantity": "200",
        "currency": "USD",
        "needed_by": (dt.date.today() + dt.timedelta(weeks=12)).isoformat(),
        "destination_country": "GB",
        "incoterm": "FCA",
        **changes,
    }


def test_a_request_from_search_carries_the_category_units_and_date_and_never_defaults_one(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    sign_in(client, basket_groups["buyer"].user.email)
    html = text_of(client.get(f"/rfqs/new?category=baskets.storage&units=2000&by=2027-03-01&group={basket_groups['kitui'].slug}"))
    assert _selected(html, "category") == "baskets.storage"
    assert _value(html, "quantity") == "2000" and _value(html, "needed_by") == "2027-03-01"
    # A top category from search, and groups that make one kind of it: that kind.
    html = text_of(client.get(f"/rfqs/new?category=baskets&group={basket_groups['kitui'].slug}"))
    assert _selected(html, "category") == "baskets.storage"
    # Nothing said: the buyer must choose; nothing is picked for them.
    html = text_of(client.get("/rfqs/new"))
    assert _selected(html, "category") in (None, "") and "Choose a category…" in html

    response = submit(client, "/rfqs/new", _rfq_fields(category="", spec="", draft="1"))
    assert response.status_code == 422
    assert "Choose a category." in text_of(response) and "Describe what you need" in text_of(response)


def test_a_draft_takes_groups_later_and_is_sent(client: FlaskClient, session: Session, basket_groups: dict) -> None:
    from marketplace.sourcing.models import Rfq, RfqStatus

    sign_in(client, basket_groups["buyer"].user.email)
    assert submit(client, "/rfqs/new", _rfq_fields(draft="1")).status_code == 302
    rfq = session.scalar(select(Rfq))
    assert rfq.status == RfqStatus.DRAFT and rfq.recipients == []
    assert f"/rfqs/{rfq.id}/edit" in text_of(client.get(f"/rfqs/{rfq.id}"))
    # From a group's profile: "add to a draft" is a button (tests/integration/test_profile_drafts.py); the edit page takes one
    # too.
    profile = text_of(client.get(f"/groups/{basket_groups['kitui'].slug}"))
    assert f'name="target" value="{rfq.id}:{basket_groups["kitui"].slug}"' in profile
    edit = f"/rfqs/{rfq.id}/edit?group={basket_groups['kitui'].slug}"
    html = text_of(client.get(edit))
    assert f'name="group" value="{basket_groups["kitui"].slug}" checked' in html and _value(html, "quantity") == "200"
    assert "Machakos Sisal Weavers" in html  # offered: it makes storage baskets too
    response = submit(client, edit, _rfq_fields(title="Storage baskets, revised", group=[basket_groups["kitui"].slug], send="1"))
    assert response.status_code == 302, text_of(response)
    session.expire_all()
    rfq = session.get(Rfq, rfq.id)
    assert rfq.status == RfqStatus.OPEN and rfq.title == "Storage baskets, revised"
    assert [r.group_id for r in rfq.recipients] == [basket_groups["kitui"].id]
    assert client.get(f"/rfqs/{rfq.id}/edit").status_code == 302  # sent: no longer editable


def test_before_sending_the_buyer_is_warned_of_a_minimum_order_and_a_full_calendar(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    import datetime as dt

    from marketplace.sourcing.models import Rfq

    sign_in(client, basket_groups["buyer"].user.email)
    slugs = [basket_groups["machakos"].slug, basket_groups["kitui"].slug]
    page = "/rfqs/new?" + "&".join(f"group={s}" for s in slugs)
    soon = (dt.date.today() + dt.timedelta(weeks=3)).isoformat()  # Machakos makes 100 a week, Kitui 300
    response = submit(client, page, _rfq_fields(quantity="400", needed_by=soon, group=slugs, send="1"))
    html = text_of(response)
    assert response.status_code == 200 and session.scalar(select(Rfq)) is None  # nothing sent yet
    assert "Machakos Sisal Weavers takes orders from 500 units; you ask for 400." in html
    assert re.search(r"Machakos Sisal Weavers&#39;s calendar holds \d+ units by", html), re.search(
        r"Before you send:.*?</ul>", html, re.S
    ).group(0)
    assert "Kitui Basket Collective" not in re.search(r"Before you send:.*?</ul>", html, re.S).group(0)  # it fits
    assert "Send anyway" in html and _value(html, "quantity") == "400"

    response = submit(client, page, _rfq_fields(quantity="400", needed_by=soon, group=slugs, confirmed="1"))
    assert response.status_code == 302
    assert len(session.scalar(select(Rfq)).recipients) == 2


def test_the_incoterm_chosen_in_the_request_is_quoted_and_ordered(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    from marketplace.orders.models import Order
    from marketplace.sourcing.models import Quote, Rfq

    group = basket_groups["kitui"]
    admin = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, basket_groups["buyer"].user.email)
    page = f"/rfqs/new?group={group.slug}"
    assert "DAP — delivered to the door; the buyer pays import duties" in text_of(client.get(page))
    assert submit(client, page, _rfq_fields(incoterm="DAP", group=[group.slug], send="1")).status_code == 302
    rfq = session.scalar(select(Rfq))
    assert rfq.incoterm == "DAP"
    client.post("/logout", data={})
    sign_in(client, admin.user.email)
    quoted = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "unit_price": "9.00",
            "quantity": "200",
            "lead_time_days": "20",
            "valid_until": rfq.needed_by.isoformat(),
            "submit": "1",
        },
    )
    assert quoted.status_code == 302, text_of(quoted)
    quote = session.scalar(select(Quote))
    assert quote.incoterm == "DAP"
    client.post("/logout", data={})
    sign_in(client, basket_groups["buyer"].user.email)
    assert "DAP" in text_of(client.get(f"/quotes/{quote.id}/accept"))
    assert submit(client, f"/quotes/{quote.id}/accept", {}).status_code == 302
    assert session.scalar(select(Order)).incoterm == "DAP"


class _Body(io.BytesIO):
    """A request body that notes, at each read, whether the app's database session had a transaction open."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.transaction_seen = False

    def _note(self) -> None:
        from marketplace.db import db

        self.transaction_seen = self.transaction_seen or db.session.in_transaction()

    def read(self, size: int | None = -1) -> bytes:
        self._note()
        return super().read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # Werkzeug's LimitedStream reads so
        self._note()
        return super().readinto(buffer)

    def readline(self, size: int | None = -1) -> bytes:
        self._note()
        return super().readline(size)


def _big_rfq_post(client: FlaskClient, megabytes: int) -> tuple[_Body, object]:
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    big = FileStorage(io.BytesIO(b"%PDF-1.7\n" + b"0" * (megabytes * 1024 * 1024)), "drawing.pdf", content_type="application/pdf")
    fields = MultiDict(
        {**hidden_fields(client, "/rfqs/new"), **_rfq_fields(title="Baskets with a big drawing", draft="1"), "attachments": big}
    )
    boundary, data = encode_multipart(fields)  # in memory: the test client would spool a body this big to a file it never closes
    body = _Body(data)
    response = client.post(
        "/rfqs/new", input_stream=body, content_length=len(data), content_type=f"multipart/form-data; boundary={boundary}"
    )
    return body, response


# 70 MB is past MAX_CONTENT_LENGTH (64 MB), which once answered a bare "Too much sent" page and lost the form.
@pytest.mark.parametrize("megabytes", [6, 20, 70])
def test_an_oversized_upload_gets_a_field_error_and_the_form_is_kept(
    client: FlaskClient, session: Session, basket_groups: dict, megabytes: int
) -> None:
    from marketplace.sourcing.models import Rfq

    sign_in(client, basket_groups["buyer"].user.email)
    body, response = _big_rfq_post(client, megabytes)
    html = text_of(response)
    assert response.status_code == 422, html[:300]
    assert re.search(r'<p class="error"[^>]*>The file is larger than 5 MB', html)
    assert _value(html, "title") == "Baskets with a big drawing" and _value(html, "quantity") == "200"
    assert session.scalar(select(Rfq)) is None
    assert body.tell() == len(body.getvalue())  # read to its end: a browser shows no answer to a post cut short
    assert not body.transaction_seen  # no database transaction waits on a slow upload


def test_a_form_body_declared_past_the_ceiling_is_refused_before_it_is_read(
    app: object, client: FlaskClient, basket_groups: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, basket_groups["buyer"].user.email)
    monkeypatch.setitem(app.config, "UPLOAD_BODY_CEILING", 8 * 1024 * 1024)  # type: ignore[attr-defined]

    body, response = _big_rfq_post(client, 9)

    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "more than 8 MB" in text_of(response)  # type: ignore[arg-type]
    assert body.tell() == 0


def test_quoting_beyond_the_calendar_or_under_the_minimum_is_warned_and_then_confirmed(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    from marketplace.sourcing.models import Quote

    group = basket_groups["machakos"]  # 100 units a week, minimum 500
    admin = factories.member_of(session, group, role=Role.ADMIN)
    rfq, _ = _open_quote(session, basket_groups["kitui"], basket_groups["buyer"], quantity=1500)  # 12 weeks away
    rfq.recipients.append(type(rfq.recipients[0])(group_id=group.id))
    session.commit()
    sign_in(client, admin.user.email)
    page = f"/manage/rfqs/{rfq.id}"
    fields = {
        "unit_price": "9.00",
        "quantity": "1500",
        "lead_time_days": "20",
        "valid_until": rfq.needed_by.isoformat(),
        "notes": "Nested",
        "submit": "1",
    }
    response = submit(client, page, fields)
    html = text_of(response)
    assert response.status_code == 200 and session.scalar(select(Quote).where(Quote.group_id == group.id)) is None
    assert re.search(r"Your calendar holds [\d,]+ units by .*, and you quote 1,500", html) and "Send the quote anyway" in html
    assert _value(html, "unit_price") == "9.00"

    response = submit(client, page, {**fields, "quantity": "300"})
    assert "under your minimum order of 500" in text_of(response)

    assert submit(client, page, {**fields, "confirmed": "1"}).status_code == 302
    assert session.scalar(select(Quote).where(Quote.group_id == group.id)).quantity == 1500


def test_price_tiers_below_the_minimum_order_are_warned_and_then_confirmed(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    from marketplace.producers.models import Product

    group = basket_groups["kitui"]
    admin = factories.member_of(session, group, role=Role.ADMIN)
    session.commit()
    sign_in(client, admin.user.email)
    fields = {
        "sku": "KB-01",
        "title": "Nested sisal baskets",
        "category": "baskets.storage",
        "moq": "50",
        "lead_time_days": "20",
        "currency": "USD",
        "tier1_quantity": "1",
        "tier1_price": "12.00",
        "tier2_quantity": "20",
        "tier2_price": "11.00",
        "tier3_quantity": "100",
        "tier3_price": "9.00",
    }
    response = submit(client, "/manage/products/new", fields)
    assert response.status_code == 200 and session.scalar(select(Product)) is None
    assert "The price from 1 units can never apply: no one orders under your minimum of 50." in text_of(response)
    assert submit(client, "/manage/products/new", {**fields, "confirmed": "1"}).status_code == 302
    # Tiers that all count: no question asked.
    assert submit(client, "/manage/products/new", {**fields, "sku": "KB-02", "tier2_quantity": "60"}).status_code == 302


def test_an_order_shows_where_it_is_how_much_is_made_its_trace_in_words_and_its_shipment(
    client: FlaskClient, session: Session, order_parties: dict
) -> None:
    order = order_parties["order"]
    page = f"/orders/{order.id}"
    sign_in(client, order_parties["admin"].user.email)
    submit(client, page, {"percent": "35", "note": "Coiling"}, action=f"{page}/progress")
    html = text_of(client.get(page))
    assert re.search(r'<li class="current" aria-current="step">Confirmed</li>', html)
    assert '<progress id="made" max="100" value="35">' in html
    assert re.search(
        r"Order confirmed · <bdi>[^<·]+</bdi> · \w\w\w \d{1,2}, \d{4}", html
    )  # in words: the step, the group's place, the day
    assert "TransactionEvent" not in html and "accepting" not in html

    for step in ("in_production", "ready"):
        assert submit(client, page, {"note": ""}, action=f"{page}/move/{step}").status_code == 302
    refused = submit(
        client, page, {"note": "", "carrier": "", "tracking_number": ""}, action=f"{page}/move/shipped", follow_redirects=True
    )
    assert "Name the carrier" in text_of(refused)
    submit(
        client, page, {"note": "", "carrier": "DHL Express", "tracking_number": "JD014600001234"}, action=f"{page}/move/shipped"
    )
    client.post("/logout", data={})
    sign_in(client, order_parties["buyer"].user.email)
    html = text_of(client.get(page))
    assert "Shipped with <strong><bdi>DHL Express</bdi></strong>, tracking number <strong>JD014600001234</strong>" in html
    assert re.search(r'<li class="done">Ready</li>\s*<li class="current" aria-current="step">Shipped</li>', html)
    submit(client, page, {"note": ""}, action=f"{page}/move/delivered")
    html = text_of(client.get(page))
    assert re.search(r"Received by the buyer · <bdi>United Kingdom</bdi> · ", html)  # at the destination, not the group's town


def test_with_cards_off_the_buyer_gets_bank_details_and_a_reference_and_the_operator_settles_the_invoice(
    app,
    client: FlaskClient,
    session: Session,
    order_parties: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from decimal import Decimal

    from marketplace.billing.models import Invoice, InvoiceStatus, PaymentStatus, Payout

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    monkeypatch.setitem(
        app.config, "BANK_TRANSFER_INSTRUCTIONS", "Loom Marketplace Ltd\nIBAN GB33 BUKB 2020 1555 5555 55\nBIC BUKBGB22"
    )
    order = order_parties["order"]
    deposit = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    sign_in(client, order_parties["buyer"].user.email)
    html = text_of(client.get(f"/orders/{order.id}"))
    assert "Pay now" not in html and f'href="/invoices/{deposit.id}#bank-transfer">How to pay by bank transfer' in html
    html = text_of(client.get(f"/invoices/{deposit.id}"))
    assert "IBAN GB33 BUKB 2020 1555 5555 55" in html and f"Reference to quote: <strong>{deposit.number}</strong>" in html
    assert "by card" not in html

    operator = factories.user(session, operator=True)
    session.commit()
    client.post("/logout", data={})
    sign_in(client, operator.email)
    page = f"/operator/invoices/{deposit.id}"
    wrong = submit(
        client, page, {"amount": "100.00", "reference": "FT2611290001"}, action=f"/operator/invoices/{deposit.id}/transfer"
    )
    assert wrong.status_code == 422 and "record the transfer only once the full amount has arrived" in text_of(wrong)
    assert _value(text_of(wrong), "reference") == "FT2611290001"
    right = submit(
        client,
        page,
        {"amount": str(deposit.amount), "reference": "FT2611290001"},
        action=f"/operator/invoices/{deposit.id}/transfer",
    )
    assert right.status_code == 302, text_of(right)

    session.expire_all()
    deposit = session.get(Invoice, deposit.id)
    assert deposit.status == InvoiceStatus.PAID and deposit.paid_at is not None
    assert [(p.provider, p.status, p.amount) for p in deposit.payments] == [
        ("bank_transfer", PaymentStatus.SUCCEEDED, Decimal(deposit.amount))
    ]
    # The same path as a card payment (settle_invoice): the group's payout is prepared.
    assert session.scalar(select(Payout).where(Payout.invoice_id == deposit.id)) is not None
    again = submit(
        client,
        page,
        {"amount": str(deposit.amount), "reference": "FT2611290002"},
        action=f"/operator/invoices/{deposit.id}/transfer",
    )
    assert again.status_code == 422 and "only an open invoice waits for a transfer" in text_of(again), text_of(again)[-900:]


def test_a_bank_transfer_deposit_of_a_cancelled_order_goes_back_by_bank_transfer_recorded_by_the_operator(
    app,
    client: FlaskClient,
    session: Session,
    order_parties: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from marketplace.billing.models import Invoice, InvoiceStatus, PaymentStatus, Payout, PayoutStatus, Refund, RefundStatus
    from marketplace.bootstrap import worker_for
    from marketplace.outbox.models import OutboxMessage, OutboxStatus
    from payments.settings import Settings
    from payments.settlement import record_bank_transfer

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)  # cards off: nothing may try Stripe
    order = order_parties["order"]
    deposit = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    operator = factories.user(session, operator=True)
    record_bank_transfer(
        session,
        operator.id,
        deposit.id,
        amount=deposit.amount,
        reference="FT2611290001",
        settings=Settings.from_config(app.config),
    )
    session.commit()
    sign_in(client, order_parties["admin"].user.email)
    page = f"/orders/{order.id}"
    assert submit(client, page, {"note": "Flooded workshop."}, action=f"{page}/move/cancelled").status_code == 302
    worker_for(app).drain()
    session.expire_all()
    refund = session.scalars(select(Refund)).one()
    assert (refund.status, refund.amount) == (RefundStatus.PENDING, deposit.amount)
    assert (
        session.scalar(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)) is None
    )  # no Stripe refund tried

    client.post("/logout", data={})
    sign_in(client, operator.email)
    desk = text_of(client.get("/operator/payouts"))
    assert "Refunds to send by bank transfer" in desk
    form = {**hidden_fields(client, "/operator/payouts"), f"r{refund.id}-reference": "FT2612010007"}
    assert client.post(f"/operator/refunds/{refund.id}/sent", data=form).status_code == 302
    session.expire_all()
    assert refund.status == RefundStatus.SUCCEEDED and "FT2612010007" in refund.reason
    assert refund.payment.status == PaymentStatus.REFUNDED and session.get(Invoice, deposit.id).status == InvoiceStatus.REFUNDED
    assert session.scalar(select(Payout).where(Payout.invoice_id == deposit.id)).status == PayoutStatus.REVERSED
    assert "Refunds to send by bank transfer" not in text_of(client.get("/operator/payouts"))


def test_fields_are_described_by_their_help_and_errors_and_never_by_none(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    sign_in(client, basket_groups["buyer"].user.email)
    html = text_of(client.get("/rfqs/new"))
    assert 'aria-describedby="None"' not in html
    assert re.search(r'<input[^>]*aria-describedby="title-help"[^>]*name="title"', html) or re.search(
        r'<input[^>]*name="title"[^>]*aria-describedby="title-help"', html
    )
    response = submit(client, "/rfqs/new", _rfq_fields(quantity="", draft="1"))
    html = text_of(response)
    field = re.search(r'<input[^>]*name="quantity"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="quantity-error"' in field
    assert re.search(r'<div id="quantity-error"><p class="error">', html)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_typed_text_keeps_its_paragraphs_and_line_breaks_and_its_direction(
    client: FlaskClient, session: Session, basket_groups: dict
) -> None:
    group = basket_groups["kitui"]
    # as a browser sends a textarea
    group.story = "Forty women weave at home.\r\nMost are Kamba.\r\n\r\nWe started in 1998 <b>together</b>."
    session.commit()
    html = text_of(client.get(f"/groups/{group.slug}"))
    assert (
        '<p dir="auto">Forty women weave at home.<br>Most are Kamba.</p><p dir="auto">We started in 1998 '
        "&lt;b&gt;together&lt;/b&gt;.</p>" in html
    )


def test_counts_read_as_words(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Huye Agaseke Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    from marketplace.producers.models import Photo

    session.add(Photo(group_id=group.id, path="photos/x.jpg", content_type="image/jpeg", width=10, height=10))
    session.commit()
    sign_in(client, admin.user.email)
    html = text_of(client.get("/manage/"))
    assert "0 products" in html and "1 photo<" in html and "1 photos" not in html


def test_the_operator_verifies_with_evidence_or_a_note_rejects_with_a_reason_and_undoes(
    client: FlaskClient, session: Session
) -> None:
    from marketplace.producers.models import Certification

    group = factories.producer_group(session, name="Kitui Basket Collective")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    fair, organic = (
        Certification(group=group, scheme="wfto", reference="WFTO-1"),
        Certification(group=group, scheme="organic", reference="ORG-7"),
    )
    session.add_all([fair, organic])
    operator = factories.user(session, operator=True)
    session.commit()
    sign_in(client, operator.email)
    desk = text_of(client.get("/operator/"))
    assert f'id="cert{fair.id}-note"' in desk and f'id="cert{organic.id}-note"' in desk  # one note field each, ids unique

    no_note = submit(
        client,
        "/operator/",
        {f"cert{fair.id}-note": "", "decision": "verify"},
        action=f"/operator/certifications/{fair.id}/review",
        follow_redirects=True,
    )
    assert "No evidence was uploaded: say how you checked it" in text_of(no_note)
    submit(
        client,
        "/operator/",
        {f"cert{fair.id}-note": "Listed in the WFTO member register", "decision": "verify"},
        action=f"/operator/certifications/{fair.id}/review",
    )
    submit(
        client,
        "/operator/",
        {f"cert{organic.id}-note": "The certificate expired in 2024", "decision": "reject"},
        action=f"/operator/certifications/{organic.id}/review",
    )
    session.expire_all()
    assert (fair.verified, fair.review_note) == (True, "Listed in the WFTO member register")
    assert (organic.verified, organic.rejected_at is not None, organic.review_note) == (
        False,
        True,
        "The certificate expired in 2024",
    )

    client.post("/logout", data={})
    sign_in(client, admin.user.email)
    assert 'not accepted</span> <span dir="auto">The certificate expired in 2024' in text_of(client.get("/manage/certifications"))

    client.post("/logout", data={})
    sign_in(client, operator.email)
    submit(client, "/operator/", {"decision": "undo"}, action=f"/operator/certifications/{fair.id}/review")
    session.expire_all()
    assert fair.verified is False and fair.verified_at is None
    assert f'id="cert{fair.id}-note"' in text_of(client.get("/operator/"))  # back in the queue


def test_a_missing_page_is_explained_in_plain_words(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "There is no page at this address" in text_of(response) and "If you entered the URL manually" not in text_of(response)
    assert client.get("/api/v1/no-such-thing").mimetype == "application/problem+json"


def test_dead_letters_link_to_their_group_and_order(client: FlaskClient, session: Session, order_parties: dict) -> None:
    from marketplace.billing.models import Invoice
    from marketplace.outbox import topics
    from marketplace.outbox.models import OutboxMessage, OutboxStatus

    order, group = order_parties["order"], order_parties["group"]
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    letters = [
        OutboxMessage(topic=topic, key=str(key), payload={}, status=OutboxStatus.DEAD, attempts=8, last_error=f"{topic} refused")
        for topic, key in (
            (topics.SYNC_ORDER, order.id),
            (topics.SYNC_INVOICE, invoice.id),
            (topics.INDEX_GROUP, group.id),
            (topics.SEND_MAIL, "x"),
        )
    ]
    session.add_all(letters)
    session.commit()
    operator = factories.user(session, operator=True)
    session.commit()
    sign_in(client, operator.email)

    desk = text_of(client.get("/operator/"))
    rows = {m.topic: re.search(rf"<td data-label=\"#\">{m.id}</td>.*?</tr>", desk, re.S).group(0) for m in letters}
    for topic in (topics.SYNC_ORDER, topics.SYNC_INVOICE):
        assert (
            f'href="/groups/{group.slug}"' in rows[topic]
            and f'href="/operator/orders/{order.id}">order {order.number}</a>' in rows[topic]
        )
    assert f"invoice {invoice.number}" in rows[topics.SYNC_INVOICE]
    assert f'href="/groups/{group.slug}"' in rows[topics.INDEX_GROUP] and "/operator/orders/" not in rows[topics.INDEX_GROUP]
    assert "key x" in rows[topics.SEND_MAIL]

    page = text_of(client.get(f"/operator/orders/{order.id}"))
    assert f"Order {order.number}" in page and f"/operator/invoices/{invoice.id}" in page
    assert (
        f"{topics.SYNC_ORDER} refused" in page
        and f"{topics.SYNC_INVOICE} refused" in page
        and f"{topics.INDEX_GROUP} refused" not in page
    )
    assert f"/operator/outbox/{letters[0].id}/retry" in page
    assert client.get("/operator/orders/999999").status_code == 404
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    sign_in(client, order_parties["admin"].user.email)
    assert client.get(f"/operator/orders/{order.id}").status_code == 404  # the desk is operators' only
