"""Webhook deliveries racing each other on PostgreSQL: one effect, whatever the timing."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from marketplace.accounts.models import Membership
from marketplace.billing.models import Invoice, Payment, PaymentStatus, Payout
from marketplace.db import write_transaction
from payments.checkout import begin_payment
from payments.models import StripeEvent
from payments.settings import Settings
from payments.webhooks import Context, process_event
from tests import factories

SETTINGS = Settings(base_url="https://loom.test", fee_percent=Decimal("5"), payout_countries=frozenset({"PT"}))


def _paying(sessions: sessionmaker) -> int:
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home")
        group = factories.producer_group(session, name="Machakos Sisal Weavers")
        order = factories.accepted_order(session, group, buyer)
        invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        payment = begin_payment(session, session.get(Membership, buyer.id), invoice.id, now=dt.datetime.now(dt.UTC))
        payment.checkout_ref = f"cs_test_race_{payment.id}"
        return payment.id


def _event(event_id: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "data": {"object": obj}}


def _race(sessions: sessionmaker, first: dict[str, Any], second: dict[str, Any]) -> dict[str, object]:
    """Apply `first` and hold its transaction open while `second` is applied, then commit both."""
    holding = threading.Event()
    outcomes: dict[str, object] = {}

    def apply(name: str, event: dict[str, Any], hold: bool) -> None:
        with sessions() as session:
            try:
                with write_transaction(session):  # process_event (a use case) joins it: its locks outlast the hold
                    outcome = process_event(session, event, Context(SETTINGS))
                    if hold:
                        holding.set()
                        time.sleep(0.5)  # the other delivery now waits on this one's row locks
                outcomes[name] = outcome
            except IntegrityError as error:
                outcomes[name] = error
            finally:
                holding.set()

    a = threading.Thread(target=apply, args=("first", first, True))
    b = threading.Thread(target=apply, args=("second", second, False))
    a.start()
    holding.wait(10)
    b.start()
    a.join(20)
    b.join(20)
    return outcomes


@pytest.mark.postgres_only
def test_the_same_event_delivered_twice_at_once_is_applied_once(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    payment_id = _paying(sessions)
    completed = {
        "id": f"cs_test_race_{payment_id}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_race_1",
    }
    outcomes = _race(
        sessions,
        _event("evt_race_1", "checkout.session.completed", completed),
        _event("evt_race_1", "checkout.session.completed", completed),
    )
    assert "pending → succeeded" in str(outcomes["first"])
    assert isinstance(outcomes["second"], IntegrityError)  # the view answers this one 200 "duplicate"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StripeEvent)) == 1
        assert session.scalar(select(func.count()).select_from(Payout)) == 1


@pytest.mark.postgres_only
def test_two_events_about_one_payment_at_once_plan_one_payout(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    payment_id = _paying(sessions)
    completed = {
        "id": f"cs_test_race_{payment_id}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_race_2",
    }
    succeeded = {
        "id": "pi_test_race_2",
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"loom_payment": str(payment_id)},
    }
    outcomes = _race(
        sessions,
        _event("evt_race_2", "checkout.session.completed", completed),
        _event("evt_race_3", "payment_intent.succeeded", succeeded),
    )
    assert "pending → succeeded" in str(outcomes["first"]) and "already succeeded" in str(outcomes["second"])
    with sessions() as session:
        assert session.get(Payment, payment_id).status == PaymentStatus.SUCCEEDED
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
        assert session.scalar(select(func.count()).select_from(StripeEvent)) == 2


@pytest.mark.postgres_only
def test_two_clicks_on_pay_at_once_start_one_attempt(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        buyer = factories.buyer(session, name="Northwind Home")
        order = factories.accepted_order(session, factories.producer_group(session, name="Machakos Sisal Weavers"), buyer)
        invoice_id, buyer_id = session.scalar(select(Invoice.id).where(Invoice.order_id == order.id)), buyer.id
    holding = threading.Event()
    attempts: dict[str, object] = {}

    def click(name: str, hold: bool) -> None:
        with sessions() as session:
            try:
                payment = begin_payment(session, session.get(Membership, buyer_id), invoice_id, now=dt.datetime.now(dt.UTC))
                if hold:
                    holding.set()
                    time.sleep(0.5)  # the other click now waits on the invoice's row lock
                session.commit()
                attempts[name] = payment.idempotency_key
            except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
                attempts[name] = error
            finally:
                holding.set()

    first = threading.Thread(target=click, args=("first", True))
    second = threading.Thread(target=click, args=("second", False))
    first.start()
    holding.wait(10)
    second.start()
    first.join(20)
    second.join(20)
    assert isinstance(attempts["first"], str) and attempts["first"] == attempts["second"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice_id)) == 1
