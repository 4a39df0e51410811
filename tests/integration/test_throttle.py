"""Password guessing is slowed per account and address, counted even when sent all at once; the other
doors people could hammer have rate limits, answered 429 with Retry-After."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts import services
from marketplace.accounts.models import LoginAttempt, Role
from marketplace.errors import TooManyRequests
from marketplace.sourcing.models import Rfq, RfqRecipient, RfqStatus
from tests import factories
from tests.web import csrf_token

OWNER = "amelia@northwind.example"


def _guess(client: FlaskClient, password: str = "guess", *, address: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": address} if address else {}
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": OWNER, "password": password}, headers=headers)


@pytest.mark.postgres_only
def test_wrong_passwords_sent_at_once_are_all_counted(app: Flask, committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        factories.buyer(session, email=OWNER)
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_token(c, "/login") for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        start.wait()
        statuses.append(client.post("/login", data={"csrf_token": token, "email": OWNER, "password": "guess"}).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    checked = [s for s in statuses if s != 429]
    assert len(statuses) == 20 and 1 <= len(checked) <= app.config["LOGIN_MAX_FAILURES"], sorted(statuses)
    with sessions() as session:  # each checked guess is a failure on record; the refused ones were not checked
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == len(checked)


def test_a_strangers_guesses_do_not_lock_the_owner_out(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)  # one proxy in front, which writes X-Forwarded-For
    factories.buyer(session, email=OWNER)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _guess(client, address="203.0.113.9").status_code == 422
    refused = _guess(client, address="203.0.113.9")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= app.config["LOGIN_FIRST_DELAY_SECONDS"]
    assert _guess(client, factories.PASSWORD, address="198.51.100.7").status_code == 302  # the owner, from their own address


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(app: Flask, client: FlaskClient, session: Session) -> None:
    assert app.config["TRUSTED_PROXIES"] == 0
    factories.buyer(session, email=OWNER)
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        _guess(client, address=f"203.0.113.{n}")
    assert _guess(client, address="198.51.100.7").status_code == 429  # a forged header does not buy a fresh count


def test_the_delay_grows_with_each_failure(session: Session) -> None:
    factories.buyer(session, email=OWNER)
    policy = services.LoginPolicy(max_failures=2, first_delay=dt.timedelta(seconds=30), window=dt.timedelta(minutes=15))
    now = dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC)

    def attempt(at: dt.datetime) -> object:
        try:
            return services.sign_in(session, email=OWNER, password="guess", remote_addr="203.0.113.9", policy=policy, now=at)
        except TooManyRequests as error:
            return error.retry_after

    assert attempt(now) is None and attempt(now + dt.timedelta(seconds=1)) is None  # two free guesses
    assert attempt(now + dt.timedelta(seconds=2)) == 29  # then 30 s after the last one
    assert attempt(now + dt.timedelta(seconds=10)) == 21  # asking early does not push the wait back
    assert attempt(now + dt.timedelta(seconds=31)) is None  # waited: checked (and wrong)
    assert attempt(now + dt.timedelta(seconds=32)) == 59  # 3 failures: 60 s after the last
    assert attempt(now + dt.timedelta(seconds=91)) is None
    assert attempt(now + dt.timedelta(seconds=92)) == 119  # then 120 s
    assert attempt(now + dt.timedelta(minutes=30)) is None  # the window passed: counting starts again
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 5  # the failures that were checked


def _buyer_rfq(session: Session, membership) -> str:  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    rfq = Rfq(
        buyer_id=membership.organization_id,
        created_by_id=membership.user_id,
        title="Baskets",
        spec="",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=dt.date.today() + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.OPEN,
    )
    session.add(rfq)
    session.flush()
    session.add(RfqRecipient(rfq_id=rfq.id, group_id=group.id))
    session.flush()
    return f"/rfqs/{rfq.id}|/rfqs/{rfq.id}/messages/{group.id}"


DOORS: dict[str, Callable[[FlaskClient, Session], tuple[str, str, str, dict]]] = {
    "SIGNUP": lambda client, session: ("POST", "/signup", "/signup", {"email": "x@example.org"}),
    "PASSWORD_RESET": lambda client, session: ("POST", "/password/forgot", "/password/forgot", {"email": "x@example.org"}),
    "API": lambda client, session: ("GET", "", "/api/v1/groups", {}),
}


def _signed_in(kind: str) -> Callable[[FlaskClient, Session], tuple[str, str, str, dict]]:
    def setup(client: FlaskClient, session: Session) -> tuple[str, str, str, dict]:
        from tests.web import sign_in

        if kind == "buyer":
            membership = factories.buyer(session, role=Role.ADMIN)
            sign_in(client, membership.user.email)
            return membership  # type: ignore[return-value]
        group = factories.producer_group(session)
        sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
        return group  # type: ignore[return-value]

    return setup


def _invitations(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    _signed_in("group")(client, session)
    return ("POST", "/team", "/team", {"email": "not-an-address"})


def _odoo(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    _signed_in("group")(client, session)
    return ("POST", "/manage/odoo/", "/manage/odoo/", {"url": "https://odoo.invalid#"})


def _rfqs(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    _signed_in("buyer")(client, session)
    return ("POST", "/rfqs/new", "/rfqs/new", {"title": ""})


def _messages(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    membership = _signed_in("buyer")(client, session)
    page, action = _buyer_rfq(session, membership).split("|")
    return ("POST", page, action, {"body": "Hello"})


DOORS.update({"INVITATIONS": _invitations, "ODOO_TEST": _odoo, "RFQS": _rfqs, "MESSAGES": _messages})


@pytest.mark.parametrize("door", sorted(DOORS))
def test_each_door_people_could_hammer_has_a_rate_limit(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch, door: str
) -> None:
    method, page, action, data = DOORS[door](client, session)
    session.commit()
    monkeypatch.setitem(app.config, f"RATE_LIMIT_{door}", "2 per hour")
    answers = []
    for _ in range(3):
        if method == "GET":
            answers.append(client.get(action))
        else:
            answers.append(client.post(action, data={"csrf_token": csrf_token(client, page), **data}))
    assert [a.status_code != 429 for a in answers] == [True, True, False], [a.status_code for a in answers]
    assert int(answers[-1].headers["Retry-After"]) > 0
    if door == "API":
        from tests.integration.test_api import conforms

        conforms(answers[-1], "/groups")
