"""The demo marketplace: realistic, varied and the same on every run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.cli import main, upgrade_database
from marketplace.demo import CHUNK, ORDER_PATHS, generate_groups, seed_marketplace
from marketplace.orders.models import Order, OrderStatus
from marketplace.outbox.models import OutboxMessage
from marketplace.producers.models import ProducerGroup
from marketplace.sourcing.models import Rfq
from marketplace.trace.services import verify_chain


def test_the_demo_has_many_groups_across_countries_with_people_rfqs_and_orders(session: Session) -> None:
    summary = seed_marketplace(session, groups=72, seed=2026)

    assert summary.groups == 72
    countries = Counter(session.scalars(select(ProducerGroup.country)))
    assert len(countries) >= 6 and {"KE", "IN", "GT", "ET", "PE", "GH", "BD"} <= set(countries)
    statuses = set(session.scalars(select(Order.status)))
    assert statuses == set(OrderStatus)
    assert session.scalar(select(func.count()).select_from(Rfq)) >= 10
    for order_id in session.scalars(select(Order.id)):
        assert verify_chain(session, order_id) is None


def test_the_generator_is_deterministic_and_scales() -> None:
    assert list(generate_groups(30, seed=1)) == list(generate_groups(30, seed=1))
    assert list(generate_groups(30, seed=1)) != list(generate_groups(30, seed=2))
    many = list(generate_groups(2000, seed=1))
    assert len({g["external_ref"] for g in many}) == 2000
    assert len({g["name"] for g in many}) == 2000


def test_orders_fit_each_group_capacity_at_any_size(session: Session) -> None:
    # At 300 groups the scenarios reach a group that cannot make 5 × its minimum order by the date first drawn.
    summary = seed_marketplace(session, groups=300, seed=2026)

    assert (summary.groups, summary.orders) == (300, len(ORDER_PATHS))
    assert set(session.scalars(select(Order.status))) == set(OrderStatus)


def test_a_failed_seed_leaves_the_database_as_it_found_it(session: Session) -> None:
    session.add(User(email="operator@demo.loom", name="Already here", password_hash="x"))  # the seed's operator will clash
    session.commit()

    with pytest.raises(IntegrityError):  # raised after the groups were imported and their products made
        seed_marketplace(session, groups=30, seed=2026)

    assert session.scalar(select(func.count()).select_from(ProducerGroup)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_seed_demo_if_empty_seeds_again_after_a_failed_run(tmp_path: Path) -> None:
    # The command commits, so it runs against a database of its own.
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade_database(url)
    own_app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    info = ScriptInfo(create_app=lambda: own_app)
    engine = own_app.extensions["loom.db"]["engine"]
    with Session(engine) as session:
        session.add(User(email="operator@demo.loom", name="Already here", password_hash="x"))  # the seed's operator will clash
        session.commit()

    failed = CliRunner().invoke(main, ["seed-demo", "--groups", "30", "--if-empty"], obj=info)

    assert isinstance(failed.exception, IntegrityError)  # after the groups were imported and their products made
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ProducerGroup)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        session.execute(delete(User))
        session.commit()

    seeded = CliRunner().invoke(main, ["seed-demo", "--groups", "30", "--if-empty"], obj=info)
    again = CliRunner().invoke(main, ["seed-demo", "--groups", "30", "--if-empty"], obj=info)

    assert seeded.exit_code == 0 and "30 producer groups, 4 buyers, 14 RFQs, 8 orders" in seeded.output
    assert "leaving it as it is" in again.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ProducerGroup)) == 30
    engine.dispose()


def test_the_demo_buyer_has_requests_with_several_quotes_and_each_quoting_group_a_login(session: Session) -> None:
    from marketplace.accounts.models import Membership
    from marketplace.producers.models import Product
    from marketplace.sourcing.models import Quote, RfqStatus

    summary = seed_marketplace(session, groups=72, seed=2026)

    buyer = session.scalar(select(User).where(User.email == "buyer@demo.loom"))
    buyer_org = session.scalar(select(Membership.organization_id).where(Membership.user_id == buyer.id))
    compared = [
        rfq
        for rfq in session.scalars(select(Rfq).where(Rfq.buyer_id == buyer_org, Rfq.status == RfqStatus.OPEN))
        if len(session.scalars(select(Quote).where(Quote.rfq_id == rfq.id)).all()) >= 3
    ]
    assert len(compared) >= 2
    text = str(summary)
    assert "buyer@demo.loom" in text and len(summary.group_logins) >= 3
    for name, email in summary.group_logins:
        assert f"{email}   {name}" in text
    names = session.scalars(select(ProducerGroup.name)).all()
    assert not [n for n in names if any(a == b for a, b in zip(n.split(), n.split()[1:], strict=False))]  # no "Krobo Krobo"
    assert not [sku for sku in session.scalars(select(Product.sku)) if "--" in sku]  # no "KITUI-SISAL--01"


def test_no_statement_of_the_seed_grows_with_the_number_of_groups(session: Session) -> None:
    """The seed reads and changes the groups in chunks; a query binding one value per group fails past SQLite's
    32,766 bound values (PostgreSQL's 65,535), so `seed-demo --groups 100000` would roll back after its import."""
    widest: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT"):
            return  # rows inserted in batches of SQLAlchemy's page size, whatever the number of groups
        many = isinstance(parameters, (list, tuple)) and parameters and isinstance(parameters[0], (list, tuple, dict))
        rows = parameters if many else [parameters or ()]
        widest.append(max(len(row) for row in rows))

    groups = CHUNK + 100
    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        summary = seed_marketplace(session, groups=groups, seed=2026)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)

    assert summary.groups == groups
    assert max(widest) <= CHUNK
