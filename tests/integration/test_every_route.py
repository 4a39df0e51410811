"""Every route of the app, enumerated from its URL map, against an attacker's requests: a new route is
covered the day it is added (or the route table below fails until it says how to reach it).

- CSRF: every POST (but Stripe's signed webhook) without the form's token is refused, even for its owner.
- Signed out: every page that is not public sends the visitor to sign in (or answers 401/404), and no
  POST goes through.
- Across organizations: every route addressing another organization's record (an order, invoice, RFQ,
  quote, review, photo, payout, token, import, teammate, ...) answers 403/404 to a member of another
  buyer and of another group, GET and POST, and a POST leaves the database exactly as it was.
- Hostile ids and query parameters: every id in a path, and the numeric, date, cursor and redirect
  parameters any route reads, answer 4xx or a page, never 5xx.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.api.tokens import create_token
from marketplace.billing.models import Invoice, Payment, PaymentStatus, Payout, PayoutMethod, Refund
from marketplace.db import Base
from marketplace.limits import limiter
from marketplace.models import load_all_models
from marketplace.orders.models import ProgressUpdate
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.producers.models import Certification, ImportJob, Photo, Product
from marketplace.reputation.models import Review
from marketplace.sourcing.models import Message, Quote, QuoteStatus, Rfq, RfqAttachment, RfqRecipient, RfqStatus
from marketplace.submissions.services import new_token
from marketplace.trace.models import ProductStory
from payments.models import FeeStatement
from tests import factories
from tests.factories import PASSWORD
from tests.web import csrf_token, sign_in

TODAY = dt.date.today()
PUBLIC = {
    "/",
    "/groups",
    "/groups/<slug>",
    "/search",
    "/api/v1/groups",
    "/api/v1/groups/<slug>",
    "/api/v1/openapi.json",
    "/api/v1/search",
    "/media/<path:path>",
    "/static/<path:filename>",
    "/login",
    "/signup",
    "/signup/sent",
    "/password/forgot",
    "/password/reset/<token>",
    "/email/confirm/<token>",
    "/invitations/<token>",
    "/language",
    "/stories/<public_id>",
    "/stories/<public_id>/photos/<int:update_id>",
    "/stories/<public_id>/qr.png",
    "/stories/<public_id>/qr.svg",
    "/stories/<public_id>/tags",
    "/stories/<public_id>/trace.epcis.json",
    "/stories/<public_id>/verify",
    "/payments/stripe/webhook",
    "/api/v1/orders/<number>/epcis",
    "/epcis/events",
    "/logout",
}
# Routes whose POST is authenticated otherwise than by a browser session (Stripe signs its webhook).
NO_CSRF = {"/payments/stripe/webhook"}
# What a form may carry, sent with every POST so that a refusal is the route's own decision, not a form error.
FORM = {
    "body": "Hello",
    "note": "checked",
    "percent": "50",
    "rating": "5",
    "text": "Good work",
    "reason": "not clear",
    "role": "member",
    "amount": "1.00",
    "currency": "USD",
    "reference": "R-1",
    "unit_price": "9.00",
    "quantity": "100",
    "lead_time_days": "30",
    "valid_until": (TODAY + dt.timedelta(days=20)).isoformat(),
    "notes": "",
    "name": "Kioko",
    "email": "kioko@example.org",
    "decision": "verify",
    "confirm": "y",
    "method": "mpesa",
    "carrier": "DHL",
    "tracking_number": "1",
}


@dataclass
class World:
    ids: dict[str, object]
    owners: dict[str, str]  # "buyer" / "group" / "operator": e-mail of the rightful party
    outsiders: list[str]  # a buyer and a group admin with records of their own, none of these


@pytest.fixture
def world(app: Flask, session: Session) -> World:
    limiter.reset()
    operator = factories.user(session, operator=True)
    group = factories.producer_group(session, name="Machakos Sisal Weavers")
    admin = factories.member_of(session, group, role=Role.OWNER)
    member = factories.member_of(session, group, role=Role.MEMBER)
    buyer = factories.buyer(session, role=Role.OWNER)
    capability = factories.capability(session, group)
    order = factories.accepted_order(session, group, buyer)
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    payment = Payment(
        invoice_id=invoice.id, amount=invoice.amount, currency="USD", status=PaymentStatus.SUCCEEDED, idempotency_key=new_token()
    )
    session.add(payment)
    session.flush()
    refund = Refund(payment_id=payment.id, amount=Decimal("1.00"), currency="USD", idempotency_key=new_token())
    payout = Payout(
        group_id=group.id, invoice_id=invoice.id, method=PayoutMethod.MOBILE_MONEY, amount=Decimal("10"), currency="USD"
    )
    certification = Certification(group_id=group.id, scheme="wfto", reference="W-1", evidence_path=f"evidence/{group.id}/w.pdf")
    product = Product(group_id=group.id, sku="B-1", title="Basket", category="baskets.storage", lead_time_days=20, currency="USD")
    photo = Photo(group_id=group.id, path=f"photos/{group.id}/p.jpg", content_type="image/jpeg", width=10, height=10)
    update = ProgressUpdate(order_id=order.id, percent=40, note="Mary finished", photo_path=f"photos/orders/{order.id}/p.jpg")
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        created_by_id=buyer.user_id,
        title="Mats",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=TODAY + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    draft = Rfq(
        buyer_id=buyer.organization_id,
        created_by_id=buyer.user_id,
        title="Draft",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=TODAY + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.DRAFT,
    )
    session.add_all([refund, payout, certification, product, photo, update, rfq, draft])
    session.flush()
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal("9"),
        currency="USD",
        quantity=100,
        lead_time_days=20,
        valid_until=TODAY + dt.timedelta(days=10),
        status=QuoteStatus.SUBMITTED,
    )
    attachment = RfqAttachment(rfq_id=rfq.id, path=f"rfqs/{rfq.id}/s.pdf", filename="s.pdf", content_type="application/pdf")
    message = Message(rfq_id=rfq.id, group_id=group.id, author_id=buyer.user_id, body="Sizes?")
    review = Review(order_id=order.id, group_id=group.id, buyer_id=buyer.organization_id, rating=4, text="Fine")
    story = ProductStory(order_id=order.id, public_id="s" * 16, photo_ids=[])
    letter = OutboxMessage(topic="erp.sync_order", key=str(order.id), payload={"group_id": group.id}, status=OutboxStatus.DEAD)
    job = ImportJob(created_by_id=operator.id, filename="groups.csv", path="imports/groups.csv")
    statement = FeeStatement(group_id=group.id, number=f"FEE-{group.id}-1", amount=Decimal("5.00"), currency="USD")
    session.add_all([quote, attachment, message, review, story, letter, job, statement])
    token, __ = create_token(session, buyer, "ERP")
    invitation, __ = accounts.invite(
        session,
        inviter=admin,
        email="wanjiru@example.org",
        role=Role.MEMBER,
        base_url="https://loom.test",
        ttl=dt.timedelta(days=3),
    )
    other_group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    other_admin = factories.member_of(session, other_group, role=Role.OWNER)
    other_buyer = factories.buyer(session, name="Casa Verde", role=Role.OWNER)
    factories.accepted_order(session, other_group, other_buyer)
    session.commit()
    for stored in (
        certification.evidence_path,
        attachment.path,
        update.photo_path,
        photo.path,
    ):  # the files exist: a 404 is a refusal
        (Path(app.config["UPLOAD_DIR"]) / stored).parent.mkdir(parents=True, exist_ok=True)
        (Path(app.config["UPLOAD_DIR"]) / stored).write_bytes(b"%PDF-1.4 private")
    ids = {
        "order_id": order.id,
        "invoice_id": invoice.id,
        "rfq_id": rfq.id,
        "quote_id": quote.id,
        "group_id": group.id,
        "capability_id": capability.id,
        "certification_id": certification.id,
        "product_id": product.id,
        "photo_id": photo.id,
        "payout_id": payout.id,
        "message_id": letter.id,
        "attachment_id": attachment.id,
        "update_id": update.id,
        "review_id": review.id,
        "refund_id": refund.id,
        "token_id": token.id,
        "invitation_id": invitation.id,
        "membership_id": member.id,
        "organization_id": group.organization_id,
        "job_id": job.id,
        "status": "in_production",
        "answer": "publish",
        "public_id": story.public_id,
        "slug": group.slug,
        "number": order.number,
        "draft_id": draft.id,
        "statement_id": statement.id,
        "currency": "USD",
    }
    return World(
        ids,
        {"buyer": buyer.user.email, "group": admin.user.email, "operator": operator.email},
        [other_buyer.user.email, other_admin.user.email],
    )


def _rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


def _path(rule: Rule, world: World) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "path":
            return f"photos/{world.ids['group_id']}/p.jpg"
        if name in ("token",):
            return "not-a-real-token"
        return str(world.ids[name])

    return re.sub(r"<(?:[\w]+:)?(\w+)>", value, rule.rule)


def _owner(rule: Rule) -> str:
    if rule.rule.startswith("/operator/") or rule.rule == "/operator/":
        return "operator"
    if rule.rule.startswith(("/manage", "/api-tokens")) or rule.endpoint in ("reviews.reply",):
        return "group"
    return "buyer"


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


class Browsers:
    """One signed-in test client per person, reused (signing in costs a password hash)."""

    def __init__(self, app: Flask) -> None:
        self.app, self.clients = app, {}

    def of(self, email: str | None) -> FlaskClient:
        if email not in self.clients:
            self.clients[email] = self.app.test_client()
            if email:
                sign_in(self.clients[email], email)
        return self.clients[email]


def fingerprint(session: Session) -> dict[str, str]:
    """Each table's rows, hashed (the sign-in bookkeeping left out): equal fingerprints mean nothing was written."""
    load_all_models()
    session.expire_all()
    seen = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("login_attempt", "user_account", "form_submission", "submission"):
            continue
        rows = session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()  # noqa: S608 - table names from the metadata
        seen[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return seen


def test_every_route_is_known_here(app: Flask) -> None:
    """A new route must be placed: public, or owned by a buyer, a group or the operator (then it is tried below)."""
    for rule in _rules(app):
        assert rule.rule in PUBLIC or _owner(rule) in ("buyer", "group", "operator")
        for name in re.findall(r"<(?:[\w]+:)?(\w+)>", rule.rule):
            assert name in ("path", "token") or name in _IDS, (rule.rule, name)


_IDS = {
    "order_id",
    "invoice_id",
    "rfq_id",
    "quote_id",
    "group_id",
    "capability_id",
    "certification_id",
    "product_id",
    "photo_id",
    "payout_id",
    "message_id",
    "attachment_id",
    "update_id",
    "review_id",
    "refund_id",
    "token_id",
    "invitation_id",
    "membership_id",
    "organization_id",
    "job_id",
    "status",
    "answer",
    "public_id",
    "slug",
    "number",
    "statement_id",
    "currency",
}


def test_every_post_without_the_csrf_token_is_refused_even_for_its_owner(app: Flask, world: World) -> None:
    refused, browsers = {}, Browsers(app)
    for rule in _rules(app):
        if "POST" not in rule.methods or rule.rule in NO_CSRF:
            continue
        client = browsers.of(None if rule.rule in PUBLIC else world.owners[_owner(rule)])
        answer = client.post(_path(rule, world), data={**FORM, "submission": new_token()})
        refused[rule.rule] = answer.status_code
    assert refused and all(code == 400 for code in refused.values()), {r: c for r, c in refused.items() if c != 400}


def test_signed_out_visitors_reach_only_the_public_routes(app: Flask, world: World) -> None:
    leaks = {}
    for rule in _rules(app):
        if rule.rule in PUBLIC:
            continue
        for method in _methods(rule):
            client = app.test_client()
            data = {**FORM, "csrf_token": csrf_token(client, "/login"), "submission": new_token()} if method == "POST" else None
            answer = client.open(_path(rule, world), method=method, data=data)
            location = answer.headers.get("Location", "")
            if not (answer.status_code in (401, 403, 404) or (answer.status_code == 302 and location.startswith("/login"))):
                leaks[f"{method} {rule.rule}"] = (answer.status_code, location)
    assert leaks == {}


def test_no_route_reaches_another_organizations_records(app: Flask, session: Session, world: World) -> None:
    """For a GET the rightful party sees the record (so the id is real) and outsiders get 403/404; a POST by an
    outsider changes nothing in the database."""
    leaks, owner_refused, browsers = {}, {}, Browsers(app)
    addressed = [r for r in _rules(app) if r.rule not in PUBLIC and re.search(r"<", r.rule)]
    addressed += [r for r in _rules(app) if r.rule in ("/rfqs/drafts/groups",)]
    for rule in addressed:
        path = _path(rule, world)
        if "GET" in rule.methods:
            with browsers.of(world.owners[_owner(rule)]).get(path) as seen:  # a file is streamed: close it
                if seen.status_code not in (200, 302):
                    owner_refused[rule.rule] = seen.status_code
        for outsider in world.outsiders:
            client = browsers.of(outsider)
            token = csrf_token(client, "/language")
            before = fingerprint(session)
            for method in _methods(rule):
                data = (
                    {
                        **FORM,
                        "csrf_token": token,
                        "submission": new_token(),
                        "target": f"{world.ids['draft_id']}:other",
                        "rfq_id": str(world.ids["draft_id"]),
                    }
                    if method == "POST"
                    else None
                )
                answer = client.open(path, method=method, data=data)
                answer.close()
                if method == "GET" and answer.status_code not in (403, 404):
                    leaks[f"GET {rule.rule} by {outsider}"] = answer.status_code
                if method == "POST" and answer.status_code >= 500:
                    leaks[f"POST {rule.rule} by {outsider}"] = answer.status_code
            if (after := fingerprint(session)) != before:
                leaks[f"{rule.rule} by {outsider} wrote"] = sorted(t for t in after if after[t] != before[t])
    assert leaks == {}
    # Routes the rightful party cannot GET in this world (a state the page needs), each for a stated reason.
    assert set(owner_refused) <= OWNER_MAY_BE_REFUSED, owner_refused


OWNER_MAY_BE_REFUSED = {
    "/orders/<int:order_id>/review",  # reviews open once the order is delivered
    "/stories/<public_id>",  # not published in this world
}

HOSTILE_IDS = ["0", "-1", "99999999999999999999", "2147483648", "²", "1e3", "0x10", "%00", "1%0a", "..%2f1"]
HOSTILE_QUERY = [
    "²",
    "1e30",
    "99999999999999999999999",
    "2026-99-99",
    "W10",
    "[[[[",
    "//evil.example",
    "/\\evil.example",
    "/%09/evil.example",
    "\r\nSet-Cookie: x=1",
]
QUERY_NAMES = [
    "page",
    "per_page",
    "size",
    "units",
    "by",
    "after",
    "group",
    "next",
    "lang",
    "moq",
    "km",
    "max_lead_time",
    "price_min",
    "price_max",
    "week",
    "from",
    "perPage",
    "nextPageToken",
    "GE_eventTime",
    "LT_eventTime",
    "eventType",
]


def test_hostile_ids_in_every_path_are_not_found(app: Flask, world: World) -> None:
    crashes, browsers = {}, Browsers(app)
    for rule in _rules(app):
        ints = re.findall(r"<int:(\w+)>", rule.rule)
        if not ints:
            continue
        client = browsers.of(None if rule.rule in PUBLIC else world.owners[_owner(rule)])
        for value in HOSTILE_IDS:
            path = re.sub(rf"<int:{ints[0]}>", value, _path(rule, world).replace(str(world.ids[ints[0]]), f"<{ints[0]}>", 1))
            path = path.replace(f"<{ints[0]}>", value)
            for method in _methods(rule):
                answer = client.open(path, method=method)
                answer.close()
                if answer.status_code >= 500 or answer.status_code < 400:
                    crashes[f"{method} {path}"] = answer.status_code
    assert crashes == {}


def test_hostile_query_parameters_on_every_page_are_never_a_server_error(app: Flask, world: World) -> None:
    crashes, browsers = {}, Browsers(app)
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        client = browsers.of(None if rule.rule in PUBLIC else world.owners[_owner(rule)])
        path = _path(rule, world)
        for value in HOSTILE_QUERY:
            answer = client.get(path, query_string=dict.fromkeys(QUERY_NAMES, value))
            answer.close()  # a private file is streamed
            if answer.status_code >= 500:
                crashes[f"{path} = {value!r}"] = answer.status_code
            location = answer.headers.get("Location", "")
            if location.startswith(("//", "/\\", "http")) and "loom.test" not in location:
                crashes[f"{path} = {value!r} sends to"] = location
    assert crashes == {}


@pytest.mark.parametrize(
    "address",
    [
        "/\\evil.example/x",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/%E2%80%A8/evil.example",
        "/%20/evil.example",
        "/%E3%80%80/evil.example",
    ],
)
def test_the_language_switcher_on_any_page_never_links_off_the_site(client: FlaskClient, address: str) -> None:
    """A 404 page writes its own address into the switcher's links; a browser reads `/\\host` or `/<tab>/host` as `//host`."""
    page = client.get(address).get_data(as_text=True)
    links = re.findall(r'href="([^"]*lang=[a-z]+)"', page)
    assert links and all(link.startswith("/?lang=") for link in links), links


NEXT_VARIANTS = [
    "//evil.example",
    "/\\evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/%09/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "https:evil.example",
    "///evil.example",
    "/\u2028/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/%252F%252Fevil.example",
]


def _stays_here(location: str) -> bool:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(location)
    return (
        parts.netloc in ("", "loom.test")
        and not parts.scheme.startswith("javascript")
        and not location.startswith(("//", "/\\"))
        and not any(c.isspace() or ord(c) < 32 for c in unquote(location))
        and "evil.example" not in parts.netloc
    )


def test_no_return_address_leads_off_the_site(app: Flask, world: World) -> None:
    """Sign-in's `next`, add-to-draft's `next` and the switcher's return address, with every spelling that reads as another
    host."""
    browsers, escapes = Browsers(app), {}
    for target in NEXT_VARIANTS:
        client = app.test_client()
        answer = client.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": csrf_token(client, "/login"), "email": world.owners["buyer"], "password": PASSWORD},
        )
        if not _stays_here(answer.headers.get("Location", "")):
            escapes[f"login next={target!r}"] = answer.headers.get("Location")
        buyer = browsers.of(world.owners["buyer"])
        answer = buyer.post(
            "/rfqs/drafts/groups",
            data={
                "csrf_token": csrf_token(buyer, "/language"),
                "next": target,
                "target": f"{world.ids['draft_id']}:{world.ids['slug']}",
            },
        )
        if not _stays_here(answer.headers.get("Location", "")):
            escapes[f"add to draft next={target!r}"] = answer.headers.get("Location")
    assert escapes == {}
