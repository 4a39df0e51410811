"""A group admin connects the group's Odoo from a page: the key is tested, then kept encrypted."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from erp_connector.models import ErpLink
from marketplace.accounts.models import Role
from marketplace.billing.services import sales_tax_of
from marketplace.billing.taxes import TaxRule
from tests import factories
from tests.odoo_double import OdooDouble
from tests.web import sign_in, submit, text_of


def test_connecting_odoo_tests_the_key_and_keeps_it_encrypted(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    with OdooDouble(version=17, database="coop") as odoo:
        refused = submit(
            client,
            "/manage/odoo/",
            {"url": odoo.url, "database": "coop", "login": "admin", "api_key": "wrong", "protocol": "auto"},
            follow_redirects=True,
        )
        assert "Odoo refused the login or API key" in text_of(refused)
        connected = submit(
            client,
            "/manage/odoo/",
            {"url": odoo.url, "database": "coop", "login": "admin", "api_key": "admin", "protocol": "auto"},
            follow_redirects=True,
        )
        assert "Connected to Odoo 17.0 over jsonrpc." in text_of(connected)
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id))
    assert link.status == "connected" and link.server_version == "17.0"
    stored = session.execute(text("SELECT api_key_encrypted FROM erp_link")).scalar_one()
    assert "admin" not in stored and stored.startswith("gAAAA")  # a Fernet token, not the key


def test_only_admins_connect_odoo(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.MEMBER).user.email)
    assert client.get("/manage/odoo/").status_code == 403


def visible(response: object) -> str:
    """The page's text as a person reads it: no markup, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text_of(response))))  # type: ignore[arg-type]


def _connected(client: FlaskClient, session: Session, odoo: OdooDouble) -> object:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    key = odoo.api_key if odoo.version >= 19 else "admin"  # JSON-2 on 19 wants an API key
    submit(client, "/manage/odoo/", {"url": odoo.url, "database": "coop", "login": "admin", "api_key": key, "protocol": "auto"})
    return group


def test_the_admin_maps_loom_prices_to_one_of_their_odoo_sale_taxes(client: FlaskClient, session: Session) -> None:
    """A percentage tax, on top or included, becomes the group's sales tax with its company's rounding; other kinds are refused in
    words."""
    with OdooDouble(version=18, database="coop") as odoo:
        group = _connected(client, session, odoo)
        [grouped] = odoo.db.create(
            2, "account.tax", [{"name": "VAT + levy", "amount": 0.0, "amount_type": "group", "type_tax_use": "sale"}]
        )
        odoo.db.models["res.company"].records[1]["tax_calculation_rounding_method"] = "round_globally"
        page = client.get("/manage/odoo/taxes")
        assert page.status_code == 200 and "15% — 15 %, added on top of prices" in text_of(page)  # read from their Odoo
        assert "VAT + levy — cannot be used by Loom (only a percentage tax can be)" in text_of(page)
        wrong = submit(client, "/manage/odoo/taxes", {"tax": str(grouped)})
        assert wrong.status_code == 422 and "is not a simple percentage" in visible(wrong)
        assert sales_tax_of(session, group.id) is None
        on_top = submit(client, "/manage/odoo/taxes", {"tax": "1"}, follow_redirects=True)
        assert "Taxes on Loom's sales: 15% (15 %), added on top of Loom's prices" in visible(on_top)
        session.expire_all()
        assert sales_tax_of(session, group.id) == TaxRule("15%", Decimal(15), included=False, per_line=False)
        [included] = odoo.db.create(
            2,
            "account.tax",
            [
                {
                    "name": "VAT 15% incl.",
                    "amount": 15.0,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include_override": "tax_included",
                }
            ],
        )
        odoo.db.models["res.company"].records[1]["tax_calculation_rounding_method"] = "round_per_line"
        chosen = submit(client, "/manage/odoo/taxes", {"tax": str(included)}, follow_redirects=True)
        assert "Taxes on Loom's sales: VAT 15% incl. (15 %), included in Loom's prices" in visible(chosen)
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id))
    assert (link.tax_id, link.tax_rate, link.prices_include_tax) == (included, 15, True)
    session.expire_all()
    assert sales_tax_of(session, group.id) == TaxRule("VAT 15% incl.", Decimal(15), included=True, per_line=True)


def test_test_again_says_in_plain_words_which_right_is_missing(client: FlaskClient, session: Session) -> None:
    with OdooDouble(version=19, database="coop") as odoo:
        _connected(client, session, odoo)
        odoo.db.users[2]["create_forbidden"] = {"res.partner"}  # someone took Contact Creation from the user since
        page = submit(client, "/manage/odoo/test", {}, follow_redirects=True)
    assert "cannot create contacts (your buyers) (Odoo's Contact Creation right)" in visible(page)
    assert "not working" in text_of(page)


def test_what_was_sent_to_odoo_names_the_order_by_its_number_in_plain_words(client: FlaskClient, session: Session) -> None:
    from marketplace.outbox import topics
    from marketplace.outbox.models import OutboxMessage, OutboxStatus

    buyer = factories.buyer(session)
    group = factories.producer_group(session, name="Machakos Sisal Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer)
    session.add(
        OutboxMessage(
            topic=topics.SYNC_ORDER,
            key=str(order.id),
            payload={"group": group.id},
            status=OutboxStatus.DEAD,
            attempts=1,
            last_error="PermanentError: Odoo refused it: " + "x" * 300,
        )
    )
    session.commit()
    sign_in(client, admin.user.email)
    submit(
        client,
        "/manage/odoo/",
        {"url": "http://127.0.0.1:9/", "database": "db", "login": "admin", "api_key": "k", "protocol": "jsonrpc"},
    )
    page = text_of(client.get("/manage/odoo/"))
    assert f'">order {order.number}</a>' in page and f"#{order.id}<" not in page
    assert "Odoo refused it" in page and "PermanentError" not in page
    assert '<table class="list wrap">' in page  # long errors wrap instead of widening a phone's page


def test_an_address_refused_on_the_first_connection_keeps_the_typed_key(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    for url in ("http://169.254.169.254/", "not an address"):  # refused by the outbound rules, or by the form
        page = text_of(
            submit(
                client,
                "/manage/odoo/",
                {"url": url, "database": "coop", "login": "admin", "api_key": "k3y-typed-once", "protocol": "auto"},
            )
        )
        assert 'aria-invalid="true"' in page and 'value="k3y-typed-once"' in page
    assert session.scalar(select(ErpLink).where(ErpLink.group_id == group.id)) is None
