"""The browser import: upload, preview with row errors, confirm, progress on a page that reloads itself."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from marketplace.bootstrap import worker_for
from marketplace.producers import handlers
from marketplace.producers.models import ImportJob, ProducerGroup
from tests import factories
from tests.integration.test_import_dialects import row, spanish_excel_csv, xlsx
from tests.web import hidden_fields, sign_in, text_of


def upload(client: FlaskClient, data: bytes, filename: str, number_locale: str = "") -> object:
    fields = hidden_fields(client, "/operator/imports")
    return client.post(
        "/operator/imports",
        data={**fields, "number_locale": number_locale, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def groups(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProducerGroup)) or 0


def test_an_upload_is_previewed_with_its_errors_then_imported_by_the_worker_with_progress(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, factories.user(session, operator=True).email)
    rows = [row(f"GT-{n}", f"Tejedoras {n}") for n in range(1, 131)] + [row("GT-BAD", "Sin País", country="ZZ")]
    before = groups(session)

    response = upload(client, spanish_excel_csv(rows), "grupos.csv")
    assert response.status_code == 302
    preview = text_of(client.get(response.headers["Location"]))

    assert "130 of 131 groups" in preview and "Tejedoras 1" in preview
    assert "row 132" in preview and "country" in preview and "not an ISO 3166 two-letter code" in preview
    assert "semicolons" in preview and "decimal commas" in preview
    assert 'http-equiv="refresh"' not in preview
    assert groups(session) == before  # a preview imports nothing

    job = session.scalar(select(ImportJob).order_by(ImportJob.id.desc()))
    page = f"/operator/imports/{job.id}"
    assert client.post(f"{page}/confirm", data=hidden_fields(client, page)).status_code == 302
    queued = text_of(client.get(page))
    assert 'http-equiv="refresh"' in queued and "0 of 131 groups processed" in queued

    # The worker commits each batch with its count, so the page shows progress between batches.
    monkeypatch.setattr(handlers, "WEB_BATCH", 50)
    committed: list[tuple[str, int]] = []

    def watch(worker_session: Session) -> None:
        committed.extend((o.status, o.processed) for o in worker_session.identity_map.values() if isinstance(o, ImportJob))

    event.listen(Session, "before_commit", watch)
    try:
        assert worker_for(app).drain().done == 1 + 130  # the import, then the 130 new groups indexed
    finally:
        event.remove(Session, "before_commit", watch)
    assert committed == [("running", 0), ("running", 50), ("running", 100), ("running", 131), ("done", 131)]

    done = text_of(client.get(page))
    assert "130 created, 0 updated, 0 unchanged, 1 rejected" in done and 'http-equiv="refresh"' not in done
    assert groups(session) == before + 130
    session.expire_all()
    assert session.get(ImportJob, job.id).status == "done"


def test_an_xlsx_upload_and_a_file_without_the_columns(client: FlaskClient, session: Session) -> None:
    sign_in(client, factories.user(session, operator=True).email)
    response = upload(client, xlsx([row("XL-9", "Kampala Bark Cloth", country="UG")]), "federation.xlsx")
    assert response.status_code == 302 and "Kampala Bark Cloth" in text_of(client.get(response.headers["Location"]))

    refused = upload(client, b"external_ref;name\nA;B\n", "short.csv")
    assert refused.status_code == 422
    assert re.search(r"lacks the column\(s\) category, country", text_of(refused))


def test_only_operators_see_the_import_pages(client: FlaskClient, session: Session) -> None:
    sign_in(client, factories.buyer(session).user.email)
    assert client.get("/operator/imports").status_code == 404
