"""Fixtures: one migrated database per engine (SQLite and PostgreSQL), each test inside a transaction
that is rolled back afterwards, and an app whose sessions join that transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from marketplace import create_app
from marketplace.cli import upgrade_database
from marketplace.db import make_engine
from marketplace.limits import limiter
from marketplace.pagecache import cache

ENGINES = ("sqlite", "postgresql")


def postgres_url() -> str:
    url = os.environ.get("LOOM_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "LOOM_TEST_POSTGRES_URL is not set: run the suite with `make test`, which starts PostgreSQL "
            "(or export it to point at a PostgreSQL database the tests may wipe)."
        )
    return url


def fresh_database(engine_name: str, folder: Path) -> str:
    """Return the URL of an empty database of that engine, migrated to the newest schema."""
    if engine_name == "sqlite":
        url = f"sqlite:///{folder / 'loom-test.db'}"
    else:
        url = postgres_url()
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade_database(url)
    return url


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(engine_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp(f"loom-{engine_name}")
    url = fresh_database(engine_name, folder)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BASE_URL": "https://loom.test",
            # The Odoo double serves http on 127.0.0.1: allowed here explicitly, as an operator would a private network.
            "OUTBOUND_ALLOW_HTTP": True,
            "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
        }
    )
    yield app
    app.extensions["loom.db"]["engine"].dispose()


@pytest.fixture(scope="session")
def engine(app: Flask) -> Engine:
    return app.extensions["loom.db"]["engine"]


@pytest.fixture
def connection(app: Flask, engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that the test's sessions join through savepoints, then rolled back."""
    with engine.connect() as connection:
        transaction = connection.begin()
        original = app.extensions["loom.db"]["sessionmaker"]
        app.extensions["loom.db"]["sessionmaker"] = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield connection
        finally:
            app.extensions["loom.db"]["sessionmaker"] = original
            transaction.rollback()


@pytest.fixture
def session(app: Flask, connection: Connection) -> Iterator[Session]:
    """A session on the test's transaction for setting up data and checking results.

    It is not the app's request session: no app context stays pushed, so each request the test
    client makes gets its own context, `g` and session, as in production.
    """
    with app.extensions["loom.db"]["sessionmaker"]() as session:
        yield session


@pytest.fixture
def client(app: Flask, connection: Connection) -> FlaskClient:
    limiter.reset()  # rate limits count per test: every test client comes from the same address
    with app.app_context():
        cache.clear()  # pages cached by another test: its index, or rows its rollback took back under the same generation
    return app.test_client()


@pytest.fixture
def committed_engine(app: Flask, engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits seen by other connections; the tables are emptied afterwards."""
    yield engine
    from marketplace.db import Base
    from marketplace.models import load_all_models

    load_all_models()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "public_generation":  # the rows the migrations made, as in production
                connection.execute(table.delete())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run PostgreSQL-only behaviour (row locks, SKIP LOCKED) on PostgreSQL alone: deselected, not skipped."""
    keep, drop = [], []
    for item in items:
        on_sqlite = getattr(item, "callspec", None) and item.callspec.params.get("engine_name") == "sqlite"
        (drop if item.get_closest_marker("postgres_only") and on_sqlite else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
