"""Every remote write Loom makes in a group's Odoo is looked up before it is repeated: an answer lost after
Odoo committed — on any kind of write, every version and protocol — leaves Odoo holding each record once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.models import ErpBinding
from erp_connector.sync import keyed, sync_trace
from marketplace.bootstrap import worker_for
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.trace.models import EventKind, TraceEvent
from marketplace.trace.services import record_event
from tests import factories
from tests.integration.test_erp_sync import Odoo, _later_worker, _paid_invoice, _tagged, loom_notes, make_order, odoo  # noqa: F401 - fixtures

# Each kind of write Loom makes, and text found only in the request that makes it (its path or body).
WRITES = {
    "create partner": "is_company",
    "create product": "sale_ok",
    "create sale order": "order_line",
    "confirm": "action_confirm",
    "trace note": "Loom trace",
    "trace attachment": "ld+json",
    "create invoice": "invoice_line_ids",
    "post invoice": "action_post",
    "register payment": "action_create_payments",
    "payment note": "Loom payments",
}


def drain_until_settled(app: Flask) -> None:
    """Run the worker as its backoff allows, until nothing is left to retry."""
    for hours in (0, 1, 2, 3, 4, 6):
        worker = worker_for(app) if hours == 0 else _later_worker(app, hours=hours)
        worker.drain()


def _markers(bodies: list[str]) -> list[str]:
    return [m for b in bodies for m in re.findall(r"Loom ref\. ([\w:.\-]+)", b)]


# Every kind of write on one protocol of each version; the chatter note (which has no natural key in Odoo) on all of them.
CASES = [
    pytest.param(target, write, id=f"{target[0]}-{target[1]}-{write}")
    for target in ((17, "xmlrpc"), (18, "jsonrpc"), (19, "json2"))
    for write in WRITES
]
CASES += [
    pytest.param(target, "trace note", id=f"{target[0]}-{target[1]}-trace note")
    for target in ((17, "jsonrpc"), (18, "xmlrpc"), (19, "jsonrpc"), (19, "xmlrpc"))
]


@pytest.mark.parametrize(("odoo", "write"), CASES, indirect=["odoo"])
def test_an_answer_lost_after_odoo_committed_leaves_every_record_once(
    app: Flask, session: Session, odoo: Odoo, write: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if odoo.double is None:
        pytest.skip("faults are injected into the double only")
    monkeypatch.setitem(app.config, "ERP_TIMEOUT_SECONDS", 1.0)
    order, invoice, payment, checkout = _paid_invoice(app, session, odoo, write)
    odoo.double.inject("drop_after_commit", match=WRITES[write])

    drain_until_settled(app)

    assert not odoo.double.faults, "the write under test was never made"
    session.expire_all()
    assert {m.status for m in session.scalars(select(OutboxMessage))} == {OutboxStatus.DONE}
    client = odoo.client()
    db = odoo.double.db
    assert len(client.search_read("res.partner", [["ref", "=", keyed(client, f"LOOM-BUYER-{order.buyer_id}")]], ["id"])) == 1
    for line in order.lines:
        assert len(client.search_read("product.product", [["default_code", "=", keyed(client, line.sku)]], ["id"])) == 1
    [remote] = client.search_read("sale.order", [["client_order_ref", "=", keyed(client, order.number)]], ["id", "state"])
    assert remote["state"] == "sale"
    notes = loom_notes(client, remote["id"])
    markers = _markers(notes)
    events = session.scalars(select(TraceEvent).where(TraceEvent.order_id == order.id)).all()
    assert len(markers) == len(set(markers)) == len(notes) == len(events) + 1  # each trace event once, the payment once
    assert (
        len(client.search_read("ir.attachment", [["res_model", "=", "sale.order"], ["res_id", "=", remote["id"]]], ["id"])) == 1
    )
    [move] = client.search_read("account.move", [["ref", "=", keyed(client, invoice.number)]], ["state", "payment_state"])
    assert (move["state"], move["payment_state"]) == ("posted", "paid")
    assert len(db.models["account.payment"].records) == 1


def test_a_failure_between_two_notes_keeps_the_first_notes_binding(app: Flask, session: Session, odoo: Odoo) -> None:
    if odoo.double is None:
        pytest.skip("faults are injected into the double only")
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-30001", [("SKU-A", 10, "10.00")])
    for note in ("Weaving started", "Half done"):
        record_event(
            session,
            order_id=order.id,
            kind=EventKind.OBJECT,
            biz_step="urn:epcglobal:cbv:bizstep:commissioning",
            event_time=dt.datetime.now(dt.UTC),
            read_point="Machakos, KE",
            what={"quantityList": []},
            why={"note": note},
        )
    session.commit()
    client = odoo.client()
    odoo.double.inject("down", match="Half done")

    with pytest.raises(Exception, match="HTTP 503"):
        sync_trace(session, client, group.id, order)
    session.rollback()  # what the worker does with a failed run

    bound = session.scalars(select(ErpBinding).where(ErpBinding.group_id == group.id, ErpBinding.local_model == "trace")).all()
    assert len(bound) == 1  # the note Odoo holds is still known to Loom
    before = [c for c in odoo.double.calls if c[2] == "message_post"]
    assert sync_trace(session, client, group.id, order) == 1
    assert len([c for c in odoo.double.calls if c[2] == "message_post"]) == len(before) + 1  # only the second is posted
    [remote] = client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-30001")]], ["id"])
    assert len(loom_notes(client, remote["id"])) == 2


def test_a_note_whose_binding_was_lost_is_found_by_its_marker(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-30002", [("SKU-A", 10, "10.00")])
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
    client = odoo.client()
    assert sync_trace(session, client, group.id, order) == 1
    for binding in session.scalars(select(ErpBinding).where(ErpBinding.group_id == group.id, ErpBinding.local_model == "trace")):
        session.delete(binding)  # as if the answer to message_post had been lost after Odoo committed it
    session.flush()

    assert sync_trace(session, client, group.id, order) == 0
    [remote] = client.search_read("sale.order", [["client_order_ref", "=", keyed(client, "LM-T-30002")]], ["id"])
    assert len(loom_notes(client, remote["id"])) == 1
