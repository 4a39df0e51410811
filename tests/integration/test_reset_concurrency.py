"""One password-reset link posted twice at the same moment sets one password (PostgreSQL, real threads).

The link works once: its stamp changes with the password. Without the user's row lock both posts
checked the stamp before either had committed, and both set a password (the slower one's won, and
the person who reset it first found their new password refused).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts import services
from marketplace.accounts.models import User
from marketplace.accounts.passwords import verify_password
from marketplace.errors import Conflict
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.postgres_only
SECRET = "test-secret-key-not-for-production"


def _reset(token: str, password: str):  # type: ignore[no-untyped-def]
    def use_case(session: Session) -> str:
        services.reset_password(session, token=token, password=password, secret_key=SECRET, ttl_seconds=3600)
        return password

    return use_case


def test_one_reset_link_posted_twice_at_once_sets_one_password(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        user = factories.buyer(session, email="amelia@northwind.example").user
        user_id = user.id
        token = services._reset_serializer(SECRET).dumps({"user": user.id, "stamp": services._password_stamp(user)})

    # held longer than a password hash takes, so the second post checks the link while the first is still open
    first, second = race(sessions, _reset(token, "the first new passphrase"), _reset(token, "the second new passphrase"), hold=3)

    assert first == "the first new passphrase"
    assert isinstance(second, Conflict) and "already used" in str(second)
    with sessions() as session:
        assert verify_password(session.get(User, user_id).password_hash, "the first new passphrase")
