"""A unique key lost to a concurrent request answers 409 and a busy database 503 — pages and API alike, never 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from marketplace import create_app


@pytest.fixture
def app_with_faults(tmp_path: Path) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'loom.db'}",
            "SECRET_KEY": "test-secret-key-not-for-production",
        }
    )

    def duplicate() -> str:
        raise IntegrityError(
            "INSERT INTO quote …", {}, sqlite3.IntegrityError("UNIQUE constraint failed: quote.rfq_id, quote.group_id")
        )

    def busy() -> str:
        raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))

    def broken() -> str:
        raise IntegrityError("INSERT …", {}, sqlite3.IntegrityError("NOT NULL constraint failed: quote.rfq_id"))

    for prefix in ("", "/api/v1"):
        app.add_url_rule(f"{prefix}/faults/duplicate", f"duplicate{prefix}", duplicate, methods=["POST"])
        app.add_url_rule(f"{prefix}/faults/busy", f"busy{prefix}", busy, methods=["POST"])
    app.add_url_rule("/faults/broken", "broken", broken, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_a_unique_key_taken_first_by_another_request_is_a_conflict(app_with_faults: Flask) -> None:
    client = app_with_faults.test_client()
    page = client.post("/faults/duplicate")
    assert page.status_code == 409 and "Someone else saved the same thing at the same moment" in page.get_data(as_text=True)
    api = client.post("/api/v1/faults/duplicate")
    assert api.status_code == 409 and api.mimetype == "application/problem+json" and api.json["title"] == "Conflict"


def test_a_busy_database_asks_to_send_again(app_with_faults: Flask) -> None:
    client = app_with_faults.test_client()
    for path in ("/faults/busy", "/api/v1/faults/busy"):
        response = client.post(path)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert "nothing was saved" in response.get_data(as_text=True)


def test_other_integrity_errors_stay_faults(app_with_faults: Flask) -> None:
    with pytest.raises(IntegrityError):
        app_with_faults.test_client().post("/faults/broken")
