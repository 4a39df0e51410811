"""Append trace events to an order's chain and check the chain has not been altered."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.trace.chain import CBV_SCHEME, GENESIS, HASH_ID, LEGACY_SCHEME, cbv_hash_ids, event_hash, legacy_body
from marketplace.trace.epcis import CONTEXT, event_body
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
