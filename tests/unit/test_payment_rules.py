"""How Stripe's words map to Loom's payment states, and money in Stripe's units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.billing.models import PaymentStatus
from payments.gateway import from_minor, to_minor
from payments.settlement import checkout_status, intent_status


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("1800.00"), "USD", 180000),
        (Decimal("12.35"), "EUR", 1235),
        (Decimal("250000"), "UGX", 250000),
        (Decimal("4999"), "RWF", 4999),
        (Decimal("0.01"), "KES", 1),
    ],
)
def test_amounts_go_to_stripe_in_the_currencys_smallest_unit_and_back(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == amount.quantize(Decimal("1") if currency in ("UGX", "RWF") else Decimal("0.01"))


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ({"status": "open", "payment_status": "unpaid"}, PaymentStatus.PENDING),
        ({"status": "complete", "payment_status": "paid"}, PaymentStatus.SUCCEEDED),
        ({"status": "complete", "payment_status": "no_payment_required"}, PaymentStatus.SUCCEEDED),
        ({"status": "complete", "payment_status": "unpaid"}, PaymentStatus.PROCESSING),  # a bank debit still clearing
        ({"status": "expired", "payment_status": "unpaid"}, PaymentStatus.FAILED),
    ],
)
def test_checkout_sessions(session: dict, expected: PaymentStatus) -> None:
    assert checkout_status(session)[0] == expected


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ({"status": "requires_payment_method", "last_payment_error": None}, PaymentStatus.PENDING),
        (
            {"status": "requires_payment_method", "last_payment_error": {"message": "Your card was declined."}},
            PaymentStatus.FAILED,
        ),
        ({"status": "requires_action"}, PaymentStatus.PENDING),
        ({"status": "processing"}, PaymentStatus.PROCESSING),
        ({"status": "succeeded"}, PaymentStatus.SUCCEEDED),
        ({"status": "canceled"}, PaymentStatus.FAILED),
    ],
)
def test_payment_intents(intent: dict, expected: PaymentStatus) -> None:
    assert intent_status(intent)[0] == expected


def test_a_declines_reason_is_kept_for_the_buyer() -> None:
    assert intent_status(
        {"status": "requires_payment_method", "last_payment_error": {"message": "Your card has insufficient funds."}}
    )[1] == ("Your card has insufficient funds.")
