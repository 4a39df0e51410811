"""Connecting a group's Odoo, and the outbox handler that keeps it in step with Loom."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from erp_connector.client import OdooCallError, OdooClient, connect
from erp_connector.models import ErpLink
from erp_connector.sync import sync_invoice, sync_orders, sync_payment, sync_trace
from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_role
from marketplace.billing.models import Invoice
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.orders.models import Order
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import PermanentError
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox

REQUIRED_MODULES = ("sale", "account")
PROTOCOLS = ("auto", "jsonrpc", "xmlrpc", "json2")


@dataclass
class ConnectionCheck:
    ok: bool
    message: str
    server_version: str | None = None
    protocol: str | None = None
    refused: bool = False  # the address itself is not allowed: nothing was called, nothing should be saved


def check_connection(
    url: str, database: str, login: str, api_key: str, protocol: str, *, policy: OutboundPolicy, timeout: float = 10
) -> ConnectionCheck:
    """Try the connection as a person would want it explained: unreachable, not Odoo, wrong database, bad key, missing modules.

    The messages are Loom's own words: nothing the remote server sent is repeated (it could be any
    service the address leads to).
    """
    try:
        client = connect(url, database, login, api_key, protocol=protocol, timeout=timeout, policy=policy)
    except OdooCallError as error:
        if error.name == "refused":
            return ConnectionCheck(False, str(error), refused=True)
        if error.name == "transport":
            return ConnectionCheck(False, "Loom could not connect to the server at that address: check the address and that the server is running.")
        if error.name == "not-odoo" or error.name.startswith("http."):
            return ConnectionCheck(False, "The server at that address is not an Odoo server. Check the address (the one you open Odoo at).")
        if error.name == "protocol":
            return ConnectionCheck(False, f"{error} Choose another protocol.")
        if error.name == "psycopg2.OperationalError" or "database" in str(error).lower():
            return ConnectionCheck(False, f"Wrong database: the server has no database called {database!r}. Check the name on Odoo's database manager page.")
        return ConnectionCheck(False, "Odoo refused the login or API key. Check the login and make a new API key if needed.")
    try:
        installed = {row["name"] for row in client.search_read("ir.module.module", [["name", "in", list(REQUIRED_MODULES)], ["state", "=", "installed"]], ["name"])}
        missing = [m for m in REQUIRED_MODULES if m not in installed]
        if missing:
            return ConnectionCheck(False, f"Connected, but these Odoo apps are not installed: {', '.join(missing)}. Install them, then test again.")
        client.search_read("sale.order", [], ["id"], limit=1)
    except OdooCallError:
        return ConnectionCheck(False, "Connected, but this user may not read sales orders. Give the user Sales / Administrator rights.")
    finally:
        client.close()
    return ConnectionCheck(True, f"Connected to Odoo {client.server.version} over {client.protocol}.", client.server.version, client.protocol)


def save_link(
    session: Session, membership: Membership | None, group: ProducerGroup, *, url: str, database: str, login: str, api_key: str,
    protocol: str, check: ConnectionCheck, box: SecretBox,
) -> ErpLink:  # fmt: skip
    require_role(membership, Role.ADMIN)
    if protocol not in PROTOCOLS:
        raise DomainError("Choose a protocol from the list.", field="protocol")
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id)) or ErpLink(group_id=group.id)
    link.url, link.database, link.login, link.protocol = url.rstrip("/"), database, login, protocol
    if api_key:
        link.api_key_encrypted = box.seal(api_key)
    link.status = "connected" if check.ok else "failing"
    link.server_version = check.server_version
    link.last_error = None if check.ok else check.message
    link.checked_at = utcnow()
    session.add(link)
    session.flush()
    return link


def link_of(session: Session, group_id: int) -> ErpLink | None:
    return session.scalar(select(ErpLink).where(ErpLink.group_id == group_id))


def announce_order(session: Session, order: Order) -> None:
    """Queue the order for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_ORDER, order.id, {"group": order.group_id}, coalesce=True)


def announce_invoice(session: Session, invoice: Invoice) -> None:
    """Queue the invoice for the group's Odoo, if the group connected one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_INVOICE, invoice.id, {"group": invoice.group_id})


def announce_payment(session: Session, invoice: Invoice) -> None:
    """Queue an invoice's money news (paid, refunded, paid out, void) for the group's Odoo, if it has one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_PAYMENT, invoice.id, {"group": invoice.group_id}, coalesce=True)


def announce_trace(session: Session, order: Order) -> None:
    """Queue the order's new trace events for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_TRACE, order.id, {"group": order.group_id}, coalesce=True)


class ClientPool:
    """One logged-in client per link in a worker process (a new login per message would double the calls)."""

    def __init__(self, box_for, timeout_for=lambda: 20.0, policy_for=OutboundPolicy) -> None:  # type: ignore[no-untyped-def]
        self.box_for = box_for
        self.timeout_for = timeout_for
        self.policy_for = policy_for
        self.clients: dict[tuple[int, Any], OdooClient] = {}
        self.lock = threading.Lock()

    def client(self, link: ErpLink) -> OdooClient:
        key = (link.id, link.checked_at)
        with self.lock:
            client = self.clients.get(key)
            if client is None:
                secret = self.box_for().open(link.api_key_encrypted)
                client = connect(link.url, link.database, link.login, secret, protocol=link.protocol, timeout=self.timeout_for(),
                                 policy=self.policy_for())  # fmt: skip
                self.clients[key] = client
            return client

    def forget(self, link: ErpLink) -> None:
        with self.lock:
            client = self.clients.pop((link.id, link.checked_at), None)
        if client is not None:
            client.close()


def _handler(pool: ClientPool, load, run):  # type: ignore[no-untyped-def]
    """An outbox handler: load the Loom record the message names, then `run` it against its group's Odoo."""

    def handle(session: Session, message: OutboxMessage) -> None:
        target = load(session, int(message.key))
        if target is None:
            raise PermanentError("The record no longer exists in Loom.")
        link = link_of(session, target.group_id)
        if link is None:
            raise PermanentError("The group disconnected its Odoo; nothing to sync.")
        try:
            run(session, pool.client(link), target, message)
        except OdooCallError as error:
            pool.forget(link)  # a fresh login next time
            link.status, link.last_error = "failing", str(error)
            if not error.retryable:
                raise PermanentError(f"Odoo refused it: {error}") from error
            raise
        link.status, link.last_error, link.last_synced_at = "connected", None, utcnow()

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
    others = [o for c in companions if (o := _order(session, int(c.key))) is not None]
    sync_orders(session, client, order.group_id, [order, *others])
    for companion in companions:
        companion.status, companion.attempts, companion.processed_at, companion.last_error = OutboxStatus.DONE, companion.attempts + 1, now, None


def make_sync_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    return _handler(pool, _order, _sync_with_companions)


def make_trace_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    return _handler(pool, _order, lambda session, client, order, message: sync_trace(session, client, order.group_id, order))


def make_invoice_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    return _handler(pool, lambda session, key: session.get(Invoice, key), lambda session, client, invoice, message: sync_invoice(session, client, invoice.group_id, invoice))


def make_payment_handler(pool: ClientPool):  # type: ignore[no-untyped-def]
    return _handler(pool, lambda session, key: session.get(Invoice, key), lambda session, client, invoice, message: sync_payment(session, client, invoice.group_id, invoice))
