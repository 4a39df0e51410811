"""While the worker waits for Stripe (a transfer, a refund), it holds no transaction and no row lock:
another connection — an operator, a webhook — can lock and change the payout or refund row meanwhile,
and the worker records Stripe's answer afterwards without undoing that change. PostgreSQL, stripe-mock."""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts.models import Membership
from marketplace.billing.models import Invoice, Payment, Payout, PayoutMethod, PayoutStatus, Refund, RefundStatus
from payments import payouts
from payments.checkout import begin_payment
from payments.gateway import StripeGateway
from payments.models import PayoutAccount
from payments.refund_settlement import send_refund
from payments.refunds import request_refund
from payments.settings import Settings
from payments.settlement import apply_checkout
from tests import factories

SETTINGS = Settings(base_url="https://loom.test", fee_percent=Decimal("5"), payout_countries=frozenset({"PT"}))


class GatewayThatWaits(StripeGateway):
    """Stripe (stripe-mock) whose transfers and refunds wait until the test lets them go: a slow answer."""

    def __init__(self) -> None:
        upstream = os.environ.get("LOOM_TEST_STRIPE_URL")
        if not upstream:
            pytest.fail("LOOM_TEST_STRIPE_URL is not set: run the tests with `make test`, which starts stripe-mock")
        super().__init__("sk_test_loom", api_base=upstream, network_retries=0, timeout=10)
        self.calling, self.answer = threading.Event(), threading.Event()

    def _wait(self) -> None:
        self.calling.set()
        assert self.answer.wait(20), "the test never let Stripe answer"

    def create_transfer(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        self._wait()
        return super().create_transfer(params, idempotency_key=idempotency_key)

    def create_refund(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        self._wait()
        return super().create_refund(params, idempotency_key=idempotency_key)


def _paid(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A Portuguese group's order whose deposit the buyer paid: (payment id, payout id); the payout goes by Stripe transfer."""
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home")
        group = factories.producer_group(session, name="Oficina do Vime", country="PT")
        session.add(
            PayoutAccount(
                group_id=group.id, method=PayoutMethod.STRIPE_TRANSFER, stripe_account_id="acct_portugal", transfers_active=True
            )
        )
        order = factories.accepted_order(session, group, buyer)
        invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        payment = begin_payment(session, session.get(Membership, buyer.id), invoice.id, now=dt.datetime.now(dt.UTC))
        checkout = {
            "id": f"cs_test_wait_{payment.id}",
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": f"pi_test_wait_{payment.id}",
        }
        apply_checkout(session, payment, checkout, seen_at=dt.datetime.now(dt.UTC), settings=SETTINGS)
        session.flush()
        payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
        return payment.id, payout.id


def _while_stripe_answers(engine: Engine, gateway: GatewayThatWaits, job, changes: list[tuple[str, int]]) -> object:  # type: ignore[no-untyped-def]
    """Run `job` in a worker thread; while its Stripe call waits, lock each row NOWAIT from another connection and change it."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["value"] = job()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcome["value"] = error

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert gateway.calling.wait(20), "the worker never called Stripe"
        with engine.connect() as other:
            for change, row_id in changes:
                table = change.split()[1]
                other.execute(
                    text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id}
                )  # fails if the worker holds it
                other.execute(text(change), {"id": row_id})
            other.commit()
    finally:
        gateway.answer.set()
        worker.join(30)
    assert not worker.is_alive()
    return outcome["value"]


@pytest.mark.postgres_only
def test_a_transfer_in_flight_holds_no_lock_on_the_payout(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    _, payout_id = _paid(sessions)
    gateway = GatewayThatWaits()

    def job() -> str:
        with sessions() as session:
            return payouts.send_transfer(session, lambda: gateway, payout_id)

    outcome = _while_stripe_answers(
        committed_engine, gateway, job, [("UPDATE payout SET note = 'Checked by the operator' WHERE id = :id", payout_id)]
    )

    assert str(outcome).startswith("sent as tr_")
    with sessions() as session:
        payout = session.get(Payout, payout_id)
        assert payout.status == PayoutStatus.SENT and payout.reference.startswith("tr_")
        assert payout.note == "Checked by the operator"  # the other connection's change stands


@pytest.mark.postgres_only
def test_a_refund_in_flight_holds_no_lock_on_the_refund_or_the_payout(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    payment_id, payout_id = _paid(sessions)
    with sessions.begin() as session:
        refund = request_refund(
            session, session.get(Payment, payment_id), reason="Two baskets arrived damaged.", amount=Decimal("10.00")
        )
        refund_id = refund.id
    gateway = GatewayThatWaits()

    def job() -> str:
        with sessions() as session:
            return send_refund(session, lambda: gateway, refund_id, settings=SETTINGS)

    outcome = _while_stripe_answers(
        committed_engine,
        gateway,
        job,
        [
            ("UPDATE refund SET reason = 'Two baskets arrived crushed.' WHERE id = :id", refund_id),
            ("UPDATE payout SET note = 'Checked by the operator' WHERE id = :id", payout_id),
        ],
    )

    assert str(outcome).startswith("refund re_")
    with sessions() as session:
        refund = session.get(Refund, refund_id)
        assert refund.provider_ref.startswith("re_") and refund.status == RefundStatus.SUCCEEDED
        assert refund.reason == "Two baskets arrived crushed."  # the other connection's change stands
