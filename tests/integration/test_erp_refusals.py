"""One refusal poisons nothing else: a message Odoo refuses for good is the dead letter of its own record
only; an unsendable trace event is set aside, visibly, while the order's later notes go; control
characters never reach XML-RPC; an order cancelled before it reached Odoo is skipped by every sync."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.invoicing import sync_invoice, sync_payment
from erp_connector.subscribers import queue_order_sync, queue_trace_sync
from erp_connector.sync import keyed, sync_trace
from marketplace.billing.models import InvoiceKind
from marketplace.billing.services import issue_invoice
from marketplace.bootstrap import worker_for
from marketplace.orders.models import OrderStatus
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import retry_dead_letter
from marketplace.trace.models import EventKind
from marketplace.trace.services import record_event
from tests import factories
from tests.integration.test_erp_sync import Odoo, _later_worker, _linked_order, _tagged, loom_notes, make_order, odoo  # noqa: F401 - fixtures

SOME = [(17, "xmlrpc"), (18, "jsonrpc"), (19, "json2")]


def _event(session: Session, order_id: int, note: str) -> None:
    record_event(
        session,
        order_id=order_id,
        kind=EventKind.OBJECT,
        biz_step="urn:epcglobal:cbv:bizstep:commissioning",
        event_time=dt.datetime.now(dt.UTC),
        read_point="Machakos, KE",
        what={"quantityList": []},
        why={"note": note},
    )


def _messages(session: Session, topic: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("odoo", SOME, indirect=True, ids=[f"{v}-{p}" for v, p in SOME])
def test_an_order_odoo_refuses_in_a_batch_is_the_dead_letter_of_that_order_alone(
    app: Flask, session: Session, odoo: Odoo
) -> None:
    fine, group = _linked_order(app, session, odoo, "LM-T-50001")
    refused = make_order(session, group, factories.buyer(session), "LM-T-50002", [("SKU-Y", 10, "5.00")])
    queue_order_sync(session, refused)
    session.commit()
    odoo.double.inject("refuse", times=2, match="LM-T-50002")  # every call that names the second order, in the batch and alone

    _later_worker(app, hours=0).drain()

    messages = {m.key: m for m in _messages(session, "erp.sync_order")}
    assert messages[str(fine.id)].status == OutboxStatus.DONE
    assert messages[str(refused.id)].status == OutboxStatus.DEAD and "refused" in messages[str(refused.id)].last_error
    client = odoo.client()
    assert [
        r["state"] for r in client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-50001")]], ["state"])
    ] == ["sale"]


def test_control_characters_are_removed_before_they_reach_odoo(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-50003", [("SKU-A", 10, "10.00")])
    order.lines[0].description = "Basket\x0b with lid"  # pasted from a word processor
    _event(session, order.id, "Packed\x0b in 12 cartons\x07")
    client = odoo.client()

    assert sync_trace(session, client, group.id, order) == 1

    [remote] = client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-50003")]], ["id"])
    [note] = [b for b in loom_notes(client, remote["id"]) if "Loom trace" in b]
    assert "Packed in 12 cartons" in note and "\x0b" not in note
    [line] = client.search_read("sale.order.line", [["order_id", "=", remote["id"]]], ["name"])
    assert line["name"] == "Basket with lid"


@pytest.mark.parametrize("odoo", SOME, indirect=True, ids=[f"{v}-{p}" for v, p in SOME])
def test_a_trace_event_odoo_refuses_is_set_aside_visibly_and_later_notes_still_go(
    app: Flask, session: Session, odoo: Odoo
) -> None:
    order, group = _linked_order(app, session, odoo, "LM-T-50004")
    for note in ("Weaving started", "Unsendable note", "Half done"):
        _event(session, order.id, note)
    queue_trace_sync(session, order)
    session.commit()
    odoo.double.inject("refuse", times=2, match="Unsendable note")

    worker_for(app).drain()

    [message] = _messages(session, "erp.sync_trace")
    assert message.status == OutboxStatus.DEAD  # shown, with its reason, on the group's Odoo page
    assert "set aside" in message.last_error and "refused" in message.last_error
    client = odoo.client()
    [remote] = client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-50004")]], ["id"])
    assert sorted(
        n for n in ("Weaving started", "Half done", "Unsendable note") if any(n in b for b in loom_notes(client, remote["id"]))
    ) == ["Half done", "Weaving started"]

    _event(session, order.id, "Packed")  # the order's next note is not blocked either
    queue_trace_sync(session, order)
    session.commit()
    _later_worker(app, hours=1).drain()
    assert any("Packed" in b for b in loom_notes(client, remote["id"]))

    for dead in _messages(session, "erp.sync_trace"):
        if dead.status == OutboxStatus.DEAD:
            retry_dead_letter(session, dead.id)  # the operator, once the cause is fixed in Odoo
    session.commit()
    _later_worker(app, hours=2).drain()
    notes = loom_notes(client, remote["id"])
    assert len(notes) == 4 and any("Unsendable note" in b for b in notes)
    assert {m.status for m in _messages(session, "erp.sync_trace")} == {OutboxStatus.DONE}


@pytest.mark.parametrize("odoo", SOME, indirect=True, ids=[f"{v}-{p}" for v, p in SOME])
def test_an_order_cancelled_before_it_reached_odoo_is_skipped_by_every_sync(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-50005", [("SKU-A", 30, "10.00")])
    invoice = issue_invoice(session, order, kind=InvoiceKind.DEPOSIT, amount=order.total / 2)
    _event(session, order.id, "Started")
    order.status = OrderStatus.CANCELLED
    client = odoo.client()

    assert sync_trace(session, client, group.id, order) == 0
    assert sync_invoice(session, client, group.id, invoice) is None
    assert sync_payment(session, client, group.id, invoice) == 0
    assert client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-50005")]], ["id"]) == []
    assert client.search_read("account.move", [["ref", "=", keyed(client, invoice.number)]], ["id"]) == []
