"""Quantities and counts of 1,000 and more read in the locale's grouping in messages: templates' and e-mails' (issue 14)."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.outbox.models import OutboxMessage
from tests import factories


def test_whole_numbers_put_into_a_template_message_are_grouped_in_the_locale(app: Flask) -> None:
    # The home page's "N cooperatives", the import's "N of M", a count in ngettext: whatever the template passes in.
    source = (
        "{% trans total=total %}{{ total }} cooperatives{% endtrans %} | "
        "{{ ngettext('%(num)s product', '%(num)s products', total) }} | "
        "{% trans count=total %}{{ count }} group{% pluralize %}{{ count }} groups{% endtrans %}"
    )
    with app.test_request_context("/"):
        english = render_template_string(source, total=12345)
        with force_locale("fr"):
            french = render_template_string(source, total=12345)
        small = render_template_string(source, total=1)

    assert english == "12,345 cooperatives | 12,345 products | 12,345 groups"
    assert (
        french.split(" | ")[0] == "12\u202f345 cooperatives"
    )  # a catalog string then takes its translation; the number stays grouped
    assert "12345" not in french
    assert small == "1 cooperatives | 1 product | 1 group"


def test_the_order_confirmed_e_mail_to_the_group_groups_its_quantity_in_the_readers_locale(app: Flask, session: Session) -> None:
    group = factories.producer_group(session)
    english = factories.member_of(session, group)
    french = factories.member_of(session, group, email="coordinatrice@example.org")
    french.user.locale = "fr"
    buyer = factories.buyer(session)

    with app.test_request_context("/"):  # as when a buyer accepts on the web: each e-mail in its reader's language
        order = factories.accepted_order(session, group, buyer, quantity=2400)

    mails = {
        m.key: m.payload
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))
        if order.number in m.payload["subject"]
    }
    assert "2,400 units at" in mails[english.user.email]["body"]
    assert "2\u202f400" in mails[french.user.email]["body"]
    assert all("2400" not in mail["body"] for mail in mails.values())
