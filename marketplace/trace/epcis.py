"""An order's trace chain as a GS1 EPCIS 2.0 JSON-LD document."""
from __future__ import annotations

from typing import Any

from marketplace.db import utcnow
from marketplace.trace.models import EventKind, TraceEvent

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"loom": "https://loom.example/ns/trace#"}]


def epcis_event(event: TraceEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": event.kind.value,
        "eventTime": event.event_time.isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "bizStep": event.biz_step,
        "readPoint": {"id": f"urn:loom:place:{event.read_point}"},
        "loom:sequence": event.sequence,
        "loom:hash": event.hash,
        "loom:prevHash": event.prev_hash,
    }
    quantities = event.what.get("quantityList", [])
    if event.kind == EventKind.TRANSFORMATION:
        body["outputQuantityList"] = quantities
    elif event.kind == EventKind.AGGREGATION:
        body.update(action=event.action, parentID=f"urn:loom:shipment:{event.order_id}", childQuantityList=quantities)
    else:
        body.update(action=event.action, quantityList=quantities)
    if event.disposition:
        body["disposition"] = event.disposition
    if event.why.get("bizTransactionList"):
        body["bizTransactionList"] = event.why["bizTransactionList"]
    if event.why.get("note"):
        body["loom:note"] = event.why["note"]
    return body


def epcis_document(events: list[TraceEvent]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utcnow().isoformat().replace("+00:00", "Z"),
        "epcisBody": {"eventList": [epcis_event(e) for e in events]},
    }
