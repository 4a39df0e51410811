"""The work every request does before and after its page, kept to what the request needs (issue 19): the session's
signer built once per secret key, a visitor's empty session not hashed against its address, each hook and view checked
once for being async, and Flask-Limiter stopped at its request filter where no limit applies. Each with what it must
still do: read cookies signed with a fallback key, protect a signed-in session, wrap an async function, limit the doors
that have a limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace import limits
from marketplace.web import login_manager
from tests import factories
from tests.web import sign_in

EMAIL = "amelia@northwind.example"


@pytest.fixture
def secret_key(app: Flask) -> Iterator[None]:
    """Restore the session app's secret key and fallbacks after a test that rotates them."""
    key, fallbacks = app.secret_key, app.config["SECRET_KEY_FALLBACKS"]
    yield
    app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = key, fallbacks


def test_the_session_signer_is_built_once_per_secret_key(app: Flask, secret_key: None) -> None:
    interface = app.session_interface
    signer = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is signer  # not built again for the next request
    cookie = signer.dumps({"locale": "fr"})
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "a-rotated-secret-key"
    rotated = interface.get_signing_serializer(app)
    assert rotated is not signer and rotated.loads(cookie) == {"locale": "fr"}  # read with the fallback key
    assert rotated.dumps({"x": 1}) != signer.dumps({"x": 1})  # signed with the new key
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert interface.get_signing_serializer(app).loads(rotated.dumps({"x": 1})) == {"x": 1}
    with pytest.raises(Exception, match="Signature"):
        interface.get_signing_serializer(app).loads(cookie)  # the old key is no longer accepted


def test_a_visitors_empty_session_is_not_hashed_against_its_address(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    generate = login_manager._session_identifier_generator

    def identifier() -> str:
        asked.append("asked")
        return generate()

    monkeypatch.setattr(login_manager, "_session_identifier_generator", identifier)
    assert client.get("/groups").status_code == 200  # a page with no form: nothing in the session
    assert asked == []
    factories.buyer(session, email=EMAIL)
    sign_in(client, EMAIL)
    asked.clear()
    assert client.get("/orders").status_code == 200  # a signed-in session is still checked against its address
    assert asked


def test_a_copied_session_from_another_address_is_no_longer_fresh(app: Flask, client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email=EMAIL)
    sign_in(client, EMAIL)
    elsewhere = app.test_client()
    elsewhere.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    elsewhere.get("/orders", environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"User-Agent": "another browser"})
    with elsewhere.session_transaction() as copied:
        assert copied.get("_fresh") is False  # Flask-Login's basic protection, as before


def test_each_plain_function_is_checked_once_for_being_async(app: Flask) -> None:
    def hook() -> None:
        return None

    async def coroutine() -> None:
        return None

    assert app.ensure_sync(hook) is hook
    hook.__code__ = coroutine.__code__  # were it asked again, Flask would now wrap it
    assert app.ensure_sync(hook) is hook
    with pytest.raises(RuntimeError):  # an async function is still Flask's to wrap (it needs flask[async] here)
        app.ensure_sync(coroutine)


@pytest.mark.parametrize(
    ("method", "path", "filtered"),
    [
        ("GET", "/search?q=baskets", True),
        ("GET", "/", True),
        ("GET", "/login", True),
        ("POST", "/signup", False),  # its view has a limit (on POST)
        ("GET", "/api/v1/groups", False),  # its blueprint has one
        ("GET", "/no-such-page", False),
    ],
)
def test_flask_limiter_stops_at_the_filter_only_where_no_limit_applies(
    app: Flask, monkeypatch: pytest.MonkeyPatch, method: str, path: str, filtered: bool
) -> None:
    with app.test_request_context(path, method=method):
        assert limits._no_limit_here() is filtered
        monkeypatch.setitem(app.extensions, "loom.app_wide_limits", True)  # LOOM_RATELIMIT_DEFAULT, say: every route
        assert limits._no_limit_here() is False


@pytest.mark.parametrize("setting", limits.APP_WIDE_SETTINGS)
def test_a_limit_for_every_route_is_seen_in_the_settings(setting: str) -> None:
    assert limits.app_wide_limits({setting: "100 per minute"}) is True
    assert limits.app_wide_limits({"RATELIMIT_STORAGE_URI": "memory://", setting: None}) is False
