"""Two payouts of one group planned at once on PostgreSQL: the group's fee ledger lock nets each fee once; two refunds of
a sent payout settled at once put the fees they leave unnetted back on the ledger once."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from marketplace.billing.models import Invoice, InvoiceStatus, Payment, PaymentStatus, Payout, PayoutMethod, PayoutStatus, Refund
from marketplace.db import utcnow, write_transaction
from payments import fees
from payments.models import FeeEntry
from payments.refund_settlement import apply_refund
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


def _a_sent_payout_with_a_fee_netted_and_two_refunds(sessions: sessionmaker) -> tuple[int, int, list[int]]:
    """A 1,000.00 USD card deposit whose payout (850.00) went out with a 100.00 fee netted, and two pending refunds."""
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home")
        group = factories.producer_group(session, name="Arraiolos Rug Makers")
        direct, card = (
            session.scalar(select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == "deposit"))
            for order in [factories.accepted_order(session, group, buyer, quantity=50, unit_price="40.00") for _ in range(2)]
        )
        assert card.amount == Decimal("1000.00")
        fees.charge_direct_fee(session, direct, Decimal("100.00"))
        card.status = InvoiceStatus.PAID
        payment = Payment(
            invoice_id=card.id,
            amount=card.amount,
            currency=card.currency,
            status=PaymentStatus.SUCCEEDED,
            provider_ref=f"pi_race_{card.id}",
            idempotency_key=f"race-{card.id}",
        )
        payout = Payout(
            group_id=group.id,
            order_id=card.order_id,
            invoice_id=card.id,
            method=PayoutMethod.STRIPE_TRANSFER,
            amount=Decimal("1000.00"),
            fee=Decimal("50.00"),
            currency=card.currency,
        )
        session.add_all([payment, payout])
        session.flush()
        payout.amount -= Decimal("50.00")
        assert fees.net_into_payout(session, payout) == Decimal("100.00")
        payout.status, payout.reference, payout.sent_at = PayoutStatus.SENT, f"tr_race_{payout.id}", payout.recorded_at
        refunds = [
            Refund(payment_id=payment.id, amount=Decimal(a), currency=card.currency, idempotency_key=f"race-{card.id}-{a}")
            for a in ("500.00", "450.00")
        ]
        session.add_all(refunds)
        session.flush()
        return group.id, payout.id, [r.id for r in refunds]


@pytest.mark.postgres_only
def test_two_refunds_of_a_sent_payout_settled_at_once_put_the_fees_they_leave_unnetted_back_once(
    committed_engine: Engine,
) -> None:
    """500.00 then 450.00 of the 1,000.00 go back at once: together they leave the group 47.50 (50.00 less 5 %), so 52.50
    of the 100.00 netted is owed again. Each refund alone leaves more than 100.00, so a settlement that counts only what
    it read before the other committed releases nothing."""
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    group_id, payout_id, refund_ids = _a_sent_payout_with_a_fee_netted_and_two_refunds(sessions)
    holding = threading.Event()
    errors: list[BaseException] = []

    def settle(refund_id: int, hold: bool) -> None:
        try:
            with sessions() as session, write_transaction(session):
                refund = session.get(Refund, refund_id)
                refund.payment.refunds  # noqa: B018 - what a settlement reads first: the other refund still pending
                if not hold:
                    holding.wait(10)
                apply_refund(session, refund, {"status": "succeeded"}, seen_at=utcnow(), settings=None)
                if hold:
                    holding.set()
                    time.sleep(0.5)  # the other settlement now waits for the payout while this one is not yet committed
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            holding.set()

    first = threading.Thread(target=settle, args=(refund_ids[0], True))
    second = threading.Thread(target=settle, args=(refund_ids[1], False))
    second.start()
    time.sleep(0.2)  # the second has read the refunds (both pending) and waits for the first to hold the payout
    first.start()
    first.join(20)
    second.join(20)
    assert errors == []
    with sessions() as session:
        owed = sum((a for _i, a in fees.owed_per_invoice(session, group_id)), Decimal(0))
        assert owed == Decimal("52.50")
        released = session.scalars(select(FeeEntry.amount).where(FeeEntry.key.like(f"released:{payout_id}:%"))).all()
        assert released == [Decimal("52.50")]
        assert session.get(Payout, payout_id).note.startswith("To recover $850.00 from the group")
