"""A group admin connects the group's Odoo from a page: the key is tested, then kept encrypted."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from erp_connector.models import ErpLink
from marketplace.accounts.models import Role
from tests import factories
from tests.odoo_double import OdooDouble
from tests.web import sign_in, submit, text_of


def test_connecting_odoo_tests_the_key_and_keeps_it_encrypted(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    with OdooDouble(version=17, database="coop") as odoo:
        refused = submit(client, "/manage/odoo/", {"url": odoo.url, "database": "coop", "login": "admin", "api_key": "wrong", "protocol": "auto"},
                         follow_redirects=True)  # fmt: skip
        assert "Odoo refused the login or API key" in text_of(refused)
        connected = submit(client, "/manage/odoo/", {"url": odoo.url, "database": "coop", "login": "admin", "api_key": "admin", "protocol": "auto"},
                           follow_redirects=True)  # fmt: skip
        assert "Connected to Odoo 17.0 over jsonrpc." in text_of(connected)
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id))
    assert link.status == "connected" and link.server_version == "17.0"
    stored = session.execute(text("SELECT api_key_encrypted FROM erp_link")).scalar_one()
    assert "admin" not in stored and stored.startswith("gAAAA")  # a Fernet token, not the key


def test_only_admins_connect_odoo(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.MEMBER).user.email)
    assert client.get("/manage/odoo/").status_code == 403
