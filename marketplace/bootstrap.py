"""The composition root: the one module that knows both the marketplace core and its adapters.

At start-up (`create_app` calls `bootstrap`; the CLI gets its app from `create_app`) it subscribes the
adapters to the events the core publishes (`marketplace.outbox.events`), and builds the outbox worker's
handler registry, retry policy and sessions from the app's configuration. Nothing else under
`marketplace/` imports `erp_connector`, `payments` or `search` indexing; to add an adapter, subscribe
it to the events it cares about here and register the outbox handlers that make its outside calls.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, current_app

from erp_connector import subscribers as erp
from erp_connector.handlers import (
    ClientPool,
    make_fee_handler,
    make_invoice_handler,
    make_payment_handler,
    make_sync_handler,
    make_trace_handler,
)
from marketplace.mail.handlers import make_mail_handler
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import events, topics
from marketplace.outbox.worker import Chore, HandlerRegistry, RetryPolicy, Worker
from marketplace.pagecache import ShownThrough, after_public_change, shown_through
from marketplace.producers import counts
from marketplace.producers import services as producers
from marketplace.producers.handlers import make_import_handler
from marketplace.reputation import shown
from marketplace.secrets import SecretBox
from marketplace.trace import subscribers as trace
from marketplace.uploads import sweep_staged
from payments import subscribers as payments
from payments.handlers import make_rate_handler, make_refund_handler, make_transfer_handler
from search import subscribers as search
from search.backends import make_index
from search.handlers import make_index_handler


def bootstrap(app: Flask) -> None:
    """Attach the search index (`app.extensions["loom.search"]`), wire the event subscribers (once per process)
    and register the app's outbox handlers (`app.extensions["loom.outbox"]`)."""
    app.extensions["loom.search"] = make_index(app.config)
    counts.watch_sessions()
    after_public_change(counts.recount_when_changed)  # the home page's counts, kept as groups and capabilities change
    # Orders, requests, quotes and messages change the cached pages only through the measured record as shown.
    shown_through(ShownThrough(shown.RECORD_TABLES, shown.groups_of, shown.refresh))
    wire_subscribers(events.bus)
    init_outbox(app)


def wire_subscribers(bus: events.EventBus) -> None:
    """Subscribe the adapters (and the core's own packages) to the core's events, replacing any earlier wiring; subscribers run in
    this order."""
    bus.reset()
    bus.subscribe(events.OrganizationSignedUp, producers.open_group)
    bus.subscribe(events.AddressConfirmed, producers.list_confirmed_groups)
    bus.subscribe(events.GroupChanged, search.reindex_group)
    bus.subscribe(events.GroupRecordChanged, search.reindex_record)
    bus.subscribe(events.OrderConfirmed, erp.sync_order)
    bus.subscribe(events.OrderCancelled, payments.settle_cancelled_order)  # its refunds and voids come first,
    bus.subscribe(events.OrderCancelled, erp.sync_order)  # then the Odoo sale order's cancellation
    bus.subscribe(events.OrderTraced, erp.sync_trace)
    bus.subscribe(events.OrderTraced, trace.record_step)  # the step joins the chain in the same transaction
    bus.subscribe(events.InvoiceIssued, erp.sync_invoice)
    bus.subscribe(events.InvoicePaymentChanged, erp.sync_payment)
    bus.subscribe(events.DirectFeeChanged, erp.sync_fee)  # Loom's fee as a vendor bill in the group's Odoo
    bus.wired = True


def init_outbox(app: Flask) -> None:
    """Register one handler per outbox topic, each given what it needs from the app's configuration."""
    registry = HandlerRegistry()
    registry.register(topics.SEND_MAIL, make_mail_handler(app))
    registry.register(topics.INDEX_GROUP, make_index_handler(lambda: app.extensions["loom.search"]))
    pool = ClientPool(
        lambda: SecretBox(app.config["SECRETS_KEY"]),
        lambda: float(app.config["ERP_TIMEOUT_SECONDS"]),
        lambda: OutboundPolicy.from_config(app.config),
        lambda: app.config["ERP_INSTANCE_TAG"],
    )
    registry.register(topics.SYNC_ORDER, make_sync_handler(pool))
    registry.register(topics.SYNC_TRACE, make_trace_handler(pool))
    registry.register(topics.SYNC_INVOICE, make_invoice_handler(pool))
    registry.register(topics.SYNC_PAYMENT, make_payment_handler(pool))
    registry.register(topics.SYNC_FEE, make_fee_handler(pool))
    registry.register(topics.TRANSFER_PAYOUT, make_transfer_handler(app))
    registry.register(topics.REFUND_PAYMENT, make_refund_handler(app))
    registry.register(topics.READ_TRANSFER_RATE, make_rate_handler(app))
    registry.register(topics.IMPORT_GROUPS, make_import_handler(lambda: Path(app.config["UPLOAD_DIR"])))
    app.extensions["loom.outbox"] = registry


def worker_for(app: Flask | None = None) -> Worker:
    """Build a worker over `app`'s sessions and handlers (the current app when None), with its configured retry policy."""
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
        chores=[
            Chore(
                "sweep staged uploads",
                config["STAGED_SWEEP_SECONDS"],
                lambda: sweep_staged(
                    Path(config["UPLOAD_DIR"]), older_than=dt.timedelta(seconds=config["STAGED_MAX_AGE_SECONDS"])
                ),
            )
        ],
    )
