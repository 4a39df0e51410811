"""A property-based sample of order histories: every trace document Loom can build is valid EPCIS 2.0 and verifies."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.trace.chain import GENESIS, verify_document
from marketplace.trace.epcis import epcis_document, geo_uri
from marketplace.trace.models import TraceEvent
from marketplace.trace.services import cbv_hash
from marketplace.trace.vocabulary import STEPS, step_fields
from tests.epcis_schema import epcis_errors

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
histories = st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=histories,
    skus=st.lists(st.tuples(text.filter(str.strip), st.integers(1, 10**6)), min_size=1, max_size=3),
    number=text.filter(str.strip),
    note=text,
    place=text,
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    invoices=st.lists(text.filter(str.strip), max_size=2),
    progress=st.integers(0, 100),
    start=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
)
def test_any_history_is_valid_epcis_and_verifies(
    steps, skus, number, note, place, latitude, longitude, invoices, progress, start
) -> None:
    events: list[TraceEvent] = []
    for sequence, key in enumerate(steps, start=1):
        fields = step_fields(
            key,
            order_number=number,
            lines=skus,
            place_uri=geo_uri(latitude, longitude),
            place_name=place,
            destination_uri=f"https://loom.test/places/{sequence}",
            destination_name="Kenya",
            invoice_numbers=invoices,
            note=note,
            progress=progress if key == "progress" else None,
        )
        if fields["why"].get("note"):
            fields["why"]["note_salt"] = f"{sequence:032x}"  # record_event salts every note
        previous = events[-1] if events else None
        event = TraceEvent(
            order_id=1,
            sequence=sequence,
            event_time=start + dt.timedelta(hours=sequence),
            hash_scheme="cbv2",
            prev_hash=previous.hash if previous else GENESIS,
            **fields,
        )
        event.hash = cbv_hash(event, previous)
        events.append(event)
    document = epcis_document(events)
    assert epcis_errors(document) == []
    assert verify_document(document) == []
    assert "loom:notes" not in document and not any("loom:note" in e for e in document["epcisBody"]["eventList"])
    own = epcis_document(events, with_notes=True)
    assert epcis_errors(own) == [] and verify_document(own) == []
    assert [n["note"] for n in own.get("loom:notes", [])] == [e.why["note"] for e in events if e.why.get("note")]
