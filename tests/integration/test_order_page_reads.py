"""The order page reads the order, its lines, progress and invoices in one statement (`orders.services.order_page`):
each collection whole, once and in its own order, as `order_for` and `invoices_of` give them, for either party only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.billing.models import InvoiceKind
from marketplace.billing.services import invoices_of, issue_invoice
from marketplace.errors import NotFound
from marketplace.orders import services
from marketplace.orders.models import OrderLine
from tests import factories


@pytest.fixture
def busy_order(session: Session) -> dict[str, Any]:
    """An order with three lines (added out of their positions), four progress reports and two invoices."""
    buyer = factories.buyer(session)
    group = factories.producer_group(session, name="Kitui Sisal Weavers")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer, quantity=40)
    for position in (3, 2):
        order.lines.append(
            OrderLine(position=position, sku=f"SKU-{position}", description=f"Line {position}", quantity=5, unit_price=Decimal(2))
        )
    session.flush()
    for percent in (10, 40, 30, 90):
        services.post_progress(
            session, admin, order.id, percent=percent, note=f"{percent} %", photo_path=None, reason="a batch failed"
        )
    issue_invoice(session, order, kind=InvoiceKind.BALANCE, amount=Decimal("10.00"))
    session.commit()
    return {"buyer": buyer, "admin": admin, "order_id": order.id}


def test_the_order_page_reads_each_collection_whole_once_and_in_order_in_one_statement(
    session: Session, connection: Connection, busy_order: dict[str, Any]
) -> None:
    order_id = busy_order["order_id"]
    session.expunge_all()
    expected = services.order_for(session, busy_order["buyer"], order_id)
    lines = [(line.id, line.position) for line in expected.lines]
    progress = [(update.id, update.percent) for update in expected.progress]
    invoices = [invoice.id for invoice in invoices_of(session, order_id)]
    assert [position for _id, position in lines] == [1, 2, 3] and [p for _id, p in progress] == [10, 40, 30, 90]
    assert len(invoices) == 2
    session.expunge_all()  # as a request of its own: nothing loaded yet

    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "SAVEPOINT" not in statement:  # the test's own transaction bookkeeping
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        for party in (busy_order["buyer"], busy_order["admin"]):
            session.expunge_all()
            statements.clear()
            order, shown = services.order_page(session, party, order_id)
            assert [(line.id, line.position) for line in order.lines] == lines
            assert [(update.id, update.percent) for update in order.progress] == progress
            assert [invoice.id for invoice in shown] == invoices
            assert order.buyer.name and order.group.organization.name  # both parties, loaded with it
            assert len(statements) == 1, statements
    finally:
        event.remove(connection, "before_cursor_execute", seen)


def test_the_order_page_is_only_its_parties(session: Session, busy_order: dict[str, Any]) -> None:
    stranger = factories.buyer(session, name="Elsewhere Ltd")
    with pytest.raises(NotFound):
        services.order_page(session, stranger, busy_order["order_id"])
    with pytest.raises(NotFound):
        services.order_page(session, None, busy_order["order_id"])
    with pytest.raises(NotFound):
        services.order_page(session, busy_order["buyer"], busy_order["order_id"] + 1000)
