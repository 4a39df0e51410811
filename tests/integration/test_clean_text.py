"""Text is cleaned on the way in: no control characters in what people type, so CR/LF in a name can never
break an e-mail's subject (which is also made one line on the way out)."""

from __future__ import annotations

import datetime as dt
import email
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization, Role
from marketplace.bootstrap import worker_for
from marketplace.mail.messages import compose
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.producers.importer import read_json, validate
from marketplace.sourcing.models import Rfq
from tests import factories
from tests.integration.test_producer_listing import PROFILE
from tests.web import sign_in, submit

HOSTILE_NAME = "Machakos\r\nBcc: everyone@example.org\x00\x1b[31m Weavers\u2028"


def test_names_lose_control_characters_and_line_breaks(client: FlaskClient, session: Session) -> None:
    answer = submit(
        client,
        "/signup",
        {
            "kind": "buyer",
            "organization_name": HOSTILE_NAME,
            "country": "GB",
            "name": "Amelia\nJones",
            "email": "amelia@northwind.example",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )
    assert answer.status_code == 302
    organization = session.scalar(select(Organization).where(Organization.kind == "buyer").order_by(Organization.id.desc()))
    assert organization.name == "Machakos Bcc: everyone@example.org [31m Weavers"


def test_text_areas_keep_their_lines_but_not_control_characters(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    answer = submit(client, "/manage/profile", {**PROFILE, "name": HOSTILE_NAME, "story": "First line.\r\nSecond\tline.\x07\x00"})
    assert answer.status_code == 302
    session.refresh(group)
    assert group.name == "Machakos Bcc: everyone@example.org [31m Weavers"
    assert group.story == "First line.\nSecond\tline."


def test_an_rfq_titled_with_a_line_break_still_reaches_the_group_by_mail(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    group = factories.producer_group(session, name="Kitui Basket Collective")
    factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session)
    session.commit()
    sign_in(client, buyer.user.email)
    rfq = {
        "title": "Baskets\r\nX-Injected: yes",
        "spec": "Natural sisal, three sizes.",
        "category": "baskets.storage",
        "quantity": "100",
        "currency": "USD",
        "needed_by": (dt.date.today() + dt.timedelta(weeks=10)).isoformat(),
        "destination_country": "GB",
        "group": group.slug,
        "send": "1",
        "confirmed": "1",
    }  # the group has no calendar for baskets yet: sent anyway
    assert submit(client, f"/rfqs/new?group={group.slug}", rfq).status_code == 302
    assert session.scalar(select(Rfq.title).order_by(Rfq.id.desc())) == "Baskets X-Injected: yes"
    worker_for(app).drain()
    session.expire_all()
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send")).all()
    assert mails and all(m.status == OutboxStatus.DONE for m in mails)
    sent = email.message_from_bytes((Path(app.config["MAIL_DIR"]) / f"{mails[-1].id:08d}.eml").read_bytes())
    assert sent["Subject"] == "New request for quotation: Baskets X-Injected: yes" and sent["X-Injected"] is None


def test_a_subject_holding_a_line_break_is_made_one_line_when_the_mail_is_built() -> None:
    built = compose(
        {"MAIL_SENDER": "Loom <no-reply@loom.local>"},
        {"to": "a@example.org", "subject": "Quote from Evil\r\nBcc: x@example.org", "body": "Hello"},
        "<1@loom.local>",
    )
    assert built["Subject"] == "Quote from Evil Bcc: x@example.org" and built["Bcc"] is None


def test_the_importer_cleans_text_too() -> None:
    record = next(
        read_json(
            '{"groups": [{"external_ref": "x", "name": "Evil\\r\\nName\\u0000", "story": "a\\r\\nb\\u0007", "country": "KE", '
            '"capabilities": [{"category": "baskets.storage", "price_min": 1, "price_max": 2, "lead_time_days": 3, '
            '"weekly_capacity": 4}]}]}'
        )
    )
    clean = validate(record)
    assert (clean["name"], clean["story"]) == ("Evil Name", "a\nb")
