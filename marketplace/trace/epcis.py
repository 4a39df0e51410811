"""An order's trace chain as a GS1 EPCIS 2.0 JSON-LD document, each event identified by its CBV 2.0 event hash ID."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from marketplace.db import utcnow
from marketplace.trace.chain import LEGACY_SCHEME, hash_id_uri, legacy_body
from marketplace.trace.models import EventKind, TraceEvent
from marketplace.trace.vocabulary import bare_step

# The EPCIS 2.0 context by its versioned address: the reference hash generator carries a copy of it, so
# recomputing an event hash ID never needs the network.
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
LOOM_NAMESPACE = "https://loom.example/ns/trace#"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"loom": LOOM_NAMESPACE}]


def epcis_time(moment: dt.datetime) -> str:
    """Format a tz-aware time as EPCIS wants it: UTC, milliseconds (the precision event hash IDs keep), `Z`."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def uri_part(text: str) -> str:
    """Percent-encode free text (a SKU, an order number) so it can sit inside a URI."""
    return quote(text, safe="-._~")


def class_uri(sku: str) -> str:
    """Return the EPCIS `epcClass` URI for a Loom SKU."""
    return f"urn:loom:class:{uri_part(sku)}"


def order_uri(number: str) -> str:
    """Return the `bizTransaction` URI of a marketplace purchase order."""
    return f"urn:loom:order:{uri_part(number)}"


def invoice_uri(number: str) -> str:
    """Return the `bizTransaction` URI of an invoice."""
    return f"urn:loom:invoice:{uri_part(number)}"


def geo_uri(latitude: float, longitude: float) -> str:
    """Return an RFC 5870 `geo:` URI, rounded to about 100 m (a town, not a home)."""
    return f"geo:{latitude:.3f},{longitude:.3f}"


def _what(kind: EventKind, what: dict[str, Any]) -> dict[str, Any]:
    return {key: what[key] for key in ("epcList", "quantityList", "parentID", "childQuantityList", "transformationID",
                                       "outputQuantityList") if key in what}  # fmt: skip


def event_body(event: TraceEvent, previous: TraceEvent | None) -> dict[str, Any]:
    """Return the EPCIS 2.0 event (without `eventID`) whose CBV 2.0 hash is the event's stored hash.

    The body is a pure function of the stored row and of the previous event's hash, so the hash
    recorded when the event was appended can be recomputed by anyone from the document.
    """
    body: dict[str, Any] = {
        "type": event.kind.value,
        "eventTime": epcis_time(event.event_time),
        "eventTimeZoneOffset": "+00:00",
        **_what(event.kind, event.what),
    }
    if event.kind != EventKind.TRANSFORMATION:
        body["action"] = event.action
    if event.biz_step:
        body["bizStep"] = event.biz_step
    if event.disposition:
        body["disposition"] = event.disposition
    body["readPoint"] = {"id": event.read_point}
    if event.biz_location:
        body["bizLocation"] = {"id": event.biz_location}
    if event.why.get("bizTransactionList"):
        body["bizTransactionList"] = event.why["bizTransactionList"]
    body["loom:sequence"] = event.sequence
    if previous is not None:
        if previous.hash_scheme == LEGACY_SCHEME:
            body["loom:previousLegacyHash"] = previous.hash
        else:
            body["loom:previousEventID"] = hash_id_uri(previous.hash)
    for key in ("place", "note"):
        if event.why.get(key):
            body[f"loom:{key}"] = event.why[key]
    if event.why.get("progress") is not None:
        body["loom:progress"] = event.why["progress"]
    return body


def legacy_event(record: dict[str, Any]) -> dict[str, Any]:
    """Return valid EPCIS 2.0 fields for an event hashed before CBV 2.0 event hash IDs (Loom's own hash).

    `record` is exactly what Loom's first hash covered, so a verifier can rebuild these fields from it.
    """
    kind = EventKind(record["type"])
    step = bare_step(record["bizStep"] or "")
    body: dict[str, Any] = {"type": kind.value, "eventTime": epcis_time(dt.datetime.fromisoformat(record["eventTime"])),
                            "eventTimeZoneOffset": "+00:00"}  # fmt: skip
    quantities = [q for q in record["what"].get("quantityList", []) if "epcClass" in q]
    order_ref = f"urn:loom:order-id:{record['order']}"
    if kind == EventKind.TRANSFORMATION:
        body.update(transformationID=f"{order_ref}:making", outputQuantityList=quantities)
        if not quantities:
            body.pop("outputQuantityList")
    elif kind == EventKind.AGGREGATION:
        body.update(parentID=f"urn:loom:shipment:{record['order']}", childQuantityList=quantities, action=record["action"])
    else:
        body.update(quantityList=quantities, action=record["action"])
    if step == "voiding":
        step = ""
    if step:
        body["bizStep"] = step
    if record.get("disposition"):
        body["disposition"] = record["disposition"]
    body["readPoint"] = {"id": f"urn:loom:place:{uri_part(record['readPoint'])}"}
    if record["why"].get("bizTransactionList"):
        body["bizTransactionList"] = record["why"]["bizTransactionList"]
    if record["why"].get("note"):
        body["loom:note"] = record["why"]["note"]
    return body


def epcis_event(event: TraceEvent, previous: TraceEvent | None) -> dict[str, Any]:
    """Return one event as it appears in the document: with its `eventID`, or Loom's older hash and record."""
    if event.hash_scheme == LEGACY_SCHEME:
        body = legacy_event(legacy_body(event))
        body["loom:sequence"] = event.sequence
        body["loom:legacyHash"] = event.hash
        body["loom:legacyRecord"] = legacy_body(event)
        return body
    return {"eventID": hash_id_uri(event.hash), **event_body(event, previous)}


def epcis_document(events: Sequence[TraceEvent]) -> dict[str, Any]:
    """Return the whole chain, in order, as an EPCIS 2.0 JSON-LD document (a dict ready for `json.dumps`)."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": epcis_time(utcnow()),
        "epcisBody": {"eventList": [epcis_event(e, events[i - 1] if i else None) for i, e in enumerate(events)]},
    }
