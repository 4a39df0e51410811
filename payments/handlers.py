"""Outbox handlers that call Stripe: transfers to groups and refunds to buyers."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import Session

from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.worker import PermanentError
from payments.gateway import PaymentsNotConfigured, gateway_from
from payments.services import Settings, send_refund, send_transfer

log = logging.getLogger(__name__)


def make_transfer_handler(app: Flask):  # type: ignore[no-untyped-def]
    def handle(session: Session, message: OutboxMessage) -> None:
        try:
            gateway = gateway_from(app.config)
        except PaymentsNotConfigured as error:
            raise PermanentError(str(error)) from None
        log.info("payout %s: %s", message.key, send_transfer(session, gateway, int(message.key)))

    return handle


def make_refund_handler(app: Flask):  # type: ignore[no-untyped-def]
    def handle(session: Session, message: OutboxMessage) -> None:
        try:
            gateway = gateway_from(app.config)
        except PaymentsNotConfigured as error:
            raise PermanentError(str(error)) from None
        log.info("refund %s: %s", message.key, send_refund(session, gateway, int(message.key), settings=Settings.from_config(app.config)))

    return handle
