"""The schema the migrations build is the schema the models describe, on both engines; money and time
survive the round trip; trace events chain and refuse forks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.db import Base
from marketplace.models import load_all_models
from marketplace.orders.models import Order, OrderLine
from marketplace.trace.models import EventKind, TraceEvent
from marketplace.trace.services import record_event, verify_chain
from tests import factories


def test_migrations_from_an_empty_database_match_the_models(connection: Connection) -> None:
    load_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})  # column types too, not only names
    assert compare_metadata(context, Base.metadata) == []


def test_the_comparison_sees_a_column_whose_type_drifted(connection: Connection) -> None:
    load_all_models()
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["purchase_order"].c.carrier.type = String(40)  # the migrations made it 80 characters
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    changes = [
        change for group in compare_metadata(context, drifted) for change in (group if isinstance(group, list) else [group])
    ]
    assert [(c[0], c[2], c[3]) for c in changes] == [("modify_type", "purchase_order", "carrier")]


def test_migrations_are_at_head(connection: Connection) -> None:
    from alembic.script import ScriptDirectory

    from marketplace.cli import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert MigrationContext.configure(connection).get_current_revision() == head


def _order(session: Session) -> Order:
    buyer = factories.buyer(session)
    group = factories.producer_group(session)
    order = Order(
        number="LM-2026-00001",
        buyer_id=buyer.organization_id,
        group_id=group.id,
        currency="USD",
        total=Decimal("1234.5678"),
        ship_by=dt.date(2027, 3, 1),
        destination_country="GB",
        lines=[OrderLine(position=1, sku="S-1", description="Sisal basket", quantity=100, unit_price=Decimal("12.3457"))],
    )
    session.add(order)
    session.flush()
    return order


def test_money_and_times_round_trip_exactly(session: Session) -> None:
    order = _order(session)
    session.commit()
    session.expire_all()

    loaded = session.get(Order, order.id)
    assert loaded.total == Decimal("1234.5678") and loaded.lines[0].unit_price == Decimal("12.3457")
    assert loaded.created_at.tzinfo == dt.UTC
    assert loaded.lines[0].subtotal == Decimal("1234.57000")


def test_naive_datetimes_are_refused(session: Session) -> None:
    order = _order(session)
    order.confirmed_at = dt.datetime(2026, 11, 24, 12, 0)  # no zone
    with pytest.raises(Exception, match="naive datetimes are refused"):
        session.flush()


def _event(session: Session, order: Order, step: str, day: int) -> TraceEvent:
    return record_event(
        session,
        order_id=order.id,
        kind=EventKind.OBJECT,
        biz_step=step,
        event_time=dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC),
        read_point="geo:-1.517,37.263",
        what={"quantityList": [{"epcClass": "urn:loom:class:S-1", "quantity": 100, "uom": "EA"}]},
    )


def test_trace_events_form_a_chain_that_shows_tampering(session: Session) -> None:
    order = _order(session)
    first, second, third = (
        _event(session, order, step, day) for step, day in (("commissioning", 1), ("packing", 9), ("shipping", 12))
    )
    session.commit()

    assert (first.sequence, second.prev_hash, third.prev_hash) == (1, first.hash, second.hash)
    assert verify_chain(session, order.id) is None

    second.what = {"quantityList": [{"epcClass": "urn:loom:class:S-1", "quantity": 90, "uom": "EA"}]}
    session.commit()
    assert verify_chain(session, order.id) == 2


def test_two_events_cannot_take_the_same_place_in_a_chain(session: Session) -> None:
    order = _order(session)
    first = _event(session, order, "commissioning", 1)
    fork = TraceEvent(
        order_id=order.id,
        sequence=first.sequence,
        kind=EventKind.OBJECT,
        biz_step="x",
        event_time=first.event_time,
        read_point="x",
        what={},
        why={},
        prev_hash=first.prev_hash,
        hash="f" * 64,
    )
    session.add(fork)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.scalars(select(TraceEvent).where(TraceEvent.order_id == order.id)).all() == []
