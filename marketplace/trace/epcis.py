"""An order's trace chain as a GS1 EPCIS 2.0 JSON-LD document, each event identified by its CBV 2.0 event hash ID."""

from __future__ import annotations

import datetime as dt
import hashlib
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
# The document-level list of the parties' private step notes. It sits outside the events, so the events
# (and their hash IDs) are the same in the parties' download and in the public one, which leaves it out.
NOTES_KEY = "loom:notes"
WITHHELD_KEY = "loom:noteWithheld"  # marks an older event whose hashed note the public copy leaves out
# On a seal event: for each older withheld event, its ID and the digest of its public form (`public_digest`),
# so the public copy of an old chain verifies (see `trace.services.seal_withheld_events`).
SEALS_KEY = "loom:seals"


def note_digest(note: str, salt: str) -> str:
    """Return the SHA-256 hex digest an event's hash covers in place of its private note.

    `salt` is random per note and stays private with it, so a short note (a name, a phone number)
    cannot be found by hashing guesses against the public document.
    """
    return hashlib.sha256(f"{salt}\n{note}".encode()).hexdigest()


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
    return {
        key: what[key]
        for key in ("epcList", "quantityList", "parentID", "childQuantityList", "transformationID", "outputQuantityList")
        if key in what
    }


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
    if event.why.get("place"):
        body["loom:place"] = event.why["place"]
    if event.why.get("note"):
        if event.why.get("note_salt"):
            body["loom:noteDigest"] = note_digest(event.why["note"], event.why["note_salt"])
        else:  # recorded before notes were kept apart: the hash covers the text itself
            body["loom:note"] = event.why["note"]
    if event.why.get("progress") is not None:
        body["loom:progress"] = event.why["progress"]
    if event.why.get("seals"):
        body[SEALS_KEY] = event.why["seals"]
    return body


def legacy_event(record: dict[str, Any]) -> dict[str, Any]:
    """Return valid EPCIS 2.0 fields for an event hashed before CBV 2.0 event hash IDs (Loom's own hash).

    `record` is exactly what Loom's first hash covered, so a verifier can rebuild these fields from it.
    """
    kind = EventKind(record["type"])
    step = bare_step(record["bizStep"] or "")
    body: dict[str, Any] = {
        "type": kind.value,
        "eventTime": epcis_time(dt.datetime.fromisoformat(record["eventTime"])),
        "eventTimeZoneOffset": "+00:00",
    }
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


def epcis_event(event: TraceEvent, previous: TraceEvent | None, *, with_notes: bool = False) -> dict[str, Any]:
    """Return one event as it appears in the document: with its `eventID`, or Loom's older hash and record.

    Without `with_notes` (the public view) an older event whose hash covers its note text shows no note
    and is marked `loom:noteWithheld`: its hash can then be checked only from the parties' download.
    """
    if event.hash_scheme == LEGACY_SCHEME:
        record = legacy_body(event)
        withheld = not with_notes and bool(record["why"].get("note"))
        if withheld:
            record["why"] = {k: v for k, v in record["why"].items() if k != "note"}
        body = legacy_event(record)
        body["loom:sequence"] = event.sequence
        body["loom:legacyHash"] = event.hash
        body["loom:legacyRecord"] = record
    else:
        body = {"eventID": hash_id_uri(event.hash), **event_body(event, previous)}
        withheld = not with_notes and body.pop("loom:note", None) is not None
    if withheld:
        body[WITHHELD_KEY] = True
    return body


def public_digest(event: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest of an event's public form (canonical JSON, every field as shown), which a seal covers."""
    from marketplace.trace.chain import canonical_json

    return hashlib.sha256(canonical_json(event).encode()).hexdigest()


def event_key(event: dict[str, Any]) -> str | None:
    """Return what identifies an event in a document: its event hash ID, or Loom's first hash for an older one."""
    return event.get("eventID") or event.get("loom:legacyHash")


def private_notes(events: Sequence[TraceEvent]) -> list[dict[str, str]]:
    """Return the notes kept apart from the events: `{"eventID", "note", "salt"}` each, in chain order."""
    return [
        {"eventID": hash_id_uri(e.hash), "note": e.why["note"], "salt": e.why["note_salt"]}
        for e in events
        if e.hash_scheme != LEGACY_SCHEME and e.why.get("note") and e.why.get("note_salt")
    ]


def epcis_document(events: Sequence[TraceEvent], *, with_notes: bool = False) -> dict[str, Any]:
    """Return the whole chain, in order, as an EPCIS 2.0 JSON-LD document (a dict ready for `json.dumps`).

    The default is the public view: the coordinators' step notes (free text that may name artisans) are
    left out, and every event still recomputes to its hash ID. `with_notes=True` is for the order's
    parties only: the notes come along in a document-level `loom:notes` list with the salt that proves
    each one against its event's `loom:noteDigest`.
    """
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": epcis_time(utcnow()),
        "epcisBody": {
            "eventList": [epcis_event(e, events[i - 1] if i else None, with_notes=with_notes) for i, e in enumerate(events)]
        },
    }
    if with_notes and (notes := private_notes(events)):
        document[NOTES_KEY] = notes
    return document
