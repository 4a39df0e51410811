"""Trace documents are valid EPCIS 2.0 for every kind of order history, their event hash IDs are GS1's
CBV 2.0 ones, and `loom trace verify` finds an altered or removed event; chains hashed the old way still verify."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from epcis_event_hash_generator import hash_generator, json_to_py
from sqlalchemy import Connection, delete
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.cli import main
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import move, post_progress
from marketplace.trace.chain import GENESIS, LEGACY_SCHEME, event_hash, legacy_body, verify_document
from marketplace.trace.epcis import CONTEXT, epcis_document, epcis_event
from marketplace.trace.models import EventKind, ProductStory, TraceEvent
from marketplace.trace.services import chain_of, verify_chain
from marketplace.trace.story import chain_and_story, story_of
from tests import factories
from tests.epcis_schema import epcis_errors
from tests.integration.test_query_counts import counted

BASE = "https://loom.test"
S = OrderStatus


@pytest.fixture
def parties(session: Session) -> dict:
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, name="Machakos Sisal Weavers", city="Machakos", latitude=-1.5177, longitude=37.2634)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer)
    return {"buyer": buyer, "admin": admin, "order": order, "group": group}


def _go(session: Session, p: dict, history: list) -> Order:
    """Play a history: order statuses (moved by whoever may), or ("progress", with_photo)."""
    order = p["order"]
    for step in history:
        if isinstance(step, tuple):
            post_progress(
                session,
                p["admin"],
                order.id,
                percent=40,
                note="Coiling under way",
                photo_path="photos/orders/1/coil.jpg" if step[1] else None,
                base_url=BASE,
            )
            continue
        who = (
            p["buyer"] if step in (S.DELIVERED, S.CLOSED) or (step == S.CANCELLED and order.status == S.CONFIRMED) else p["admin"]
        )
        move(
            session,
            who,
            order.id,
            step,
            note="Buyer changed plans" if step == S.CANCELLED else "",
            today=dt.date.today(),
            base_url=BASE,
            carrier="DHL Express" if step == S.SHIPPED else "",
        )
    session.flush()
    return order


HISTORIES = {
    "confirmed": [],
    "cancelled by the buyer": [S.CANCELLED],
    "cancelled in production, progress without photo": [S.IN_PRODUCTION, ("progress", False), S.CANCELLED],
    "made, shipped, received and closed, progress with photo": [
        ("progress", True),
        S.IN_PRODUCTION,
        ("progress", False),
        S.READY,
        S.SHIPPED,
        S.DELIVERED,
        S.CLOSED,
    ],
    "shipped": [S.IN_PRODUCTION, S.READY, S.SHIPPED],
}


@pytest.mark.parametrize("history", HISTORIES.values(), ids=HISTORIES.keys())
def test_every_order_history_exports_a_valid_epcis_document(session: Session, parties: dict, history: list) -> None:
    order = _go(session, parties, history)
    events = chain_of(session, order.id)
    assert len(events) == 1 + len(history)
    document = epcis_document(events)

    assert epcis_errors(document) == []
    for index, event in enumerate(events):  # each event on its own, too (it then needs its @context)
        assert epcis_errors({"@context": CONTEXT, **epcis_event(event, events[index - 1] if index else None)}) == []
    assert verify_chain(session, order.id) is None and verify_document(document) == []

    listed = document["epcisBody"]["eventList"]
    po = {"type": "po", "bizTransaction": f"urn:loom:order:{order.number}"}
    assert all(po in e["bizTransactionList"] for e in listed), (po, listed[0]["bizTransactionList"])
    at_group = [e for e in listed if e.get("bizStep") not in ("receiving", "accepting")]
    assert {e["readPoint"]["id"] for e in at_group} == {"geo:-1.518,37.263"}
    for event in listed:
        if event.get("bizStep") in ("receiving", "accepting"):  # where the buyer receives, not the group's town
            assert event["readPoint"]["id"] == event["bizLocation"]["id"] == f"urn:loom:destination:{order.number}:gb"
            assert event["loom:place"] == "United Kingdom"


def test_the_deposit_and_balance_invoices_are_linked(session: Session, parties: dict) -> None:
    from marketplace.billing.services import invoices_of

    order = _go(session, parties, [S.IN_PRODUCTION, S.READY, S.SHIPPED, S.DELIVERED])
    deposit, balance = invoices_of(session, order.id)
    listed = epcis_document(chain_of(session, order.id))["epcisBody"]["eventList"]
    inv = [[t["bizTransaction"] for t in e["bizTransactionList"] if t["type"] == "inv"] for e in listed]
    assert inv[0] == [f"urn:loom:invoice:{deposit.number}"]
    assert inv[-1] == [f"urn:loom:invoice:{deposit.number}", f"urn:loom:invoice:{balance.number}"]


def test_event_ids_are_the_reference_cbv2_hashes_and_chain(session: Session, parties: dict) -> None:
    order = _go(session, parties, [S.IN_PRODUCTION, ("progress", True), S.READY])
    document = epcis_document(chain_of(session, order.id))
    listed = document["epcisBody"]["eventList"]
    # Recomputed here straight from the reference package, on the document as a buyer downloads it.
    stripped = copy.deepcopy(document)
    for event in stripped["epcisBody"]["eventList"]:
        del event["eventID"]
    expected = hash_generator.epcis_hashes_from_events(json_to_py.event_list_from_epcis_document_json(stripped))
    assert [e["eventID"] for e in listed] == expected
    assert all(e.startswith("ni:///sha-256;") and e.endswith("?ver=CBV2.0") for e in expected)
    assert "loom:previousEventID" not in listed[0]
    assert [e["loom:previousEventID"] for e in listed[1:]] == expected[:-1]


def _verify(tmp_path: Path, document: dict) -> tuple[int, str]:
    path = tmp_path / "trace.epcis.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(main, ["trace", "verify", str(path)])
    return result.exit_code, result.output


def test_loom_trace_verify_finds_a_changed_field_and_a_removed_event(session: Session, parties: dict, tmp_path: Path) -> None:
    order = _go(session, parties, [S.IN_PRODUCTION, ("progress", False), S.READY, S.SHIPPED])
    document = epcis_document(chain_of(session, order.id))
    code, output = _verify(tmp_path, document)
    assert code == 0 and "5 events" in output and "intact" in output

    altered = copy.deepcopy(document)
    altered["epcisBody"]["eventList"][2]["quantityList"][0]["quantity"] = 350  # fewer pieces than were really made
    code, output = _verify(tmp_path, altered)
    assert code == 1 and "Event 3 was altered" in output

    moved = copy.deepcopy(document)
    moved["epcisBody"]["eventList"][3]["readPoint"]["id"] = "geo:12.000,77.000"
    code, output = _verify(tmp_path, moved)
    assert code == 1 and "Event 4 was altered" in output

    removed = copy.deepcopy(document)
    del removed["epcisBody"]["eventList"][1]
    code, output = _verify(tmp_path, removed)
    assert code == 1 and "Event 2 is missing" in output and "removed" in output

    # Renumbering to hide the gap breaks the renumbered events' hashes instead.
    renumbered = copy.deepcopy(removed)
    for position, event in enumerate(renumbered["epcisBody"]["eventList"], start=1):
        event["loom:sequence"] = position
    code, output = _verify(tmp_path, renumbered)
    assert code == 1 and "was altered" in output

    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["trace", "verify", str(tmp_path / "junk.json")])
    assert result.exit_code == 1 and "junk.json" in result.output and "Traceback" not in result.output


def test_a_stored_event_changed_in_the_database_is_found(session: Session, parties: dict) -> None:
    order = _go(session, parties, [S.IN_PRODUCTION, S.READY])
    second = chain_of(session, order.id)[1]
    second.read_point = "geo:0.000,0.000"
    session.flush()
    assert verify_chain(session, order.id) == 2


def _legacy_event(
    session: Session, order: Order, sequence: int, prev: str, kind: EventKind, step: str, action: str | None
) -> TraceEvent:
    """An event exactly as Loom recorded it before CBV 2.0 (URN steps, a free-text place, Loom's own hash)."""
    event = TraceEvent(
        order_id=order.id,
        sequence=sequence,
        kind=kind,
        action=action,
        biz_step=f"urn:epcglobal:cbv:bizstep:{step}",
        event_time=dt.datetime(2026, 3, sequence, 9, 30, 15, 123456, tzinfo=dt.UTC),
        read_point="Machakos, KE",
        what={"quantityList": [{"epcClass": "urn:loom:class:RFQ-1", "quantity": 400, "uom": "EA"}]},
        why={
            "note": "Order confirmed.",
            "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:loom:order:{order.number}"}],
        },
        prev_hash=prev,
        hash_scheme=LEGACY_SCHEME,
        hash="",
    )
    event.hash = event_hash(prev, legacy_body(event))
    session.add(event)
    session.flush()
    return event


def test_chains_hashed_before_cbv2_still_verify_and_grow(session: Session, parties: dict, tmp_path: Path) -> None:
    order = parties["order"]
    for event in chain_of(session, order.id):  # start from a chain recorded entirely the old way
        session.delete(event)
    session.flush()
    first = _legacy_event(session, order, 1, GENESIS, EventKind.TRANSACTION, "accepting", "ADD")
    second = _legacy_event(session, order, 2, first.hash, EventKind.TRANSFORMATION, "commissioning", None)
    order.status = S.IN_PRODUCTION
    _go(session, parties, [S.READY])  # a new event after old ones

    events = chain_of(session, order.id)
    assert [e.hash_scheme for e in events] == ["loom1", "loom1", "cbv2"] and events[2].prev_hash == second.hash
    assert verify_chain(session, order.id) is None
    document = epcis_document(events, with_notes=True)
    assert epcis_errors(document) == []
    assert _verify(tmp_path, document)[0] == 0
    public = epcis_document(events)  # the old record's hash covers its note: the public copy withholds both and says so
    assert epcis_errors(public) == [] and "Order confirmed." not in json.dumps(public)
    assert [(p.position, p.withheld) for p in verify_document(public)] == [(1, True), (2, True)]
    assert _verify(tmp_path, public)[0] == 0
    moved = copy.deepcopy(public)
    moved["epcisBody"]["eventList"][0]["readPoint"]["id"] = "urn:loom:place:Elsewhere"
    assert "Event 1 was altered" in _verify(tmp_path, moved)[1]

    shown = copy.deepcopy(document)
    shown["epcisBody"]["eventList"][0]["readPoint"]["id"] = "urn:loom:place:Elsewhere"
    assert "Event 1 was altered" in _verify(tmp_path, shown)[1]
    recorded = copy.deepcopy(document)
    recorded["epcisBody"]["eventList"][1]["loom:legacyRecord"]["what"]["quantityList"][0]["quantity"] = 1
    assert "Event 2 was altered" in _verify(tmp_path, recorded)[1]

    # Sealed (as publishing a story does), the public copy checks whole, without the notes, and keeps checking the old records.
    from marketplace.trace.services import seal_withheld_events

    seal = seal_withheld_events(session, order.id, now=dt.datetime.now(dt.UTC), read_point="geo:-1.500,37.200")
    assert [e.hash for e in chain_of(session, order.id)] == [e.hash for e in events] + [seal.hash]
    sealed = epcis_document(chain_of(session, order.id))
    assert epcis_errors(sealed) == [] and verify_document(sealed) == [] and _verify(tmp_path, sealed)[0] == 0
    assert "Order confirmed." not in json.dumps(sealed)
    forged = copy.deepcopy(sealed)
    forged["epcisBody"]["eventList"][1]["loom:legacyRecord"]["what"]["quantityList"][0]["quantity"] = 1
    assert "Event 2 was altered: it differs from what event 4 sealed." in [p.message for p in verify_document(forged)]
    assert seal_withheld_events(session, order.id, now=dt.datetime.now(dt.UTC), read_point="geo:-1.500,37.200") is None

    second.why = {"note": "rewritten"}
    session.flush()
    assert verify_chain(session, order.id) == 2


def test_the_order_page_reads_its_chain_and_story_in_one_statement(
    session: Session, parties: dict, connection: Connection
) -> None:
    order = parties["order"]
    _go(session, parties, [S.IN_PRODUCTION, ("progress", True), S.READY])
    events = chain_of(session, order.id)
    assert len(events) >= 3

    with counted(connection) as seen:
        assert chain_and_story(session, order.id) == (events, None)
    assert len(seen) == 1
    story = ProductStory(order_id=order.id, public_id="s-1", buyer_agrees=True, photo_ids=[])
    session.add(story)
    session.flush()
    assert chain_and_story(session, order.id) == (events, story)  # in chain order, the story once
    session.execute(delete(TraceEvent).where(TraceEvent.order_id == order.id))
    session.expire_all()
    assert chain_and_story(session, order.id) == ([], story_of(session, order.id))  # a story without events
    assert chain_and_story(session, order.id + 1000) == ([], None)
