"""The hash chain over an order's trace events.

Events carry GS1's CBV 2.0 event hash ID (`ni:///sha-256;<hex>?ver=CBV2.0`), computed by the reference
`epcis-event-hash-generator` package from the event itself; each event names the previous one's ID
(`loom:previousEventID`), which the hash covers, so the IDs form a chain anyone can recompute from the
EPCIS document. Events recorded before that carry Loom's first hash (SHA-256 over canonical JSON) and
stay verifiable by it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from epcis_event_hash_generator import hash_generator, json_to_py
from flask_babel import gettext as _
from pyld import jsonld

if TYPE_CHECKING:
    from marketplace.trace.models import TraceEvent

GENESIS = "0" * 64
CBV_SCHEME = "cbv2"  # the stored hash is the hex digest of the event's CBV 2.0 event hash ID
LEGACY_SCHEME = "loom1"  # the stored hash is Loom's first: SHA-256 over the previous hash and canonical JSON
HASH_ID = re.compile(r"^ni:///sha-256;([0-9a-f]{64})\?ver=CBV2\.0$")


def canonical_json(value: Any) -> str:
    """Serialize with sorted keys, no spaces and UTF-8 as is, so equal content hashes equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, body: dict[str, Any]) -> str:
    """Return Loom's first (legacy) hash of an event body after `prev_hash`: 64 hex digits."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(body)}".encode()).hexdigest()


def first_broken_link(events: Sequence[tuple[str, str, dict[str, Any]]]) -> int | None:
    """Check legacy (prev_hash, hash, body) triples in chain order; return the index of the first bad one."""
    expected_prev = GENESIS
    for index, (prev_hash, digest, body) in enumerate(events):
        if prev_hash != expected_prev or event_hash(prev_hash, body) != digest:
            return index
        expected_prev = digest
    return None


def legacy_body(event: TraceEvent) -> dict[str, Any]:
    """Return the fields Loom's first hash covered (everything that says what happened)."""
    return {
        "order": event.order_id,
        "sequence": event.sequence,
        "type": event.kind.value,
        "action": event.action,
        "bizStep": event.biz_step,
        "disposition": event.disposition,
        "eventTime": event.event_time.astimezone(dt.UTC).isoformat(),
        "readPoint": event.read_point,
        "what": event.what,
        "why": event.why,
    }


def hash_id_uri(digest: str) -> str:
    """Return the CBV 2.0 event hash ID for a SHA-256 hex digest."""
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


# The EPCIS 2.0 contexts the reference package carries, by address (its own file names).
BUNDLED_CONTEXTS = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": (
        "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
    ),
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld",
}


def _bundled_context_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serve the EPCIS contexts from the reference package's copies; refuse every other address.

    The package's own loader falls back to fetching any `@context` URL from the internet, which a
    document uploaded to the verify page could point anywhere; it also uses a deprecated API.
    """
    name = BUNDLED_CONTEXTS.get(url)
    if name is None:
        raise jsonld.JsonLdError(
            f"Only the EPCIS 2.0 context is known here, not {url}.", "jsonld.LoadDocumentError", code="loading document failed"
        )
    document = json.loads(resources.files("epcis_event_hash_generator").joinpath(name).read_text(encoding="utf-8"))
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def cbv_hash_ids(events: Sequence[dict[str, Any]], context: list[Any]) -> list[str]:
    """Compute the CBV 2.0 event hash ID of each EPCIS 2.0 event with the reference implementation.

    `events` are EPCIS JSON events (any `eventID` in them is ignored, as the standard says); `context`
    is the document's `@context`, which names the extension prefixes. Returns `ni:///sha-256;…` URIs.
    Raises `ValueError` when an event cannot be canonicalised.

    An event's ID depends on nothing but the event and the context, and the package expands JSON-LD to compute it
    (about 2 ms an event): the order page checks its whole chain on every view. So each ID is remembered, keyed on
    the exact JSON text of the event and the context (keys in their order, numbers and strings as written); only
    the events not seen before are computed, together, in one call.
    """
    try:
        context_text = json.dumps(context, ensure_ascii=False, allow_nan=False)
        keys = [json.dumps(_without_id(event), ensure_ascii=False, allow_nan=False) + "\n" + context_text for event in events]
    except (TypeError, ValueError):  # not plain JSON: computed every time
        return _computed_hash_ids(events, context)
    with _HASH_IDS_LOCK:
        known = {key: _HASH_IDS[key] for key in keys if key in _HASH_IDS}
    missing = [i for i, key in enumerate(keys) if key not in known]
    if missing:
        computed = _computed_hash_ids([events[i] for i in missing], context)
        with _HASH_IDS_LOCK:
            for i, hash_id in zip(missing, computed, strict=True):
                known[keys[i]] = hash_id
                if len(keys[i]) <= _HASH_ID_KEY_MAX:  # an uploaded document's outsized events are not kept
                    _HASH_IDS[keys[i]] = hash_id
            while len(_HASH_IDS) > _HASH_IDS_KEPT:
                del _HASH_IDS[next(iter(_HASH_IDS))]  # the oldest first
    return [known[key] for key in keys]


_HASH_IDS: dict[str, str] = {}
_HASH_IDS_KEPT = 10_000  # Loom's own events take under 1 KB of key: at most 10,000 × 4 KB = 40 MB a process
_HASH_ID_KEY_MAX = 4096
_HASH_IDS_LOCK = threading.Lock()


def _without_id(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("eventID", "@context")}


def _computed_hash_ids(events: Sequence[dict[str, Any]], context: list[Any]) -> list[str]:
    jsonld.set_document_loader(_bundled_context_loader)  # the package sets its own when imported; ours is stricter
    # A deep copy: the package rewrites bare CBV words into Web URIs inside the structure it is given.
    stripped = copy.deepcopy([_without_id(event) for event in events])
    document = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2000-01-01T00:00:00Z",
        "epcisBody": {"eventList": stripped},
    }
    hash_ids = hash_generator.epcis_hashes_from_events(json_to_py.event_list_from_epcis_document_json(document))
    if len(hash_ids) != len(events):  # the package logs and skips an event it cannot canonicalise
        raise ValueError("An event could not be canonicalised for its CBV 2.0 event hash ID.")
    return hash_ids


def hashable_text(text: str) -> str:
    """Return free text the reference hash generator can canonicalise: as is, unless it reads as an infinite number.

    The package parses every value as a number first and fails on "inf", "Infinity" or "1e999"; such a
    text is kept readable in quotes.
    """
    try:
        infinite = math.isinf(float(text))
    except ValueError:
        infinite = False
    return f'"{text}"' if infinite else text


@dataclass(frozen=True)
class Problem:
    """Something wrong with a trace document: which event (1-based position in the list) and what."""

    position: int
    message: str
    withheld: bool = False  # not a fault: the public copy leaves out what this event's hash covers


def verify_document(document: dict[str, Any]) -> list[Problem]:
    """Recompute every event's hash and every link of an EPCIS trace document; return what does not hold.

    An empty list means every event hash ID (or legacy hash) matches its event, each event names the
    one before it, and the sequence numbers run 1, 2, 3… without a gap. Raises `ValueError` when the
    document is not an EPCIS document with an event list.
    """
    # The document's shape lives there; it imports this module.
    from marketplace.trace.epcis import NOTES_KEY, SEALS_KEY, WITHHELD_KEY, event_key, legacy_event, public_digest

    try:
        events = document["epcisBody"]["eventList"]
        context = document["@context"]
    except (KeyError, TypeError) as error:
        raise ValueError("Not an EPCIS document: it has no epcisBody.eventList or @context.") from error
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ValueError("Not an EPCIS document: its eventList is not a list of events.")
    problems: list[Problem] = []
    current = [e for e in events if "eventID" in e and not e.get(WITHHELD_KEY)]
    recomputed = dict(zip((id(e) for e in current), cbv_hash_ids(current, context), strict=True)) if current else {}
    # Seals whose own event recomputes to its hash ID: what they cover is checked by the digest of its public form.
    seals = {
        entry.get("eventID"): (entry.get("digest"), position)
        for position, event in enumerate(events, start=1)
        if "eventID" in event and recomputed.get(id(event)) == event["eventID"] and isinstance(event.get(SEALS_KEY), list)
        for entry in event[SEALS_KEY]
        if isinstance(entry, dict)
    }
    previous: dict[str, Any] | None = None
    for position, event in enumerate(events, start=1):
        sequence = event.get("loom:sequence")
        expected_sequence = previous.get("loom:sequence", 0) + 1 if previous else 1
        if sequence != expected_sequence:
            problems.append(
                Problem(
                    position,
                    _(
                        "Event %(missing)s is missing: the next event is numbered %(sequence)s.",
                        missing=expected_sequence,
                        sequence=sequence,
                    ),
                )
            )
        if event.get(WITHHELD_KEY):
            record = event.get("loom:legacyRecord")
            shown = {
                k: v for k, v in event.items() if k not in ("loom:sequence", "loom:legacyHash", "loom:legacyRecord", WITHHELD_KEY)
            }
            if isinstance(record, dict) and shown != legacy_event(record):
                problems.append(
                    Problem(
                        position,
                        _(
                            "Event %(position)s was altered: its fields differ from the record its hash covers.",
                            position=position,
                        ),
                    )
                )
            digest, sealed_at = seals.get(event_key(event), (None, 0))
            if sealed_at > position and digest != public_digest(event):
                problems.append(
                    Problem(
                        position,
                        _(
                            "Event %(position)s was altered: it differs from what event %(seal)s sealed.",
                            position=position,
                            seal=sealed_at,
                        ),
                    )
                )
            elif sealed_at <= position:
                problems.append(
                    Problem(
                        position,
                        _(
                            "Event %(position)s cannot be checked in this public copy: its hash covers a private note, "
                            "recorded before notes were kept apart. The order's parties can check it in their own "
                            "download.",
                            position=position,
                        ),
                        withheld=True,
                    )
                )
        elif "eventID" in event:
            if recomputed[id(event)] != event["eventID"]:
                problems.append(
                    Problem(
                        position,
                        _("Event %(position)s was altered: its content does not hash to its eventID.", position=position),
                    )
                )
            link = event.get("loom:previousEventID") or event.get("loom:previousLegacyHash")
            expected_link = None if previous is None else previous.get("eventID") or previous.get("loom:legacyHash")
            if link != expected_link:
                problems.append(
                    Problem(
                        position,
                        _(
                            "Event %(position)s does not follow the event before it: an event was removed or reordered.",
                            position=position,
                        ),
                    )
                )
        elif "loom:legacyHash" in event:
            record = event.get("loom:legacyRecord")
            prev_hash = GENESIS if previous is None else previous.get("loom:legacyHash")
            if not isinstance(record, dict) or prev_hash is None or event_hash(prev_hash, record) != event["loom:legacyHash"]:
                problems.append(
                    Problem(
                        position,
                        _(
                            "Event %(position)s was altered or does not follow the event before it (Loom's first hash).",
                            position=position,
                        ),
                    )
                )
            else:
                shown = {k: v for k, v in event.items() if k not in ("loom:sequence", "loom:legacyHash", "loom:legacyRecord")}
                if shown != legacy_event(record):
                    problems.append(
                        Problem(
                            position,
                            _(
                                "Event %(position)s was altered: its fields differ from the record its hash covers.",
                                position=position,
                            ),
                        )
                    )
        else:
            problems.append(Problem(position, _("Event %(position)s has no eventID: it cannot be checked.", position=position)))
        previous = event
    problems += _note_problems(document.get(NOTES_KEY, []), events)
    return problems


def _note_problems(notes: Any, events: list[dict[str, Any]]) -> list[Problem]:
    """Check the parties' private notes against the digests their events' hashes cover."""
    from marketplace.trace.epcis import note_digest

    if not isinstance(notes, list):
        return [Problem(0, _("The document's notes are not a list."))]
    positions = {e.get("eventID"): (position, e) for position, e in enumerate(events, start=1) if "eventID" in e}
    problems: list[Problem] = []
    for entry in notes:
        found = positions.get(entry.get("eventID")) if isinstance(entry, dict) else None
        if found is None:
            problems.append(Problem(0, _("A note names no event of this document.")))
            continue
        position, event = found
        note, salt = entry.get("note"), entry.get("salt")
        if not isinstance(note, str) or not isinstance(salt, str) or note_digest(note, salt) != event.get("loom:noteDigest"):
            problems.append(
                Problem(
                    position,
                    _(
                        "The note of event %(position)s was altered: it does not match the digest the event's hash covers.",
                        position=position,
                    ),
                )
            )
    return problems
