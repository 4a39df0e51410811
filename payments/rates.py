"""Stripe's exchange rate on a transfer, read again later when it could not be read as the transfer was recorded.

Where Stripe says it: a transfer (`tr_…`) makes a payment on the connected account, the transfer's
`destination_payment` (`py_…`); that payment's `balance_transaction`, read as the connected account, holds
the `amount` and `currency` that arrived and Stripe's `exchange_rate` (docs.stripe.com/api/transfers/object,
docs.stripe.com/api/balance_transactions/object). `payouts.send_transfer` reads it at once; when Stripe did not
answer then, or had not booked the balance transaction yet, this outbox job asks again with the outbox's
back-off until Stripe says, and fills in the payout's arrival (amount, currency, rate) once.

Stripe also announces it: the destination payment is a Charge on the group's account, and Stripe sends
`charge.updated` when its balance transaction becomes available (docs.stripe.com/payments/payment-intents/
asynchronous-capture: "listen for the charge.updated event to know when the balance transaction becomes
available"), to a Connect webhook with the event's `account` set; the charge's `source_transfer` names the transfer
(docs.stripe.com/api/charges/object). The webhook reads the payment again as that account, with the balance
transaction expanded (the event carries only its id), and records the rate at once (`apply_arrival`); the outbox
job stays as the fallback for a webhook that never comes, and finds the rate recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Payout, PayoutMethod, PayoutStatus
from marketplace.db import run_write
from marketplace.outbox.events import InvoicePaymentChanged, publish
from marketplace.outbox.worker import PermanentError
from marketplace.producers.taxonomy import is_currency
from payments.gateway import StripeGateway, StripeRefused, from_minor, stripe_id
from payments.models import PayoutAccount

NOT_A_TRANSFER = "not a transfer's payment on a group's account"

Arrival = tuple[Decimal, str, Decimal]


def arrival(transfer: Mapping[str, Any], destination_payment: Mapping[str, Any]) -> tuple[Decimal, str, Decimal] | None:
    """What a transfer became on the group's Stripe account: (amount, currency, rate) when Stripe converted it, else None.

    Read from the destination payment's balance transaction: its `amount` and `currency` are what arrived, and
    `exchange_rate` is Stripe's (an amount in the transfer's currency × rate = the amount that arrived; the
    same sense as Payout.exchange_rate). Stripe gives no rate when nothing was converted.
    """
    balance = destination_payment.get("balance_transaction")
    if not isinstance(balance, Mapping) or balance.get("exchange_rate") is None or not balance.get("currency"):
        return None
    currency = str(balance["currency"]).upper()
    if currency == str(transfer.get("currency") or "").upper() or not is_currency(currency):
        return None
    rate = Decimal(str(balance["exchange_rate"])).quantize(Decimal("0.0001"))  # Payout.exchange_rate keeps four places
    if rate <= 0:
        return None
    return from_minor(abs(int(balance["amount"])), currency), currency, rate


class NotBookedYet(Exception):
    """Stripe has not booked the transfer on the group's account yet (no balance transaction): ask again later."""


def read_arrival(gateway: StripeGateway, transfer: Mapping[str, Any], account_id: str) -> Arrival | None:
    """Ask Stripe what `transfer` became on the group's account: (amount, currency, rate), or None when not converted.

    Raises `NotBookedYet` when the destination payment or its balance transaction is not there yet, and lets
    StripeUnavailable / StripeRefused through: in each case nothing is known yet.
    """
    payment = transfer.get("destination_payment")
    if not payment:
        raise NotBookedYet(f"transfer {transfer.get('id')} has no destination payment yet")
    destination = gateway.destination_payment(stripe_id(payment), account_id)
    if not isinstance(destination.get("balance_transaction"), Mapping):
        raise NotBookedYet(f"payment {stripe_id(payment)} has no balance transaction yet")
    return arrival(transfer, destination)


def fill_rate(session: Session, gateway_for: Callable[[], StripeGateway], payout_id: int) -> str:
    """Outbox job: read the exchange rate of a sent Stripe payout that has none yet, and record it once; say what happened.

    No transaction is held while Stripe is asked. Raises `NotBookedYet` or StripeUnavailable (the outbox asks
    again later) and PermanentError when Stripe refuses (the transfer or account is gone).
    """
    payout = session.get(Payout, payout_id)
    if (
        payout is None
        or payout.method != PayoutMethod.STRIPE_TRANSFER
        or payout.status not in (PayoutStatus.SENT, PayoutStatus.CONFIRMED)
        or payout.sent_amount is not None
        or not payout.reference.startswith("tr_")
    ):
        return "nothing to read"
    account = session.get(PayoutAccount, payout.group_id)
    account_id, transfer_id = (account.stripe_account_id if account else None), payout.reference
    session.commit()  # end the read: nothing is held while Stripe answers
    if not account_id:
        return "the group has no Stripe account any more"
    gateway = gateway_for()
    try:
        arrived = read_arrival(gateway, gateway.transfer(transfer_id), account_id)
    except StripeRefused as error:
        raise PermanentError(f"Stripe refused to show transfer {transfer_id}: {error}") from error
    if arrived is None:
        return f"transfer {transfer_id} arrived unconverted"

    def record(session: Session) -> str:
        payout = session.get(Payout, payout_id, with_for_update=True, populate_existing=True)
        if payout is None or payout.sent_amount is not None:
            return "recorded meanwhile"
        payout.sent_amount, payout.sent_currency, payout.exchange_rate = arrived
        publish(session, InvoicePaymentChanged(payout.invoice))
        return f"arrived as {arrived[0]} {arrived[1]} at {arrived[2]}"

    return run_write(session, record)


def destination_payment_now(gateway: Callable[[], StripeGateway], event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `charge.updated` event's charge as Stripe has it now, read as the group's account with its balance transaction.

    Only a transfer's payment on a connected account (the event's `account` and the charge's `source_transfer` set)
    with a balance transaction is read again; any other charge is returned as the event has it, and Stripe is not
    asked. Called outside any transaction; raises StripeUnavailable (the webhook answers 503 and Stripe delivers
    the event again) or StripeRefused.
    """
    charge = event["data"]["object"]
    if not (event.get("account") and charge.get("source_transfer") and charge.get("balance_transaction")):
        return charge
    if isinstance(charge["balance_transaction"], Mapping):
        return charge  # already expanded
    return gateway().destination_payment(str(charge["id"]), str(event["account"]))


def apply_arrival(session: Session, destination: Mapping[str, Any]) -> str:
    """Record what a transfer became on the group's account from its destination payment (`charge.updated`); say what.

    The payout is the one whose reference is the charge's `source_transfer`, locked; its arrival (amount, currency,
    rate; see `arrival`) is recorded once. A payment whose balance transaction is not there yet, or a transfer that
    was not converted, changes nothing.
    """
    transfer_id = stripe_id(destination.get("source_transfer") or "")
    if not transfer_id:
        return NOT_A_TRANSFER
    payout = session.scalar(select(Payout).where(Payout.reference == transfer_id).with_for_update())
    if payout is None or payout.method != PayoutMethod.STRIPE_TRANSFER:
        return "no matching payout"
    if payout.sent_amount is not None:
        return f"rate of {transfer_id} already recorded"
    if not isinstance(destination.get("balance_transaction"), Mapping):
        return f"{transfer_id} not booked yet; read again from the outbox"
    arrived = arrival({"currency": payout.currency}, destination)
    if arrived is None:
        return f"transfer {transfer_id} arrived unconverted"
    payout.sent_amount, payout.sent_currency, payout.exchange_rate = arrived
    publish(session, InvoicePaymentChanged(payout.invoice))
    return f"arrived as {arrived[0]} {arrived[1]} at {arrived[2]}"
