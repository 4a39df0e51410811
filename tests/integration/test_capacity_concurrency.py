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
from marketplace.errors import Conflict
from marketplace.orders.models import Order
from marketplace.orders.services import accept_quote
from marketplace.producers.models import CapacityWindow
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from tests import factories


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
            rfq = Rfq(buyer_id=buyer.organization_id, title=f"Baskets for {name}", category="baskets.storage", quantity=800,
                      currency="USD", needed_by=needed_by, destination_country="GB", status=RfqStatus.OPEN,
                      recipients=[RfqRecipient(group_id=group.id)])  # fmt: skip
            quote = Quote(rfq=rfq, group_id=group.id, unit_price=Decimal("9"), currency="USD", quantity=800, lead_time_days=20,
                          valid_until=today + dt.timedelta(days=10), status=QuoteStatus.SUBMITTED)  # fmt: skip
            session.add_all([rfq, quote])
            session.flush()
            quotes.append((buyer.id, quote.id))
    # 11 or 12 full weeks fit before the date: room for one order of 800, not for two.

    first_holds_lock = threading.Event()
    outcomes: dict[str, object] = {}

    def accept(name: str, membership_id: int, quote_id: int, *, hold: bool) -> None:
        with sessions() as session:
            try:
                membership = session.get(Membership, membership_id)
                order = accept_quote(session, membership, quote_id, today=today, deposit_percent=50, base_url="https://loom.test")
                if hold:
                    first_holds_lock.set()
                    time.sleep(0.5)  # the other acceptance is now waiting on the capability's row lock
                session.commit()
                outcomes[name] = order.number
            except Conflict as error:
                session.rollback()
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
