"""On a SQLite file, concurrent writers wait for the write lock instead of failing with "database is locked"."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.accounts import services
from marketplace.accounts.models import Role
from marketplace.cli import upgrade_database
from marketplace.sourcing.models import Message, Rfq, RfqRecipient, RfqStatus
from tests import factories
from tests.web import hidden_fields, sign_in

CLIENTS = 8
POSTS_EACH = 12


def _app(folder: Path) -> Flask:
    url = f"sqlite:///{folder / 'loom.db'}"
    upgrade_database(url)
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BASE_URL": "https://loom.test",
        }
    )


def test_concurrent_writers_on_a_sqlite_file_get_no_server_errors(tmp_path: Path) -> None:
    app = _app(tmp_path)
    engine = app.extensions["loom.db"]["engine"]
    with Session(engine, expire_on_commit=False) as session:
        group = factories.producer_group(session, name="Machakos Sisal Weavers")
        factories.capability(session, group, category="baskets.storage")
        buyers = [factories.buyer(session, name=f"Buyer {n}", role=Role.OWNER) for n in range(CLIENTS)]
        rfqs = []
        for buyer in buyers:
            rfq = Rfq(
                buyer_id=buyer.organization_id,
                title="Baskets",
                category="baskets.storage",
                quantity=100,
                currency="USD",
                needed_by=dt.date.today() + dt.timedelta(weeks=8),
                destination_country="GB",
                status=RfqStatus.OPEN,
                recipients=[RfqRecipient(group_id=group.id)],
            )
            session.add(rfq)
            rfqs.append(rfq)
        session.commit()
        emails = [b.user.email for b in buyers]
        rfq_ids = [r.id for r in rfqs]
        group_id = group.id

    clients = []
    for email, rfq_id in zip(emails, rfq_ids, strict=True):
        client = app.test_client()
        sign_in(client, email)
        clients.append((client, rfq_id))
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    start = threading.Barrier(CLIENTS)

    def write(client, rfq_id: int) -> None:  # type: ignore[no-untyped-def]
        page = f"/rfqs/{rfq_id}?group={group_id}"
        start.wait()
        for n in range(POSTS_EACH):
            try:
                fields = hidden_fields(client, page)  # a read, then a write: the pattern that used to fail
                response = client.post(f"/rfqs/{rfq_id}/messages/{group_id}", data={**fields, "body": f"Message {n}"})
                statuses[response.status_code] += 1
            except Exception as error:  # noqa: BLE001 - a 500 in the test client surfaces as the exception
                failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=write, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert failures == []
    assert statuses == Counter({302: CLIENTS * POSTS_EACH})
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == CLIENTS * POSTS_EACH
    engine.dispose()


def test_a_sign_in_holds_no_write_lock_while_it_checks_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 takes a good fraction of a second on purpose: every other writer would wait that long behind each sign-in."""
    app = _app(tmp_path)
    engine = app.extensions["loom.db"]["engine"]
    with Session(engine, expire_on_commit=False) as session:
        email = factories.buyer(session).user.email
        session.commit()
    probes: list[str] = []
    check = services.verify_password

    def verify_while_probing(password_hash: str | None, password: str) -> bool:
        probe = sqlite3.connect(tmp_path / "loom.db", timeout=0.1, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # another writer, during the check
            probe.execute("ROLLBACK")
            probes.append("could write")
        except sqlite3.OperationalError as error:
            probes.append(str(error))
        finally:
            probe.close()
        return check(password_hash, password)

    monkeypatch.setattr(services, "verify_password", verify_while_probing)
    sign_in(app.test_client(), email)
    assert probes == ["could write"]
    engine.dispose()
