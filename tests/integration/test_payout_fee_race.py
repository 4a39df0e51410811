"""Two payouts of one group planned at once on PostgreSQL: the group's fee ledger lock nets each fee once."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from marketplace.billing.models import Invoice, Payout, PayoutMethod, PayoutStatus
from marketplace.db import write_transaction
from payments import fees
from payments.models import FeeEntry
from tests import factories


def _group_with_a_fee_and_two_payouts(sessions: sessionmaker) -> tuple[int, list[int]]:
    """A group owing a 100.00 USD fee on a direct payment, and two pending Stripe payouts of 950.00 USD."""
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home")
        group = factories.producer_group(session, name="Arraiolos Rug Makers")
        invoices = []
        for _ in range(3):
            order = factories.accepted_order(session, group, buyer, quantity=50, unit_price="40.00")
            invoices.append(session.scalar(select(Invoice).where(Invoice.order_id == order.id)))
        fees.charge_direct_fee(session, invoices[0], Decimal("100.00"))
        payouts = [
            Payout(
                group_id=group.id,
                order_id=i.order_id,
                invoice_id=i.id,
                method=PayoutMethod.STRIPE_TRANSFER,
                amount=Decimal("950.00"),
                fee=Decimal("50.00"),
                currency=i.currency,
            )
            for i in invoices[1:]
        ]
        session.add_all(payouts)
        session.flush()
        return group.id, [p.id for p in payouts]


@pytest.mark.postgres_only
def test_two_payouts_planned_at_once_net_the_fee_once(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    group_id, payout_ids = _group_with_a_fee_and_two_payouts(sessions)
    holding = threading.Event()
    taken: dict[int, Decimal] = {}
    errors: list[BaseException] = []

    def net(payout_id: int, hold: bool) -> None:
        try:
            with sessions() as session, write_transaction(session):
                taken[payout_id] = fees.net_into_payout(session, session.get(Payout, payout_id))
                if hold:
                    holding.set()
                    time.sleep(0.5)  # the other plan now reads the ledger while this one is not yet committed
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            holding.set()

    first = threading.Thread(target=net, args=(payout_ids[0], True))
    second = threading.Thread(target=net, args=(payout_ids[1], False))
    first.start()
    holding.wait(10)
    second.start()
    first.join(20)
    second.join(20)
    assert errors == []
    assert sorted(taken.values()) == [Decimal("0"), Decimal("100.00")]
    with sessions() as session:
        netted = session.scalar(select(func.sum(FeeEntry.amount)).where(FeeEntry.payout_id.in_(payout_ids)))
        assert netted == Decimal("-100.00")
        amounts = sorted(session.get(Payout, p).amount for p in payout_ids)
        assert amounts == [Decimal("850.00"), Decimal("950.00")]
        assert {session.get(Payout, p).status for p in payout_ids} == {PayoutStatus.PENDING}
        owed = sum((a for _i, a in fees.owed_per_invoice(session, group_id)), Decimal(0))
        assert owed == 0
