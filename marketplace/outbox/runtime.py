"""The app's outbox worker: its handlers, retry policy and sessions, built from configuration."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from erp_connector.services import ClientPool, make_invoice_handler, make_payment_handler, make_sync_handler, make_trace_handler
from marketplace.mail import make_mail_handler
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import topics
from marketplace.outbox.worker import HandlerRegistry, RetryPolicy, Worker
from marketplace.producers.imports import make_import_handler
from marketplace.secrets import SecretBox
from payments.handlers import make_refund_handler, make_transfer_handler
from search.indexing import make_index_handler


def init_outbox(app: Flask) -> None:
    registry = HandlerRegistry()
    registry.register(topics.SEND_MAIL, make_mail_handler(app))
    registry.register(topics.INDEX_GROUP, make_index_handler(lambda: app.extensions["loom.search"]))
    pool = ClientPool(lambda: SecretBox(app.config["SECRETS_KEY"]), lambda: float(app.config["ERP_TIMEOUT_SECONDS"]),
                      lambda: OutboundPolicy.from_config(app.config), lambda: app.config["ERP_INSTANCE_TAG"])  # fmt: skip
    registry.register(topics.SYNC_ORDER, make_sync_handler(pool))
    registry.register(topics.SYNC_TRACE, make_trace_handler(pool))
    registry.register(topics.SYNC_INVOICE, make_invoice_handler(pool))
    registry.register(topics.SYNC_PAYMENT, make_payment_handler(pool))
    registry.register(topics.TRANSFER_PAYOUT, make_transfer_handler(app))
    registry.register(topics.REFUND_PAYMENT, make_refund_handler(app))
    registry.register(topics.IMPORT_GROUPS, make_import_handler(lambda: Path(app.config["UPLOAD_DIR"])))
    app.extensions["loom.outbox"] = registry


def worker_for(app: Flask | None = None) -> Worker:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    return Worker(
        app.extensions["loom.db"]["sessionmaker"],
        app.extensions["loom.outbox"],
        RetryPolicy(
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            base_seconds=config["OUTBOX_BACKOFF_SECONDS"],
            max_seconds=config["OUTBOX_BACKOFF_MAX_SECONDS"],
        ),
        lease_seconds=config["OUTBOX_LEASE_SECONDS"],
    )
