"""The CBV 2.0 hash IDs the order page checks its chain with are remembered per exact event (issue 19), and any change to
an event, however small, is computed afresh: a remembered ID must never hide an altered event."""

from __future__ import annotations

import copy
import datetime as dt

from marketplace.trace import chain
from marketplace.trace.chain import GENESIS, cbv_hash_ids
from marketplace.trace.epcis import CONTEXT, event_body
from marketplace.trace.models import TraceEvent
from marketplace.trace.vocabulary import step_fields


def _events() -> list[dict]:
    events: list[TraceEvent] = []
    for sequence, key in enumerate(["confirmed", "in_production", "ready"], start=1):
        fields = step_fields(
            key,
            order_number="LM-1",
            lines=[("BSK-1", 1200)],
            place_uri="geo:-1.5,37.26",
            place_name="Machakos",
            destination_uri="https://loom.test/places/1",
            destination_name="Kenya",
            invoice_numbers=[],
            note="",
            progress=None,
        )
        event = TraceEvent(
            order_id=1,
            sequence=sequence,
            event_time=dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=sequence),
            hash_scheme="cbv2",
            prev_hash=events[-1].hash if events else GENESIS,
            **fields,
        )
        event.hash = f"{sequence:064x}"
        events.append(event)
    return [event_body(e, events[i - 1] if i else None) for i, e in enumerate(events)]


def test_remembered_hash_ids_are_the_reference_packages_and_any_change_is_computed_afresh() -> None:
    bodies = _events()
    expected = chain._computed_hash_ids(bodies, CONTEXT)
    chain._HASH_IDS.clear()
    assert cbv_hash_ids(bodies, CONTEXT) == expected
    assert cbv_hash_ids(bodies, CONTEXT) == expected  # remembered
    assert cbv_hash_ids(bodies[1:2], CONTEXT) == expected[1:2]

    altered = copy.deepcopy(bodies)
    quantity = altered[0]["inputQuantityList"][0] if "inputQuantityList" in altered[0] else None
    if quantity is not None:
        quantity["quantity"] = quantity["quantity"] + 1
    altered[0]["eventTime"] = altered[0]["eventTime"].replace("T09", "T10")  # one character
    altered[2]["eventID"] = "ni:///sha-256;" + "f" * 64 + "?ver=CBV2.0"  # an event's own ID is never part of its hash
    fresh = cbv_hash_ids(altered, CONTEXT)
    assert fresh[0] != expected[0]
    assert fresh == chain._computed_hash_ids(altered, CONTEXT)
    assert fresh[1:] == expected[1:]
    # the same event under another context is another hash input
    other_context = [*CONTEXT, {"extra": "https://example.org/extra#"}]
    assert cbv_hash_ids(bodies[:1], other_context) == chain._computed_hash_ids(bodies[:1], other_context)
