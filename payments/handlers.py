"""Outbox handlers that call Stripe: transfers to groups and refunds to buyers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.worker import PermanentError
from payments.gateway import PaymentsNotConfigured, StripeGateway, gateway_from
from payments.payouts import send_transfer
from payments.refund_settlement import send_refund
from payments.settings import Settings

log = logging.getLogger(__name__)


def _gateway_for(app: Flask) -> Callable[[], StripeGateway]:
    """Stripe, asked for only when there is something to send (without a key that is a dead letter with the reason)."""

    def gateway() -> StripeGateway:
        try:
            return gateway_from(app.config)
        except PaymentsNotConfigured as error:
            raise PermanentError(str(error)) from None

    return gateway


def make_transfer_handler(app: Flask):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `payments.transfer_payout`.

    Send the payout's Connect transfer (`send_transfer`).
    """

    def handle(session: Session, message: OutboxMessage) -> None:
        log.info("payout %s: %s", message.key, send_transfer(session, _gateway_for(app), int(message.key)))

    return handle


def make_refund_handler(app: Flask):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `payments.refund_payment`: ask Stripe for the refund (`send_refund`)."""

    def handle(session: Session, message: OutboxMessage) -> None:
        outcome = send_refund(session, _gateway_for(app), int(message.key), settings=Settings.from_config(app.config))
        log.info("refund %s: %s", message.key, outcome)

    return handle
