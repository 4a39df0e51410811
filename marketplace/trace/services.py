"""Append trace events to an order's chain and check the chain has not been altered."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.trace.chain import CBV_SCHEME, GENESIS, HASH_ID, LEGACY_SCHEME, cbv_hash_ids, event_hash, legacy_body
from marketplace.trace.epcis import CONTEXT, WITHHELD_KEY, epcis_event, event_body, event_key, public_digest
from marketplace.trace.models import EventKind, TraceEvent


def chain_of(session: Session, order_id: int) -> list[TraceEvent]:
    """Return the order's trace events in chain order."""
    return list(session.scalars(select(TraceEvent).where(TraceEvent.order_id == order_id).order_by(TraceEvent.sequence)))


def cbv_hash(event: TraceEvent, previous: TraceEvent | None) -> str:
    """Return the hex digest of the event's CBV 2.0 event hash ID (its EPCIS form after `previous`)."""
    match = HASH_ID.match(cbv_hash_ids([event_body(event, previous)], CONTEXT)[0])
    assert match is not None  # the reference package always answers ni:///sha-256;<hex>?ver=CBV2.0 for sha256
    return match.group(1)


def record_event(
    session: Session,
    *,
    order_id: int,
    kind: EventKind,
    biz_step: str,
    event_time: dt.datetime,
    read_point: str,
    what: dict[str, Any],
    action: str | None = "OBSERVE",
    disposition: str | None = None,
    biz_location: str | None = None,
    why: dict[str, Any] | None = None,
    recorded_by_id: int | None = None,
) -> TraceEvent:
    """Append an event after the order's last one; the unique (order, sequence) refuses a fork.

    `biz_step` and `disposition` are bare CBV 2.0 words, `read_point` and `biz_location` URIs, `what`
    the EPCIS what-dimension (quantityList, or outputQuantityList and transformationID, or parentID and
    childQuantityList), `why` Loom's own fields (note, place name, bizTransactionList). The stored hash
    is the CBV 2.0 event hash ID, which covers the previous event's ID. A note is private to the order's
    parties: it gets a random salt here, and the hash covers only its salted digest.
    """
    why = dict(why or {})
    if why.get("note") and not why.get("note_salt"):
        why["note_salt"] = secrets.token_hex(16)
    last = session.scalar(select(TraceEvent).where(TraceEvent.order_id == order_id).order_by(TraceEvent.sequence.desc()).limit(1))
    event = TraceEvent(
        order_id=order_id,
        sequence=(last.sequence + 1) if last else 1,
        kind=kind,
        action=None if kind == EventKind.TRANSFORMATION else action,
        biz_step=biz_step,
        disposition=disposition,
        event_time=event_time.astimezone(dt.UTC).replace(microsecond=event_time.microsecond // 1000 * 1000),
        read_point=read_point,
        biz_location=biz_location,
        what=what,
        why=why,
        recorded_by_id=recorded_by_id,
        prev_hash=last.hash if last else GENESIS,
        hash_scheme=CBV_SCHEME,
    )
    event.hash = cbv_hash(event, last)
    session.add(event)
    session.flush()
    return event


def first_altered(events: list[TraceEvent]) -> int | None:
    """Return the sequence number of the first altered or misplaced event, or None when the chain is intact."""
    current = [(e, events[i - 1] if i else None) for i, e in enumerate(events) if e.hash_scheme != LEGACY_SCHEME]
    # One call for the whole chain: the reference package expands the JSON-LD once, not once per event.
    recomputed = cbv_hash_ids([event_body(e, prev) for e, prev in current], CONTEXT) if current else []
    digests = {id(e): m.group(1) if (m := HASH_ID.match(h)) else "" for (e, _), h in zip(current, recomputed, strict=True)}
    previous: TraceEvent | None = None
    for expected_sequence, event in enumerate(events, start=1):
        expected_prev = previous.hash if previous else GENESIS
        if event.sequence != expected_sequence or event.prev_hash != expected_prev:
            return event.sequence
        if event.hash_scheme == LEGACY_SCHEME:
            if previous is not None and previous.hash_scheme != LEGACY_SCHEME:
                return event.sequence  # a legacy event never follows a CBV 2.0 one
            intact = event_hash(event.prev_hash, legacy_body(event)) == event.hash
        else:
            intact = digests[id(event)] == event.hash
        if not intact:
            return event.sequence
        previous = event
    return None


def verify_chain(session: Session, order_id: int) -> int | None:
    """Return the sequence number of the first altered event, or None when the chain is intact."""
    return first_altered(chain_of(session, order_id))


def seal_withheld_events(session: Session, order_id: int, *, now: dt.datetime, read_point: str) -> TraceEvent | None:
    """Append a seal over the order's older noted events so its public copy verifies; return it, or None if none is needed.

    An event recorded before notes were kept apart has its note inside its hash, so the public copy (which
    leaves the note out) cannot recompute it. Rehashing it would rewrite a tamper-evident history, and
    showing the note would publish what may name an artisan. Instead, once the chain has been checked whole
    (notes included), a new event is appended whose hash covers each such event's ID and the digest of its
    public form: anyone can then check that what the public copy shows is what the checked chain held, and
    the parties still check the note itself in their own download. Nothing is sealed twice, and a chain
    that does not hold is not sealed.
    """
    events = chain_of(session, order_id)
    if not events or first_altered(events) is not None:
        return None
    sealed = {entry["eventID"] for e in events for entry in e.why.get("seals", ())}
    seals = []
    for position, event in enumerate(events):
        shown = epcis_event(event, events[position - 1] if position else None)
        if shown.get(WITHHELD_KEY) and event_key(shown) not in sealed:
            seals.append({"eventID": event_key(shown), "digest": public_digest(shown)})
    if not seals:
        return None
    goods = next((e.what for e in events if e.what.get("quantityList")), {"epcList": []})
    return record_event(
        session,
        order_id=order_id,
        kind=EventKind.OBJECT,
        biz_step="",
        event_time=now,
        read_point=read_point,
        what={"quantityList": goods["quantityList"]} if goods.get("quantityList") else goods,
        why={"seals": seals, "step": "sealed"},
    )
