"""Stripe's webhook events: verified, stored once by id, applied in the same transaction, in any order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Payout
from marketplace.db import use_case
from payments.gateway import StripeGateway
from payments.models import PayoutAccount, StripeEvent
from payments.payouts import apply_account, transfer_from_stripe
from payments.rates import apply_arrival, destination_payment_now
from payments.refund_settlement import refund_from_stripe
from payments.settings import Settings
from payments.settlement import apply_checkout, apply_intent, find_payment

Handler = Callable[[Session, Mapping[str, Any], dt.datetime, "Context"], str]
TOLERANCE_SECONDS = 300  # as the stripe library's own check of the signature's age


class MalformedEvent(ValueError):
    """A correctly signed body that is not an event Loom can read; the message says what is missing."""


def read_event(payload: bytes) -> dict[str, Any]:
    """Parse a verified webhook body and check the shape Loom relies on; raise MalformedEvent otherwise.

    An event is an object with a string `id` and `type`, an integer `created` (Unix seconds) and
    `data.object`, itself an object.
    """
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise MalformedEvent("The body is not JSON.") from None
    if not isinstance(event, dict):
        raise MalformedEvent("The body is not a JSON object.")
    if not isinstance(event.get("id"), str) or not event["id"] or len(event["id"]) > 255:
        raise MalformedEvent("The event has no id.")
    if not isinstance(event.get("type"), str) or not event["type"]:
        raise MalformedEvent("The event has no type.")
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < 2**40:
        raise MalformedEvent("The event's created time is not a Unix timestamp.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("The event has no data.object.")
    if event["type"] in HANDLERS and not isinstance(data["object"].get("id"), str):
        raise MalformedEvent("The event's object has no id.")
    return event


def signed_in_the_future(signature_header: str, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether the signature's timestamp (t=) lies further ahead than the tolerance (the library checks only the past)."""
    for item in signature_header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            return int(value) > now + tolerance
    return False


class Context:
    """What an event handler needs beyond the event."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def _checkout(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    payment = find_payment(session, obj)
    if payment is None:
        return "no matching payment"
    return apply_checkout(session, payment, obj, seen_at=seen_at, settings=context.settings)


def _checkout_async(succeeded: bool) -> Handler:
    def handle(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
        payment = find_payment(session, obj)
        if payment is None:
            return "no matching payment"
        # The session itself still reads complete/unpaid on a failed async payment; the event type is the news.
        settled = {**obj, "status": "complete", "payment_status": "paid"} if succeeded else {**obj, "status": "expired"}
        outcome = apply_checkout(session, payment, settled, seen_at=seen_at, settings=context.settings)
        if not succeeded and payment.status.value == "failed":
            payment.failure_reason = "The bank did not complete the payment."
        return outcome

    return handle


def _intent(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    payment = find_payment(session, obj)
    if payment is None:
        return "no matching payment"
    return apply_intent(session, payment, obj, seen_at=seen_at, settings=context.settings)


def _refund(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    return refund_from_stripe(session, obj, seen_at=seen_at, settings=context.settings)


def _charge_refunded(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    refunds = (obj.get("refunds") or {}).get("data") or []
    outcomes = [
        refund_from_stripe(
            session,
            {**r, "payment_intent": r.get("payment_intent") or obj.get("payment_intent")},
            seen_at=seen_at,
            settings=context.settings,
        )
        for r in refunds
    ]
    return "; ".join(outcomes) or "no refunds listed"


def _transfer(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    payout = session.scalar(select(Payout).where(Payout.reference == obj["id"]).with_for_update())
    if payout is None:
        return "no matching payout"
    return "payout reversed" if transfer_from_stripe(session, payout, obj) else "payout unchanged"


def _charge_updated(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    return apply_arrival(session, obj)  # a transfer's payment on a group's account, read again (`reread`)


def _account(session: Session, obj: Mapping[str, Any], seen_at: dt.datetime, context: Context) -> str:
    account = session.scalar(select(PayoutAccount).where(PayoutAccount.stripe_account_id == obj["id"]).with_for_update())
    if account is None:
        return "no matching group"
    return apply_account(session, account, obj)  # the account as Stripe has it now (see `reread`)


# Events whose objects change back and forth (an account's requirements come and go): the event is
# only a nudge, and the object is read again from Stripe before it is applied.
# `charge.updated` of a transfer's payment on a group's account carries only the id of its balance transaction: the
# payment is read again with it expanded, for Stripe's exchange rate (payments.rates); other charges are not read.
REREAD: dict[str, Callable[[Callable[[], StripeGateway], Mapping[str, Any]], Mapping[str, Any]]] = {
    "account.updated": lambda gateway, event: gateway().account(event["data"]["object"]["id"]),
    "charge.updated": destination_payment_now,
}


def reread(event: dict[str, Any], gateway: Callable[[], StripeGateway]) -> dict[str, Any]:
    """The event with its object as Stripe has it now, for the types where order matters; called outside any transaction."""
    fetch = REREAD.get(event["type"])
    if fetch is None:
        return event
    return {**event, "data": {**event["data"], "object": fetch(gateway, event)}}


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout,
    "checkout.session.expired": _checkout,
    "checkout.session.async_payment_succeeded": _checkout_async(True),
    "checkout.session.async_payment_failed": _checkout_async(False),
    "payment_intent.succeeded": _intent,
    "payment_intent.processing": _intent,
    "payment_intent.payment_failed": _intent,
    "payment_intent.canceled": _intent,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "transfer.reversed": _transfer,
    "transfer.updated": _transfer,
    "account.updated": _account,
    "charge.updated": _charge_updated,
}


@use_case
def process_event(session: Session, event: Mapping[str, Any], context: Context) -> str:
    """Apply one verified event, unless it was applied before; returns what was done (stored with the event).

    The event row is inserted first, in the caller's transaction: a second delivery of the same id,
    even a concurrent one, fails on the primary key and its effect is never applied twice.
    """
    if session.get(StripeEvent, event["id"]) is not None:
        return "duplicate: already processed"
    obj = event["data"]["object"]
    created = dt.datetime.fromtimestamp(int(event["created"]), dt.UTC)
    row = StripeEvent(id=event["id"], type=event["type"], object_id=str(obj.get("id", "")), created=created)
    session.add(row)
    session.flush()
    handler = HANDLERS.get(event["type"])
    row.outcome = (handler(session, obj, created, context) if handler else "ignored: Loom does not act on this event type")[:300]
    return row.outcome
