"""Statements with different columns read in one round trip (`marketplace.db.side_by_side`), on both engines: each
statement's rows come back in its own columns with its own types (issue 19: the profile page reads the group and its
record this way)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Date, Integer, Numeric, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from marketplace.db import rows_of, side_by_side, str_enum
from marketplace.orders.models import OrderStatus
from marketplace.producers.models import Capability, CapacityWindow, ProducerGroup
from marketplace.sourcing.models import RfqStatus
from tests import factories
from tests.integration.test_query_counts import counted


def test_each_statement_keeps_its_columns_and_types(session: Session, connection: Connection) -> None:
    group = factories.producer_group(session, name="Kitui Weavers", languages=["Kamba"], verified=True)
    capability = factories.capability(session, group, price_min=Decimal("8.25"), moq=40)
    monday = dt.date(2031, 3, 3)
    session.add(CapacityWindow(capability=capability, week_start=monday, units_available=70))
    session.flush()
    groups = select(
        literal_column("1", Integer).label("kind"), ProducerGroup.name, ProducerGroup.languages, ProducerGroup.verified
    ).where(ProducerGroup.id == group.id)
    details = union_all(
        select(literal_column("5", Integer), Capability.price_min, cast(null(), Date), Capability.moq).where(
            Capability.group_id == group.id
        ),
        select(literal_column("6", Integer), null(), CapacityWindow.week_start, CapacityWindow.units_available).where(
            CapacityWindow.capability_id == capability.id
        ),
    )
    statement, (first, second) = side_by_side(groups, details)

    with counted(connection) as seen:
        rows = session.execute(statement).all()

    assert len(seen) == 1
    assert (first, second) == ((0, 1, 2, 3), (4, 5, 6, 7))  # no column of the second has a type of the first's
    assert rows_of(rows, first) == [(1, "Kitui Weavers", ["Kamba"], True)]
    assert sorted(rows_of(rows, second), key=lambda row: row[0]) == [(5, Decimal("8.2500"), None, 40), (6, None, monday, 70)]


def test_without_statements_there_is_nothing_to_put_side_by_side() -> None:
    with pytest.raises(ValueError, match="at least one"):
        side_by_side()


def test_a_column_without_a_type_is_refused() -> None:
    # PostgreSQL resolves a UNION's types two branches at a time: two NULLs of no type make text, then an integer fails.
    with pytest.raises(ValueError, match="needs a type"):
        side_by_side(select(ProducerGroup.id), select(literal_column("1"), ProducerGroup.name))


def test_columns_of_one_type_share_a_position(session: Session, connection: Connection) -> None:
    """A statement's columns take the positions of an earlier statement's columns of the same type: fewer columns for
    PostgreSQL to project in every branch (issue 19). Each statement's first column stays its own."""
    group = factories.producer_group(session, name="Kitui Weavers", languages=["Kamba"])
    capability = factories.capability(session, group, title="Sisal baskets", moq=40)
    groups = select(literal_column("1", Integer).label("kind"), ProducerGroup.name, ProducerGroup.artisan_count).where(
        ProducerGroup.id == group.id
    )
    capabilities = select(literal_column("2", Integer), Capability.moq, Capability.title, Capability.price_min).where(
        Capability.id == capability.id
    )
    statement, (first, second) = side_by_side(groups, capabilities)

    rows = session.execute(statement).all()

    assert (first, second) == ((0, 1, 2), (3, 2, 1, 4))
    assert len(statement.selects[0].selected_columns) == 5
    assert rows_of(rows, first) == [(1, "Kitui Weavers", group.artisan_count)]
    assert rows_of(rows, second) == [(2, 40, "Sisal baskets", capability.price_min)]


def test_columns_read_otherwise_keep_positions_of_their_own(session: Session) -> None:
    """Two enums of other values, or numerics of other scales, never share a position: each is read by its own type
    (an order's status read as a request's would not be one of its values; SQLite's decimals are read to their scale)."""
    orders = select(
        literal_column("1", Integer).label("kind"),
        literal_column("'confirmed'", str_enum(OrderStatus, "order_status")).label("status"),
        literal_column("1.235", Numeric(10, 3)).label("weight"),
    )
    requests = select(
        literal_column("2", Integer),
        literal_column("'draft'", str_enum(RfqStatus, "rfq_status")),
        literal_column("1.5", Numeric(12, 2)),
    )
    statement, (first, second) = side_by_side(orders, requests)

    rows = session.execute(statement).all()

    assert (first, second) == ((0, 1, 2), (3, 4, 5))
    assert rows_of(rows, first) == [(1, OrderStatus.CONFIRMED, Decimal("1.235"))]
    assert rows_of(rows, second) == [(2, RfqStatus.DRAFT, Decimal("1.50"))]
