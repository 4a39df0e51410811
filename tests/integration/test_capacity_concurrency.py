"""Two buyers accepting quotes at the same moment cannot promise a group more than it can make."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from marketplace.accounts.models import Membership, Role
from marketplace.db import write_transaction
from marketplace.errors import Conflict
from marketplace.orders.models import Order
from marketplace.orders.services import accept_quote
from marketplace.producers import capacity
from marketplace.producers.models import Capability, CapacityWindow
from marketplace.producers.services import remove_capability, set_capacity
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from tests import factories
from tests.concurrency import race


@pytest.mark.postgres_only
def test_concurrent_acceptances_cannot_over_commit_capacity(committed_engine: Engine) -> None:
    today = dt.date.today()
    needed_by = today + dt.timedelta(weeks=12)
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        group = factories.producer_group(session, name="Machakos Sisal Weavers")
        factories.capability(session, group, category="baskets.storage", weekly_capacity=100, lead_time_days=0, moq=1)
        quotes = []
        for name in ("Northwind Home", "Casa Verde"):
            buyer = factories.buyer(session, name=name, role=Role.OWNER)
            rfq = Rfq(
                buyer_id=buyer.organization_id,
                title=f"Baskets for {name}",
                category="baskets.storage",
                quantity=800,
                currency="USD",
                needed_by=needed_by,
                destination_country="GB",
                status=RfqStatus.OPEN,
                recipients=[RfqRecipient(group_id=group.id)],
            )
            quote = Quote(
                rfq=rfq,
                group_id=group.id,
                unit_price=Decimal("9"),
                currency="USD",
                quantity=800,
                lead_time_days=20,
                valid_until=today + dt.timedelta(days=10),
                status=QuoteStatus.SUBMITTED,
            )
            session.add_all([rfq, quote])
            session.flush()
            quotes.append((buyer.id, quote.id))
    # 11 or 12 full weeks fit before the date: room for one order of 800, not for two.

    first_holds_lock = threading.Event()
    outcomes: dict[str, object] = {}

    def accept(name: str, membership_id: int, quote_id: int, *, hold: bool) -> None:
        with sessions() as session:
            try:
                with write_transaction(session):  # accept_quote (a use case) joins it: its locks outlast the hold
                    membership = session.get(Membership, membership_id)
                    order = accept_quote(
                        session, membership, quote_id, today=today, deposit_percent=50, base_url="https://loom.test"
                    )
                    if hold:
                        first_holds_lock.set()
                        time.sleep(0.5)  # the other acceptance is now waiting on the capability's row lock
                outcomes[name] = order.number
            except Conflict as error:
                outcomes[name] = error
            finally:
                first_holds_lock.set()

    first = threading.Thread(target=accept, args=("first", *quotes[0]), kwargs={"hold": True})
    second = threading.Thread(target=accept, args=("second", *quotes[1]), kwargs={"hold": False})
    first.start()
    first_holds_lock.wait(10)
    second.start()
    first.join(20)
    second.join(20)

    assert isinstance(outcomes["first"], str)
    assert isinstance(outcomes["second"], Conflict) and "The group can make" in str(outcomes["second"])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        windows = session.scalars(select(CapacityWindow)).all()
        assert all(w.units_committed <= w.units_available for w in windows)
        assert sum(w.units_committed for w in windows) == 800


def _one_quote_and_a_calendar(sessions: sessionmaker) -> tuple[int, int, int, int, list[dt.date]]:
    """A 100-a-week capability with its next 12 weeks in the calendar, and a buyer's quote for 800 units."""
    today = dt.date.today()
    with sessions.begin() as session:
        group = factories.producer_group(session, name="Machakos Sisal Weavers")
        capability = factories.capability(
            session, group, category="baskets.storage", weekly_capacity=100, lead_time_days=0, moq=1
        )
        weeks = [w.week_start for w in capacity.weeks_ahead(today, 100, {}, weeks=12)]
        session.add_all(
            CapacityWindow(capability=capability, week_start=w, units_available=100, units_committed=0) for w in weeks
        )
        admin = factories.member_of(session, group, role=Role.ADMIN)
        buyer = factories.buyer(session, name="Northwind Home", role=Role.OWNER)
        rfq = Rfq(
            buyer_id=buyer.organization_id,
            title="Baskets",
            category="baskets.storage",
            quantity=800,
            currency="USD",
            needed_by=today + dt.timedelta(weeks=12),
            destination_country="GB",
            status=RfqStatus.OPEN,
            recipients=[RfqRecipient(group_id=group.id)],
        )
        quote = Quote(
            rfq=rfq,
            group_id=group.id,
            unit_price=Decimal("9"),
            currency="USD",
            quantity=800,
            lead_time_days=20,
            valid_until=today + dt.timedelta(days=10),
            status=QuoteStatus.SUBMITTED,
        )
        session.add_all([rfq, quote])
        session.flush()
        return buyer.id, quote.id, admin.id, capability.id, weeks


def _accept(membership_id: int, quote_id: int):  # type: ignore[no-untyped-def]
    def use_case(session):  # type: ignore[no-untyped-def]
        order = accept_quote(
            session,
            session.get(Membership, membership_id),
            quote_id,
            today=dt.date.today(),
            deposit_percent=50,
            base_url="https://loom.test",
        )
        return order.number

    return use_case


@pytest.mark.postgres_only
def test_capacity_set_while_an_acceptance_commits_units_cannot_drop_below_them(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    buyer_id, quote_id, admin_id, capability_id, weeks = _one_quote_and_a_calendar(sessions)

    def close_the_first_weeks(session):  # type: ignore[no-untyped-def]
        return set_capacity(session, session.get(Capability, capability_id).group, capability_id, dict.fromkeys(weeks[:4], 0))

    first, second = race(sessions, _accept(buyer_id, quote_id), close_the_first_weeks)

    assert isinstance(first, str)
    assert isinstance(second, Conflict) and "units promised to orders; it cannot go below that" in str(second)
    with sessions() as session:
        windows = session.scalars(select(CapacityWindow)).all()
        assert sum(w.units_committed for w in windows) == 800
        assert all(w.units_committed <= w.units_available for w in windows)


@pytest.mark.postgres_only
def test_a_capability_removed_while_an_acceptance_commits_units_stays(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    buyer_id, quote_id, admin_id, capability_id, _ = _one_quote_and_a_calendar(sessions)

    def remove(session):  # type: ignore[no-untyped-def]
        return remove_capability(session, session.get(Capability, capability_id).group, capability_id)

    first, second = race(sessions, _accept(buyer_id, quote_id), remove)

    assert isinstance(first, str)
    assert isinstance(second, Conflict) and "Orders are committed against this capability" in str(second)
    with sessions() as session:
        assert session.get(Capability, capability_id) is not None
        assert sum(w.units_committed for w in session.scalars(select(CapacityWindow))) == 800
