"""Append trace events to an order's chain and check the chain has not been altered."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.trace.chain import GENESIS, event_hash, first_broken_link
from marketplace.trace.models import EventKind, TraceEvent


def hashed_body(event: TraceEvent) -> dict[str, Any]:
    """The fields the hash covers: everything that says what happened, not the row's bookkeeping."""
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


def chain_of(session: Session, order_id: int) -> list[TraceEvent]:
    return list(session.scalars(select(TraceEvent).where(TraceEvent.order_id == order_id).order_by(TraceEvent.sequence)))


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
    why: dict[str, Any] | None = None,
    recorded_by_id: int | None = None,
) -> TraceEvent:
    """Append an event after the order's last one; the unique (order, sequence) refuses a fork."""
    last = session.scalar(
        select(TraceEvent).where(TraceEvent.order_id == order_id).order_by(TraceEvent.sequence.desc()).limit(1)
    )
    event = TraceEvent(
        order_id=order_id,
        sequence=(last.sequence + 1) if last else 1,
        kind=kind,
        action=None if kind == EventKind.TRANSFORMATION else action,
        biz_step=biz_step,
        disposition=disposition,
        event_time=event_time,
        read_point=read_point,
        what=what,
        why=why or {},
        recorded_by_id=recorded_by_id,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event_hash(event.prev_hash, hashed_body(event))
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session, order_id: int) -> int | None:
    """Return the sequence number of the first altered event, or None when the chain is intact."""
    events = chain_of(session, order_id)
    broken = first_broken_link([(e.prev_hash, e.hash, hashed_body(e)) for e in events])
    return None if broken is None else events[broken].sequence


@dataclass(frozen=True)
class EventInWords:
    """A trace event as a person reads it: "Order confirmed" in "Machakos, Kenya", with whatever else was noted."""

    headline: str
    place: str
    detail: str


def in_words(event: TraceEvent, country_name: Callable[[str], str]) -> EventInWords:
    """Say what happened, where and with what note, from the event's `why` note and read point (country codes named)."""
    note = str((event.why or {}).get("note", "")).strip()
    headline, _, detail = note.partition(". ")
    *town, country = [part.strip() for part in event.read_point.split(",")]
    place = ", ".join([*town, country_name(country) if len(country) == 2 and country.isupper() else country])
    return EventInWords(headline.rstrip(".") or event.kind.value, place, detail.strip())
