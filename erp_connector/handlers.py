"""The Odoo connector's outbox handlers: what the worker runs for `erp.sync_*` messages.

A pool of logged-in clients per worker process, one sync per group at a time (an advisory lock on
PostgreSQL), and one handler per topic, built by `marketplace.bootstrap` with the pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, selectinload

from erp_connector.client import OdooCallError, OdooClient, connect
from erp_connector.fee_bills import FeePosition, sync_fee
from erp_connector.invoicing import sync_invoice, sync_payment
from erp_connector.links import link_of
from erp_connector.models import ErpLink
from erp_connector.sync import NotesSetAside, SyncMismatch, sync_orders, sync_trace
from marketplace.billing.models import Invoice
from marketplace.db import utcnow
from marketplace.orders.models import Order
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.worker import PermanentError

log = logging.getLogger(__name__)


class ClientPool:
    """One logged-in client per link in a worker process (a new login per message would double the calls)."""

    def __init__(self, box_for, timeout_for=lambda: 20.0, policy_for=OutboundPolicy, key_tag_for=lambda: "") -> None:  # type: ignore[no-untyped-def]
        self.box_for = box_for
        self.timeout_for = timeout_for
        self.policy_for = policy_for
        self.key_tag_for = key_tag_for
        self.clients: dict[tuple[int, Any], OdooClient] = {}
        self.lock = threading.Lock()

    def client(self, link: ErpLink) -> OdooClient:
        """Return the pool's logged-in client for `link`, connecting (and logging in) on first use.

        A link checked again gets a new one.
        """
        key = (link.id, link.checked_at)
        with self.lock:
            client = self.clients.get(key)
            if client is None:
                secret = self.box_for().open(link.api_key_encrypted)
                client = connect(
                    link.url,
                    link.database,
                    link.login,
                    secret,
                    protocol=link.protocol,
                    timeout=self.timeout_for(),
                    policy=self.policy_for(),
                    key_tag=self.key_tag_for(),
                )
                self.clients[key] = client
            return client

    def forget(self, link: ErpLink) -> None:
        """Close and drop the client of `link`, so the next message logs in afresh."""
        with self.lock:
            client = self.clients.pop((link.id, link.checked_at), None)
        if client is not None:
            client.close()


class GroupBusy(Exception):
    """Another worker is syncing this group's Odoo right now: try again a little later (the outbox retries it)."""


LOCK_CLASS = 0x4C4F4F4D  # "LOOM": the first key of Loom's advisory locks; the group's id is the second


@contextmanager
def one_sync_per_group(session: Session, group_id: int, *, wait_seconds: float = 30.0) -> Iterator[None]:
    """Hold the group's sync lock while its Odoo is written to, so two workers never make the same record twice.

    PostgreSQL: a session-level advisory lock (as OCA's connector takes), on a connection of its own
    in autocommit, so the handler may commit its bindings as it goes and the lock still holds until
    the end. It waits up to `wait_seconds`, then raises GroupBusy. SQLite has a single writer and
    needs none.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        yield
        return
    # The tests' sessions share one connection inside a rolled-back transaction; production has an Engine.
    connection = bind.connect().execution_options(isolation_level="AUTOCOMMIT") if isinstance(bind, Engine) else bind
    try:
        deadline = time.monotonic() + wait_seconds
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": LOCK_CLASS, "b": group_id}):
            if time.monotonic() > deadline:
                raise GroupBusy(
                    f"Another worker has been syncing this group's Odoo for over {wait_seconds:.0f} s; trying again later."
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            connection.scalar(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": LOCK_CLASS, "b": group_id})
    finally:
        if connection is not bind:
            connection.close()


def _handler(pool: ClientPool, load, run):  # type: ignore[no-untyped-def]
    """An outbox handler: load the Loom record the message names, then `run` it against its group's Odoo.

    One group at a time: the run holds the group's sync lock, and what it wrote (bindings, the batch
    companions marked done) is committed before the lock is let go, so the next worker that takes the
    group reads it.
    """

    def handle(session: Session, message: OutboxMessage) -> None:
        target = load(session, int(message.key))
        if target is None:
            raise PermanentError("The record no longer exists in Loom.")
        link = link_of(session, target.group_id)
        if link is None:
            raise PermanentError("The group disconnected its Odoo; nothing to sync.")
        with one_sync_per_group(session, target.group_id):
            try:
                run(session, pool.client(link), target, message)
            except OdooCallError as error:
                pool.forget(link)  # a fresh login next time
                link.status, link.last_error = "failing", str(error)
                if not error.retryable:
                    raise PermanentError(f"Odoo refused it: {error}") from error
                raise
            except (SyncMismatch, NotesSetAside) as error:
                raise PermanentError(str(error)) from error
            link.status, link.last_error, link.last_synced_at = "connected", None, utcnow()
            session.commit()

    return handle


def _order(session: Session, order_id: int) -> Order | None:
    return session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.lines)))


SYNC_BATCH = 50


def _sync_with_companions(session: Session, client: OdooClient, order: Order, message: OutboxMessage) -> None:
    """Sync the message's order together with the other orders of its group waiting in the outbox.

    Their messages are locked (SKIP LOCKED: another worker keeps what it holds) and marked done in
    this same transaction, so one batch of look-ups and one create serve them all; if the batch
    fails, they stay pending and are tried again on their own.
    """
    now = utcnow()
    companions = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.topic == topics.SYNC_ORDER,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.id != message.id,
            OutboxMessage.payload["group"].as_integer() == order.group_id,
        )
        .order_by(OutboxMessage.id)
        .limit(SYNC_BATCH - 1)
        .with_for_update(skip_locked=True)
    ).all()
    others = {c.id: o for c in companions if (o := _order(session, int(c.key))) is not None}
    try:
        report = sync_orders(session, client, order.group_id, [order, *others.values()])
    except OdooCallError as error:
        if error.retryable or not others:
            raise
        # Odoo refused something for good, perhaps for another order of the batch: this message's order goes
        # alone, and each companion will go alone too, so a refusal is the dead letter of its own order only.
        log.info(
            "a batch of %s orders for group %s was refused (%s); syncing order %s alone",
            len(others) + 1,
            order.group_id,
            error,
            order.id,
        )
        companions, others = [], {}
        report = sync_orders(session, client, order.group_id, [order])
    if order.id in report.problems:
        raise SyncMismatch(report.problems[order.id])  # the batch is undone; the others are tried again on their own
    for companion in companions:
        problem = report.problems.get(others[companion.id].id) if companion.id in others else None
        # A companion whose money differs is a dead letter with its reason, as if it had gone alone.
        companion.status = OutboxStatus.DEAD if problem else OutboxStatus.DONE
        companion.attempts, companion.processed_at, companion.last_error = (
            companion.attempts + 1,
            now,
            (f"PermanentError: {problem}" if problem else None),
        )


def make_sync_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `erp.sync_order`.

    The order (with the group's other waiting orders) as a confirmed or cancelled sale order.
    """
    return _handler(pool, _order, _sync_with_companions)


def make_trace_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `erp.sync_trace`.

    The order's new trace events as a chatter note and an EPCIS attachment.
    """
    return _handler(pool, _order, lambda session, client, order, message: sync_trace(session, client, order.group_id, order))


def make_invoice_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `erp.sync_invoice`.

    The invoice as a posted customer invoice linked to the order's lines.
    """
    return _handler(
        pool,
        lambda session, key: session.get(Invoice, key),
        lambda session, client, invoice, message: sync_invoice(session, client, invoice.group_id, invoice),
    )


def make_payment_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `erp.sync_payment`.

    The invoice's money news (paid, refunded, paid out, void) in the group's Odoo.
    """
    return _handler(
        pool,
        lambda session, key: session.get(Invoice, key),
        lambda session, client, invoice, message: sync_payment(session, client, invoice.group_id, invoice),
    )


def make_fee_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    """Return the outbox handler for `erp.sync_fee`.

    Loom's fee on a directly paid invoice as a posted vendor bill from Loom, its payments and credit notes, brought
    to the position the message carries.
    """
    return _handler(
        pool,
        lambda session, key: session.get(Invoice, key),
        lambda session, client, invoice, message: sync_fee(
            session, client, invoice.group_id, invoice, FeePosition.from_payload(message.payload)
        ),
    )
