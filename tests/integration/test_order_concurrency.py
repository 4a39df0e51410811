"""Two moves of one order at the same moment: one happens, the other is told why not (PostgreSQL, real threads)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts.models import Membership, Role
from marketplace.errors import Conflict
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import move, post_progress
from marketplace.producers.models import CapacityCommitment, CapacityWindow
from marketplace.trace.models import TraceEvent
from marketplace.trace.services import verify_chain
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.postgres_only
TODAY = dt.date.today()


def _two_orders(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Two buyers' orders of 400 units sharing the weeks of one 500-a-week capability."""
    with sessions.begin() as session:
        group = factories.producer_group(session, name="Machakos Sisal Weavers")
        factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
        session.refresh(group)
        maker = factories.member_of(session, group, role=Role.ADMIN)
        first_buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
        other_buyer = factories.buyer(session, name="Casa Verde", role=Role.OWNER)
        order = factories.accepted_order(session, group, first_buyer, quantity=400)
        other = factories.accepted_order(session, group, other_buyer, quantity=400)
        session.flush()
        windows = session.scalars(select(CapacityWindow)).all()
        assert len(windows) >= 1 and any(
            len({c.order_id for c in session.scalars(select(CapacityCommitment).where(CapacityCommitment.window_id == w.id))})
            == 2
            for w in windows
        )
        return {"order": order.id, "other": other.id, "buyer": first_buyer.id, "maker": maker.id}


def _move(
    membership_id: int, order_id: int, to: OrderStatus, *, expected: OrderStatus | None = OrderStatus.CONFIRMED, note: str = ""
):  # type: ignore[no-untyped-def]
    def use_case(session: Session) -> OrderStatus:
        membership = session.get(Membership, membership_id)
        return move(
            session, membership, order_id, to, note=note, today=TODAY, base_url="https://loom.test", expected=expected
        ).status

    return use_case


def _cancelled_events(session: Session, order_id: int) -> int:
    return sum(
        1 for e in session.scalars(select(TraceEvent).where(TraceEvent.order_id == order_id)) if e.why.get("step") == "cancelled"
    )


def test_two_cancellations_at_once_cancel_once_and_leave_the_other_orders_units(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    ids = _two_orders(sessions)
    cancel_as_buyer = _move(ids["buyer"], ids["order"], OrderStatus.CANCELLED, expected=None, note="Store opening moved.")
    cancel_as_group = _move(ids["maker"], ids["order"], OrderStatus.CANCELLED, expected=None, note="Sisal harvest failed.")

    first, second = race(sessions, cancel_as_buyer, cancel_as_group)

    assert first == OrderStatus.CANCELLED
    assert isinstance(second, Conflict) and "An order that is cancelled cannot become cancelled." in str(second)
    with sessions() as session:
        assert session.get(Order, ids["order"]).status == OrderStatus.CANCELLED
        assert _cancelled_events(session, ids["order"]) == 1
        windows = session.scalars(select(CapacityWindow)).all()
        assert sum(w.units_committed for w in windows) == 400  # the other buyer's promised units, all of them
        assert all(0 <= w.units_committed <= w.units_available for w in windows)
        assert {c.order_id for c in session.scalars(select(CapacityCommitment))} == {ids["other"]}


@pytest.mark.parametrize("first_move", ["cancel", "start"])
def test_cancelling_while_production_starts_does_one_of_the_two(committed_engine: Engine, first_move: str) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    ids = _two_orders(sessions)
    cancel = _move(ids["buyer"], ids["order"], OrderStatus.CANCELLED, note="Store opening moved.")
    start = _move(ids["maker"], ids["order"], OrderStatus.IN_PRODUCTION)
    moves = (cancel, start) if first_move == "cancel" else (start, cancel)

    first, second = race(sessions, *moves)

    done = OrderStatus.CANCELLED if first_move == "cancel" else OrderStatus.IN_PRODUCTION
    assert first == done
    assert isinstance(second, Conflict)
    assert f"This order changed from confirmed to {done.value.replace('_', ' ')} since you opened the page" in str(second)
    with sessions() as session:
        assert session.get(Order, ids["order"]).status == done
        events = session.scalars(select(TraceEvent).where(TraceEvent.order_id == ids["order"])).all()
        assert len(events) == 2  # confirmed, then the one move that happened
        committed = sum(w.units_committed for w in session.scalars(select(CapacityWindow)))
        assert committed == (400 if done == OrderStatus.CANCELLED else 800)


def test_two_progress_reports_at_once_extend_the_trace_chain_one_after_the_other(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    ids = _two_orders(sessions)

    def report(percent: int):  # type: ignore[no-untyped-def]
        def use_case(session: Session) -> int:
            membership = session.get(Membership, ids["maker"])
            return post_progress(session, membership, ids["order"], percent=percent, note="Weaving.", photo_path=None).percent

        return use_case

    first, second = race(sessions, report(30), report(40))

    assert (first, second) == (30, 40)
    with sessions() as session:
        events = session.scalars(
            select(TraceEvent).where(TraceEvent.order_id == ids["order"]).order_by(TraceEvent.sequence)
        ).all()
        assert [e.sequence for e in events] == [1, 2, 3]
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]  # one chain, no fork
        assert verify_chain(session, ids["order"]) is None
