"""The operator's spreadsheet upload: posted twice it makes one import job, and the file is read outside the write transaction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.db import db, is_writing
from marketplace.producers import imports
from marketplace.producers.models import ImportJob
from marketplace.uploads import STAGED_SUFFIX
from tests import factories
from tests.integration.test_import_dialects import row, spanish_excel_csv
from tests.web import hidden_fields, sign_in


def _post(client: FlaskClient, fields: dict[str, str], data: bytes) -> object:
    return client.post(
        "/operator/imports",
        data={**fields, "number_locale": "", "file": (io.BytesIO(data), "grupos.csv")},
        content_type="multipart/form-data",
    )


def _files(app: Flask) -> set[Path]:
    folder = Path(app.config["UPLOAD_DIR"], "imports")
    return set(folder.iterdir()) if folder.is_dir() else set()


def _jobs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ImportJob)) or 0


def test_an_upload_posted_twice_makes_one_job(app: Flask, client: FlaskClient, session: Session) -> None:
    sign_in(client, factories.user(session, operator=True).email)
    data = spanish_excel_csv([row("GT-1", "Tejedoras 1"), row("GT-2", "Tejedoras 2")])
    fields = hidden_fields(client, "/operator/imports")  # one page, its one-time token
    before, files_before = _jobs(session), _files(app)

    first = _post(client, fields, data)
    again = _post(client, fields, data)  # a double tap, or the post resent after a lost answer

    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # the first job's page
    assert _jobs(session) == before + 1
    kept = _files(app) - files_before
    assert len(kept) == 1 and not kept.pop().name.endswith(STAGED_SUFFIX)  # the repeat's file is not kept


def test_the_upload_is_read_before_the_write_transaction(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, factories.user(session, operator=True).email)
    seen: list[bool] = []
    parse = imports.parse_upload

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(is_writing(db.session))
        return parse(*args, **kwargs)

    monkeypatch.setattr(imports, "parse_upload", watched)

    response = _post(client, hidden_fields(client, "/operator/imports"), spanish_excel_csv([row("GT-3", "Tejedoras 3")]))

    assert response.status_code == 302
    assert seen == [False]  # no write lock held while a spreadsheet of thousands of rows is parsed
