"""Every numeric and date parameter of every page and API answers hostile values with a 4xx and a reason,
never a 500: Unicode digits, exponents, infinities, huge numbers, impossible dates, tampered cursors,
decompression bombs and malformed (but signed) Stripe events."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import struct
import time
import zlib
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.sourcing.models import Rfq, RfqRecipient, RfqStatus
from payments.models import StripeEvent
from tests import factories
from tests.web import csrf_token, sign_in

NUMBERS = [
    "²",
    "٣",
    "１２",
    "1e30",
    "1E+999999",
    "Infinity",
    "-Infinity",
    "NaN",
    "99999999999999999999999",
    "0x10",
    "1_000",
    "12abc",
    "9" * 5000,
]
DATES = ["2026-99-99", "2026-02-30", "99999-01-01", "²⁰²⁶-01-01", "tomorrow", "0000-00-00", "9" * 5000]
TODAY = dt.date.today()


@dataclass
class World:
    group_admin: str
    buyer: str
    capability_id: int
    rfq_id: int
    order_id: int
    extra: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(session: Session) -> World:
    group = factories.producer_group(session, name="Machakos Sisal Weavers")
    capability = factories.capability(session, group)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer)
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        created_by_id=buyer.user_id,
        title="Baskets",
        spec="",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=TODAY + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    session.add(rfq)
    session.commit()
    return World(admin.user.email, buyer.user.email, capability.id, rfq.id, order.id)


PROFILE = {
    "name": "Machakos Sisal Weavers",
    "story": "",
    "country": "KE",
    "region": "",
    "city": "",
    "latitude": "-1.3",
    "longitude": "38.0",
    "artisan_count": "40",
    "women_share": "90",
    "youth_share": "20",
    "languages": "Kamba",
    "response_time_hours": "24",
}
CAPABILITY = {
    "category": "baskets.storage",
    "materials": "sisal",
    "techniques": "coiling",
    "moq": "50",
    "lead_time_days": "21",
    "price_min": "8",
    "price_max": "15",
    "currency": "USD",
    "weekly_capacity": "200",
}
PRODUCT = {
    "sku": "B-1",
    "title": "Basket",
    "category": "baskets.storage",
    "moq": "10",
    "lead_time_days": "20",
    "currency": "USD",
    "tier1_quantity": "1",
    "tier1_price": "9.50",
    "tier2_quantity": "100",
    "tier2_price": "8.50",
    "tier3_quantity": "",
    "tier3_price": "",
}
RFQ = {
    "title": "Baskets",
    "spec": "",
    "category": "baskets.storage",
    "quantity": "100",
    "target_unit_price": "9.50",
    "currency": "USD",
    "needed_by": (TODAY + dt.timedelta(weeks=10)).isoformat(),
    "destination_country": "GB",
}
QUOTE = {
    "unit_price": "9.00",
    "quantity": "100",
    "lead_time_days": "30",
    "valid_until": (TODAY + dt.timedelta(days=20)).isoformat(),
    "notes": "",
    "materials_cost": "2.00",
    "hours": "3",
    "hourly_wage": "1.20",
    "overhead_percent": "15",
    "margin_percent": "20",
}
SEARCH = {"units": "100", "by": (TODAY + dt.timedelta(weeks=20)).isoformat()}


def _monday() -> str:
    return (TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=1)).strftime("%Y%m%d")


# (who, method, path template, parameter, kind, the other values sent with it)
FORM_FIELDS = [
    *[
        ("group", "/manage/profile", name, "number", PROFILE)
        for name in ("latitude", "longitude", "artisan_count", "women_share", "youth_share", "response_time_hours")
    ],
    *[
        ("group", "/manage/capabilities/new", name, "number", CAPABILITY)
        for name in ("moq", "lead_time_days", "price_min", "price_max", "weekly_capacity")
    ],
    *[
        ("group", "/manage/capabilities/{capability_id}", name, "number", CAPABILITY)
        for name in ("moq", "price_max", "weekly_capacity")
    ],
    ("group", "/manage/capabilities/{capability_id}/capacity", "week_{monday}", "number", {}),
    ("group", "/manage/capabilities/{capability_id}/capacity", "fill_units", "number", {}),
    ("group", "/manage/capabilities/{capability_id}/capacity", "fill_from", "date", {"fill_units": "5"}),
    ("group", "/manage/certifications", "valid_until", "date", {"scheme": "wfto", "reference": "W-1"}),
    *[
        ("group", "/manage/products/new", name, "number", PRODUCT)
        for name in ("moq", "lead_time_days", "tier1_quantity", "tier1_price", "tier2_quantity", "tier2_price")
    ],
    *[
        ("buyer", "/rfqs/new", name, kind, RFQ)
        for name, kind in (("quantity", "number"), ("target_unit_price", "number"), ("needed_by", "date"))
    ],
    *[
        ("group", "/manage/rfqs/{rfq_id}", name, kind, QUOTE)
        for name, kind in (
            ("unit_price", "number"),
            ("quantity", "number"),
            ("lead_time_days", "number"),
            ("valid_until", "date"),
        )
    ],
    *[
        ("group", "/manage/rfqs/{rfq_id}", name, "number", {**QUOTE, "suggest": "1"})
        for name in ("materials_cost", "hours", "hourly_wage", "overhead_percent", "margin_percent")
    ],
]

QUERY_PARAMETERS = [
    *[
        (None, path, name, kind, SEARCH)
        for path in ("/search", "/api/v1/search")
        for name, kind in (
            ("units", "number"),
            ("by", "date"),
            ("km", "number"),
            ("max_lead_time", "number"),
            ("moq", "number"),
            ("size", "number"),
            ("price_min", "number"),
            ("price_max", "number"),
        )
    ],
    (None, "/api/v1/groups", "page", "number", {}),
    (None, "/api/v1/groups", "per_page", "number", {}),
    (None, "/groups", "page", "number", {}),
    ("buyer", "/rfqs/new", "units", "number", {}),
    ("buyer", "/rfqs/new", "by", "date", {}),
    ("buyer", "/rfqs/{rfq_id}", "group", "number", {}),
]


def _as(client: FlaskClient, world: World, who: str | None) -> None:
    if who:
        sign_in(client, {"group": world.group_admin, "buyer": world.buyer}[who])


def _fill(template: str, world: World) -> str:
    return template.format(capability_id=world.capability_id, rfq_id=world.rfq_id, order_id=world.order_id, monday=_monday())


@pytest.mark.parametrize("who, path, name, kind, others", FORM_FIELDS, ids=[f"{p} {n}" for _w, p, n, _k, _o in FORM_FIELDS])
def test_every_number_and_date_field_of_every_form_refuses_hostile_values(
    client: FlaskClient, world: World, who: str, path: str, name: str, kind: str, others: dict
) -> None:
    _as(client, world, who)
    path, name = _fill(path, world), _fill(name, world)
    token = csrf_token(client, path)
    for value in NUMBERS if kind == "number" else DATES:
        answer = client.post(path, data={"csrf_token": token, **others, name: value})
        assert 400 <= answer.status_code < 500, (name, value, answer.status_code)


@pytest.mark.parametrize(
    "who, path, name, kind, others", QUERY_PARAMETERS, ids=[f"{p} {n}" for _w, p, n, _k, _o in QUERY_PARAMETERS]
)
def test_every_number_and_date_in_a_query_string_refuses_hostile_values(
    client: FlaskClient, world: World, who: str | None, path: str, name: str, kind: str, others: dict
) -> None:
    _as(client, world, who)
    path = _fill(path, world)
    for value in NUMBERS if kind == "number" else DATES:
        answer = client.get(path, query_string={**others, name: value, **({"near": "Nairobi"} if name == "km" else {})})
        assert 400 <= answer.status_code < 500, (name, value, answer.status_code)
        if path.startswith("/api/"):
            assert answer.mimetype == "application/problem+json" and answer.get_json()["field"] == name


def test_progress_refuses_hostile_percentages_with_a_message(client: FlaskClient, world: World) -> None:
    _as(client, world, "group")
    token = csrf_token(client, f"/orders/{world.order_id}")
    for value in NUMBERS:
        answer = client.post(
            f"/orders/{world.order_id}/progress", data={"csrf_token": token, "percent": value}, follow_redirects=True
        )
        page = answer.get_data(as_text=True)
        # The order page comes back with the form as typed and the reason beside the field (nothing typed is lost).
        assert answer.status_code == 422 and ("Give the progress as a percentage" in page or "Give a whole number" in page), value


@pytest.mark.parametrize("path", ["/orders/99999999999999999999", "/rfqs/2147483648", "/invoices/99999999999999999999999"])
def test_ids_beyond_what_the_database_holds_are_not_found(client: FlaskClient, world: World, path: str) -> None:
    _as(client, world, "buyer")
    assert client.get(path).status_code == 404


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor([]),
        "W10",
        _cursor({"a": 1}),
        _cursor([[1], [2]]),
        _cursor([1.0, 10**30]),
        _cursor([1.0, "x"]),
        _cursor([1.0, 2, 3]),
        _cursor(["x", 1]),
        _cursor([True, 1]),
        base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
        "%%%",
        "not base64!",
    ],
)
@pytest.mark.parametrize("path", ["/search", "/api/v1/search"])
def test_tampered_page_cursors_are_refused(client: FlaskClient, path: str, cursor: str) -> None:
    assert client.get(path, query_string={"after": cursor}).status_code == 400


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [30_000, 10_000])  # Pillow's error above 179 Mpx, its warning above 89 Mpx
def test_a_decompression_bomb_is_refused_as_too_many_pixels(client: FlaskClient, world: World, size: int) -> None:
    _as(client, world, "group")
    answer = client.post(
        "/manage/photos",
        data={"csrf_token": csrf_token(client, "/manage/photos"), "photo": (io.BytesIO(_png(size, size)), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422 and "too many pixels" in answer.get_data(as_text=True)


WEBHOOK_SECRET = "whsec_loom_hostile"


def _signed(payload: bytes, at: int | None = None) -> dict[str, str]:
    t = int(time.time()) if at is None else at
    return {
        "Stripe-Signature": f"t={t},v1="
        f"{hmac.new(WEBHOOK_SECRET.encode(), f'{t}.'.encode() + payload, hashlib.sha256).hexdigest()}"
    }


GOOD_EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "customer.created",
    "created": 1_790_000_000,
    "data": {"object": {"id": "cus_1"}},
}


@pytest.mark.parametrize(
    "event",
    [
        {k: v for k, v in GOOD_EVENT.items() if k != "id"},
        {**GOOD_EVENT, "created": "soon"},
        {**GOOD_EVENT, "created": 1e300},
        [GOOD_EVENT],
        {k: v for k, v in GOOD_EVENT.items() if k != "data"},
        {**GOOD_EVENT, "data": {"object": "cus_1"}},
        {**GOOD_EVENT, "type": 7},
        {**GOOD_EVENT, "type": "transfer.updated", "data": {"object": {"amount": 5}}},
        "just a string",
    ],
    ids=[
        "no id",
        "created soon",
        "created huge",
        "a list",
        "no data",
        "object not an object",
        "type not a string",
        "handled object without id",
        "a string",
    ],
)
def test_signed_but_malformed_stripe_events_are_refused(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch, event: object
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    payload = json.dumps(event).encode()
    answer = client.post("/payments/stripe/webhook", data=payload, content_type="application/json", headers=_signed(payload))
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json", answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_a_webhook_signed_in_the_future_is_refused_like_a_stale_one(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    payload = json.dumps(GOOD_EVENT).encode()
    future = client.post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers=_signed(payload, int(time.time()) + 3600),
    )
    assert future.status_code == 400 and "future" in future.get_json()["detail"]
    now = client.post("/payments/stripe/webhook", data=payload, content_type="application/json", headers=_signed(payload))
    assert now.status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/groups/x%00", "/groups/x%00", "/search?q=%00", "/api/v1/groups?country=K%00", "/invitations/%00"]
)
def test_a_nul_character_anywhere_is_a_400(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 400


def test_an_exchange_rate_that_would_overflow_the_amount_sent_is_refused_in_words(session: Session) -> None:
    """A payout of 20 million at a rate just under the form's bound would be sent as 2 × 10¹⁴: past every amount Loom
    records (and PostgreSQL's numeric column, a 500 before)."""
    from decimal import Decimal

    from marketplace.billing.models import Invoice, Payout, PayoutMethod
    from marketplace.errors import DomainError
    from payments.models import PayoutAccount
    from payments.payouts import record_payout

    group = factories.producer_group(session)
    order = factories.accepted_order(session, group, factories.buyer(session))
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    session.add(
        PayoutAccount(group_id=group.id, method=PayoutMethod.MOBILE_MONEY, details_secret="sealed", details_hint="M-Pesa")
    )
    payout = Payout(
        group_id=group.id,
        order_id=order.id,
        invoice_id=invoice.id,
        method=PayoutMethod.MOBILE_MONEY,
        amount=Decimal("20000000"),
        currency="USD",
    )
    session.add(payout)
    session.flush()
    operator = factories.user(session, operator=True)
    with pytest.raises(DomainError, match="beyond any amount Loom records") as refused:
        record_payout(
            session,
            operator,
            payout.id,
            method=PayoutMethod.MOBILE_MONEY,
            reference="SGH7K2L9QX",
            note="",
            base_url="https://loom.test",
            sent_currency="KES",
            exchange_rate=Decimal("9999999"),
        )
    assert refused.value.field == "exchange_rate"
