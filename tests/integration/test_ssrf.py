"""A group's Odoo address cannot turn Loom into a window on private networks (server-side request forgery).

The Odoo double listens on 127.0.0.1 over http, which the test app allows explicitly
(OUTBOUND_ALLOWED_NETWORKS = 127.0.0.1/32, as an operator would for a private network); each test
here that is about refusals takes that allowance away first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from erp_connector.models import ErpLink
from marketplace.accounts.models import Role
from marketplace.outbound import Destination, pinned_session
from tests import factories
from tests.odoo_double import OdooDouble
from tests.web import sign_in, submit, text_of

SECRET = "ami-id-SECRET-0123 instance-identity"


class Target:
    """A small HTTP server standing for an internal service: it records each request and answers `respond`."""

    def __init__(self, respond) -> None:  # type: ignore[no-untyped-def]
        self.requests: list[str] = []
        self.respond = respond
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wsgi(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.requests.append(f"{request.method} {request.host} {request.path}")
        return self.respond(request)(environ, start_response)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Target]:
    target = Target(lambda request: Response(SECRET, 200, content_type="application/json"))
    yield target
    target.close()


@pytest.fixture
def admin(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    return group


@pytest.fixture
def no_allowance(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_NETWORKS", "")


def _connect(client: FlaskClient, url: str):  # type: ignore[no-untyped-def]
    return submit(
        client, "/manage/odoo/", {"url": url, "database": "odoo", "login": "admin", "api_key": "admin", "protocol": "auto"}
    )


SPELLINGS = {
    "decimal": "2130706433",
    "octal": "0177.0.0.1",
    "hex": "0x7f.0.0.1",
    "short": "127.1",
    "unspecified": "0.0.0.0",
    "full-width": "１２７.0.0.1",
    "name": "localhost",
    "mapped-hex": "[::ffff:7f00:1]",
    "compatible": "[::127.0.0.1]",
    "unspecified-v6": "[::]",
}


@pytest.mark.parametrize("where", ["loopback", "metadata", "private", "mapped", *SPELLINGS])
def test_private_and_local_addresses_are_refused_without_the_operators_allowance(
    client: FlaskClient,
    session: Session,
    admin,
    internal: Target,
    no_allowance: None,
    where: str,  # type: ignore[no-untyped-def]
) -> None:
    url = {
        "loopback": internal.url,
        "metadata": "http://169.254.169.254/latest/meta-data",
        "private": "http://10.0.0.1:9200",
        "mapped": f"http://[::ffff:127.0.0.1]:{internal.server.server_port}",
        **{name: f"http://{host}:{internal.server.server_port}" for name, host in SPELLINGS.items()},
    }[where]
    page = _connect(client, url)
    assert page.status_code == 422
    assert "private or local network" in text_of(page)
    assert internal.requests == []  # nothing was called
    assert session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id)) is None  # nothing saved for the worker to call


def test_a_fragment_cannot_swallow_the_path_loom_appends(client: FlaskClient, session: Session, admin, internal: Target) -> None:  # type: ignore[no-untyped-def]
    page = _connect(client, f"{internal.url}/secret#")
    assert page.status_code == 422 and "after a ? or #" in text_of(page)
    assert internal.requests == []


def test_a_server_that_is_not_odoo_is_named_so_and_its_answer_never_shown(
    client: FlaskClient, session: Session, admin, internal: Target
) -> None:  # type: ignore[no-untyped-def]
    page = _connect(client, internal.url)
    assert page.status_code == 302
    shown = text_of(client.get("/manage/odoo/"))
    assert "The server at that address is not an Odoo server" in shown
    assert "SECRET" not in shown
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id))
    assert link.status == "failing" and "SECRET" not in link.last_error and "not an Odoo server" in link.last_error


def test_redirects_are_not_followed(client: FlaskClient, session: Session, admin, internal: Target) -> None:  # type: ignore[no-untyped-def]
    with OdooDouble(version=17) as odoo:
        bouncer = Target(lambda request: Response("", 307, headers={"Location": f"{internal.url}{request.path}"}))
        try:
            _connect(client, bouncer.url)
        finally:
            bouncer.close()
        assert bouncer.requests and internal.requests == []
        link = session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id))
        assert "not an Odoo server" in link.last_error
        # An Odoo on the same allowed network connects: the refusal above is the redirect's.
        _connect(client, odoo.url)
        session.expire_all()
        assert session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id)).status == "connected"


def test_ports_are_not_told_apart(client: FlaskClient, session: Session, admin, internal: Target) -> None:  # type: ignore[no-untyped-def]
    closed = Target(lambda request: Response("", 200))
    closed_url = closed.url
    closed.close()
    _connect(client, closed_url)
    message = session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id)).last_error
    assert message == "Loom could not connect to the server at that address: check the address and that the server is running."


def test_the_connection_goes_to_the_vetted_address_not_a_new_lookup(internal: Target) -> None:
    # "odoo.invalid" resolves nowhere: only the pinned address can have carried the request, with the name as Host.
    destination = Destination(
        "http", "odoo.invalid", internal.server.server_port, "127.0.0.1", f"http://odoo.invalid:{internal.server.server_port}"
    )
    with pinned_session(destination) as session:
        assert session.get(f"{destination.base}/web/version", timeout=5).text == SECRET
    assert internal.requests == [f"GET odoo.invalid:{internal.server.server_port} /web/version"]


def test_the_worker_refuses_a_saved_private_address_too(
    app: Flask, session: Session, internal: Target, no_allowance: None
) -> None:
    import datetime as dt

    from erp_connector.subscribers import queue_order_sync
    from marketplace.bootstrap import worker_for
    from marketplace.outbox.models import OutboxMessage, OutboxStatus
    from marketplace.secrets import SecretBox

    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    order = factories.accepted_order(session, group, buyer)
    # Saved before these rules existed, or allowed by an operator who has since taken the allowance away.
    session.add(
        ErpLink(
            group_id=group.id,
            url=internal.url,
            database="odoo",
            login="admin",
            protocol="auto",
            status="connected",
            api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal("admin"),
            checked_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()
    queue_order_sync(session, order)
    session.commit()
    worker_for(app).drain()
    session.expire_all()
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "erp.sync_order"))
    assert message.status == OutboxStatus.DEAD and "private or local network" in message.last_error
    assert internal.requests == []


def _answering(body: bytes, **headers: str) -> Target:
    return Target(lambda request: Response(body, 200, headers={"Content-Type": "application/json", **headers}))


@pytest.mark.parametrize("answer", ["huge", "compressed"])
def test_an_answer_too_large_or_compressed_is_not_read(client: FlaskClient, session: Session, admin, answer: str) -> None:  # type: ignore[no-untyped-def]
    import gzip

    from marketplace.outbound import MAX_ANSWER_BYTES

    body = b" " * (MAX_ANSWER_BYTES + 10) if answer == "huge" else gzip.compress(b" " * 10_000_000)
    target = _answering(body, **({"Content-Encoding": "gzip"} if answer == "compressed" else {}))
    try:
        _connect(client, target.url)
    finally:
        target.close()
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == admin.id))
    assert "not an Odoo server" in link.last_error


@pytest.mark.parametrize("answer", ["huge", "compressed"])
def test_xml_rpc_answers_are_bounded_too(answer: str) -> None:
    import gzip

    from erp_connector.client import OdooCallError, XmlRpcTransport
    from marketplace.outbound import MAX_ANSWER_BYTES

    xml = (
        b"<?xml version='1.0'?><methodResponse><params><param><value><string>"
        + b"x" * (MAX_ANSWER_BYTES + 10)
        + b"</string></value></param></params></methodResponse>"
    )
    body, headers = (xml, {}) if answer == "huge" else (gzip.compress(xml), {"Content-Encoding": "gzip"})
    target = Target(lambda request: Response(body, 200, headers={"Content-Type": "text/xml", **headers}))
    try:
        destination = Destination("http", "127.0.0.1", target.server.server_port, "127.0.0.1", target.url)
        with pytest.raises(OdooCallError, match="not an Odoo server"):
            XmlRpcTransport(destination, "odoo", 2, "key", timeout=10).execute("res.partner", "search", [[]], {})
    finally:
        target.close()
