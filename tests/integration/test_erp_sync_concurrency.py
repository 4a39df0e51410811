"""Two real workers (threads, their own connections, real commits) syncing one group's Odoo at once:
the group's advisory lock lets one in at a time, so Odoo gets one sale order, not two."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from erp_connector.client import connect
from erp_connector.handlers import ClientPool, make_sync_handler, make_trace_handler
from erp_connector.models import ErpLink
from erp_connector.subscribers import queue_order_sync, queue_trace_sync
from erp_connector.sync import sync_orders
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.worker import HandlerRegistry, RetryPolicy, Worker
from marketplace.secrets import SecretBox
from marketplace.trace.models import EventKind
from marketplace.trace.services import record_event
from tests import factories
from tests.integration.test_erp_sync import make_order
from tests.odoo_double import OdooDouble


def _worker(app: Flask, sessions: sessionmaker[Session]) -> Worker:
    """A worker of its own, as in another process: its own registry and Odoo clients."""
    pool = ClientPool(lambda: SecretBox(app.config["SECRETS_KEY"]), lambda: 10.0, lambda: OutboundPolicy.from_config(app.config))
    registry = HandlerRegistry()
    registry.register(topics.SYNC_ORDER, make_sync_handler(pool))
    registry.register(topics.SYNC_TRACE, make_trace_handler(pool))
    return Worker(sessions, registry, RetryPolicy())


@pytest.mark.postgres_only
def test_two_workers_syncing_one_group_make_one_sale_order(app: Flask, committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with OdooDouble(version=17) as odoo:
        with sessions() as session:
            group = factories.producer_group(session)
            session.add(
                ErpLink(
                    group_id=group.id,
                    url=odoo.url,
                    database=odoo.db.name,
                    login="admin",
                    protocol="jsonrpc",
                    api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal("admin"),
                    status="connected",
                    checked_at=dt.datetime.now(dt.UTC),
                )
            )
            buyer = factories.buyer(session)
            # An earlier order of the same buyer and product is in Odoo already: the two workers race for the sale order alone.
            earlier = make_order(session, group, buyer, "LM-T-40000", [("SKU-A", 5, "10.00")])
            sync_orders(
                session,
                connect(
                    odoo.url, odoo.db.name, "admin", "admin", protocol="jsonrpc", policy=OutboundPolicy.from_config(app.config)
                ),
                group.id,
                [earlier],
            )
            order = make_order(session, group, buyer, "LM-T-40001", [("SKU-A", 10, "10.00")])
            record_event(
                session,
                order_id=order.id,
                kind=EventKind.OBJECT,
                biz_step="urn:epcglobal:cbv:bizstep:commissioning",
                event_time=dt.datetime.now(dt.UTC),
                read_point="Machakos, KE",
                what={"quantityList": []},
                why={"note": "Started"},
            )
            queue_order_sync(session, order)  # one worker takes this...
            queue_trace_sync(session, order)  # ...the other this, which needs the order in Odoo first
            session.commit()
        # Odoo is slow to create the order: without the lock, the second worker looks for it meanwhile, finds nothing and creates
        # it too.
        odoo.inject("slow", times=2, seconds=0.8, match="order_line")
        start = threading.Barrier(2)
        outcomes: list[object] = []

        def work() -> None:
            worker = _worker(app, sessions)
            start.wait(10)
            outcomes.append(worker.run_once())

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads)

        assert len(odoo.db.models["sale.order"].records) == 2  # the earlier order and this one, once
        assert outcomes == [OutboxStatus.DONE, OutboxStatus.DONE]
        assert len([r for r in odoo.db.models["res.partner"].records.values() if r.get("ref")]) == 1  # the buyer, once
        with sessions() as session:
            assert {m.topic for m in session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DONE))} == {
                topics.SYNC_ORDER,
                topics.SYNC_TRACE,
            }
