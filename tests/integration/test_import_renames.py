"""A group renamed by a spreadsheet re-import moves its address as a rename on its profile page does:
the new name's address, and every old address answering 301 (pages and API). A new group never takes an old address."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.bootstrap import worker_for
from marketplace.producers.models import ImportJob, ProducerGroup
from tests import factories
from tests.integration.test_import_dialects import row, spanish_excel_csv
from tests.integration.test_import_upload import upload
from tests.web import hidden_fields, sign_in


def _import(app: Flask, client: FlaskClient, session: Session, rows: list[list[object]]) -> None:
    assert upload(client, spanish_excel_csv(rows), "grupos.csv").status_code == 302
    job = session.scalar(select(ImportJob).order_by(ImportJob.id.desc()))
    page = f"/operator/imports/{job.id}"
    assert client.post(f"{page}/confirm", data=hidden_fields(client, page)).status_code == 302
    worker_for(app).drain()
    session.expire_all()


def test_a_rename_by_re_import_moves_the_address_and_old_addresses_redirect(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    sign_in(client, factories.user(session, operator=True).email)
    _import(app, client, session, [row("GT-1", "Tejedoras de Sololá")])
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "GT-1"))
    assert group.slug == "tejedoras-de-solola"

    _import(app, client, session, [row("GT-1", "Tejedoras Kaqchikel de Sololá")])
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "GT-1"))
    assert group.slug == "tejedoras-kaqchikel-de-solola"
    for old, new in (
        ("/groups/tejedoras-de-solola", "/groups/tejedoras-kaqchikel-de-solola"),
        ("/api/v1/groups/tejedoras-de-solola", "/api/v1/groups/tejedoras-kaqchikel-de-solola"),
    ):
        answer = client.get(old)
        assert answer.status_code == 301 and answer.headers["Location"].endswith(new)
    assert client.get("/groups/tejedoras-kaqchikel-de-solola").status_code == 200

    # A new group named as the old one was gets an address of its own: the old one keeps leading to the renamed group.
    _import(app, client, session, [row("GT-1", "Tejedoras Kaqchikel de Sololá"), row("GT-2", "Tejedoras de Sololá")])
    newcomer = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "GT-2"))
    assert newcomer.slug == "tejedoras-de-solola-2"
    assert client.get("/groups/tejedoras-de-solola").headers["Location"].endswith("/groups/tejedoras-kaqchikel-de-solola")

    # Renamed back in a later file: its own old address is current again, and the interim one redirects.
    _import(app, client, session, [row("GT-1", "Tejedoras de Sololá")])
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "GT-1"))
    assert group.slug == "tejedoras-de-solola" and client.get("/groups/tejedoras-de-solola").status_code == 200
    assert client.get("/groups/tejedoras-kaqchikel-de-solola").headers["Location"].endswith("/groups/tejedoras-de-solola")
