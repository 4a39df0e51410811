"""Slow work runs before or after a write transaction, never inside one.

A password hash takes argon2's deliberate fraction of a second; inside a write transaction it would
hold SQLite's one write lock (every other writer waits) or PostgreSQL's row locks for that long.
Signing up, accepting an invitation as a new account and resetting a password hash the password
before their transaction opens (signing in already checked it outside every transaction).
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts import passwords, services
from marketplace.accounts.models import Membership, Role, User
from marketplace.db import db, is_writing
from tests import factories
from tests.integration.test_accounts import SIGNUP, _last_mail
from tests.web import sign_in, submit


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each password hash made during the test: True when a write transaction was open while it ran."""
    seen: list[bool] = []

    def hash_password(password: str) -> str:
        seen.append(is_writing(db.session))
        return passwords.hash_password(password)

    monkeypatch.setattr(services, "hash_password", hash_password)
    return seen


def test_signing_up_hashes_the_password_before_its_transaction(client: FlaskClient, session: Session, hashes: list[bool]) -> None:
    factories.user(session, email="taken@example.org")

    assert submit(client, "/signup", SIGNUP).status_code == 302
    assert submit(client, "/signup", {**SIGNUP, "email": "taken@example.org"}).status_code == 302

    assert session.scalar(select(User).where(User.email == "mwende@example.org")) is not None
    assert hashes == [False, False]  # the new address and the taken one alike


def test_joining_by_invitation_hashes_the_password_before_its_transaction(
    client: FlaskClient, session: Session, hashes: list[bool]
) -> None:
    group = factories.producer_group(session, name="Tamale Shea Women")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    sign_in(client, admin.user.email)
    assert submit(client, "/team", {"email": "abena@example.org", "role": "member"}).status_code == 302
    link = re.search(r"https://loom\.test(/invitations/\S+)", _last_mail(session)["body"]).group(1)
    submit(client, "/team", {}, action="/logout")

    response = submit(client, link, {"name": "Abena Mensah", "password": "shea butter season", "confirm": "shea butter season"})

    assert response.status_code == 302
    assert session.scalar(select(Membership).join(User).where(User.email == "abena@example.org")) is not None
    assert hashes == [False]


def test_resetting_a_password_hashes_it_before_its_transaction(client: FlaskClient, session: Session, hashes: list[bool]) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    assert submit(client, "/password/forgot", {"email": "amelia@northwind.example"}).status_code == 302
    link = re.search(r"https://loom\.test(/password/reset/\S+)", _last_mail(session)["body"]).group(1)

    new = {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    assert submit(client, link, new).status_code == 302

    assert hashes == [False]
    sign_in(client, "amelia@northwind.example", "a brand new passphrase")
