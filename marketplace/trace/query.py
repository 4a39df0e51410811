"""The EPCIS 2.0 query interface over an organization's own trace events (GS1 EPCIS 2.0, REST binding, `GET /events`).

The parameters are the standard's (EPCIS 2.0 section 8.2.7.1, the SimpleEventQuery, as the REST binding's
openapi.yaml names them): `eventType`, `GE_eventTime`, `LT_eventTime`, `GE_recordTime`, `LT_recordTime`,
`EQ_action`, `EQ_bizStep`, `EQ_disposition`, `EQ_readPoint`, `EQ_bizLocation`, `MATCH_epc`, `MATCH_anyEPC`,
`MATCH_epcClass`, `MATCH_anyEPCClass`, `EQ_eventID`, with `perPage` and `nextPageToken`. A list value is
pipe-delimited (`EQ_bizStep=shipping|receiving`). URIs match exactly (EPC patterns are not supported). Any
other parameter is refused, as the standard's QueryParameterException asks, rather than silently ignored.

Events are those of the orders the organization is a party to (as buyer or as maker), in their public form
(note digests, not the notes), ordered by event time; a page token is signed and bound to the organization
and the query, so it cannot be replayed by another organization or with other filters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.trace.epcis import CONTEXT, epcis_event, epcis_time
from marketplace.trace.models import EventKind, TraceEvent

LISTS = (
    "eventType",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "MATCH_epc",
    "MATCH_anyEPC",
    "MATCH_epcClass",
    "MATCH_anyEPCClass",
    "EQ_eventID",
)
TIMES = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
PARAMETERS = frozenset((*LISTS, *TIMES, "perPage", "nextPageToken"))
DEFAULT_PER_PAGE = 30  # the REST binding's default
MAX_PER_PAGE = 100
MAX_VALUES = 50  # values in one pipe-delimited list
CBV_STEP_PREFIX = "https://ref.gs1.org/cbv/BizStep-"
CBV_DISPOSITION_PREFIX = "https://ref.gs1.org/cbv/Disp-"


@dataclass(frozen=True)
class EventQuery:
    """A parsed SimpleEventQuery: each list is a set of accepted values (empty: no condition)."""

    lists: dict[str, frozenset[str]] = field(default_factory=dict)
    times: dict[str, dt.datetime] = field(default_factory=dict)
    per_page: int = DEFAULT_PER_PAGE

    def fingerprint(self) -> str:
        """A digest of the filters, which a page token carries so it is used only with the same query."""
        shape = {
            "lists": {k: sorted(v) for k, v in sorted(self.lists.items())},
            "times": {k: v.isoformat() for k, v in self.times.items()},
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:32]


def parse_event_query(args: Mapping[str, str]) -> EventQuery:
    """Read the query string's parameters; raise `DomainError` (400, `field` = the parameter) for any unknown or bad one.

    Times are ISO 8601 with an offset (`2026-03-01T00:00:00Z`); `perPage` is 1 to `MAX_PER_PAGE`.
    """
    unknown = sorted(set(args) - PARAMETERS)
    if unknown:
        raise DomainError(_("Loom does not support the query parameter %(name)s.", name=unknown[0]), field=unknown[0])
    lists: dict[str, frozenset[str]] = {}
    for name in LISTS:
        if name in args:
            values = [v for v in args[name].split("|") if v]
            if not values or len(values) > MAX_VALUES or any(len(v) > 300 for v in values):
                raise DomainError(
                    _(
                        "Give %(name)s as 1 to %(most)s values separated by |, each at most 300 characters.",
                        name=name,
                        most=MAX_VALUES,
                    ),
                    field=name,
                )
            lists[name] = frozenset(values)
    if unknown_types := lists.get("eventType", frozenset()) - {k.value for k in EventKind} - {"AssociationEvent"}:
        raise DomainError(_("Unknown event type %(type)s.", type=sorted(unknown_types)[0]), field="eventType")
    times: dict[str, dt.datetime] = {}
    for name in TIMES:
        if name in args:
            try:
                moment = dt.datetime.fromisoformat(args[name])
                utc = moment.astimezone(dt.UTC) if moment.tzinfo is not None else None
            except (ValueError, OverflowError):  # OverflowError: year 9999 at -23:59 is past what a datetime holds in UTC
                utc = None
            if utc is None:
                raise DomainError(
                    _("Give %(name)s as a date and time with its offset, such as 2026-03-01T00:00:00Z.", name=name), field=name
                )
            times[name] = utc
    per_page = DEFAULT_PER_PAGE
    if "perPage" in args:
        raw = args["perPage"]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_PER_PAGE):
            raise DomainError(_("Give perPage as a whole number from 1 to %(most)s.", most=MAX_PER_PAGE), field="perPage")
        per_page = int(raw)
    return EventQuery(lists, times, per_page)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="loom.epcis.next-page")


def page_token(secret_key: str, organization_id: int, query: EventQuery, last: TraceEvent) -> str:
    """Sign where the next page starts (after `last`), bound to the organization and the query's filters."""
    return _serializer(secret_key).dumps([organization_id, query.fingerprint(), last.event_time.isoformat(), last.id])


def read_page_token(secret_key: str, organization_id: int, query: EventQuery, token: str) -> tuple[dt.datetime, int]:
    """Return the (event time, id) a token says the page starts after; `DomainError` for a token not made for this query."""
    refused = DomainError(_("This nextPageToken is not valid for this query; start again without it."), field="nextPageToken")
    try:
        organization, fingerprint, moment, last_id = _serializer(secret_key).loads(token)
        after = (dt.datetime.fromisoformat(moment), int(last_id))
    except (BadSignature, ValueError, TypeError):
        raise refused from None
    if organization != organization_id or fingerprint != query.fingerprint():
        raise refused
    return after


def _matches(event: dict[str, Any], query: EventQuery) -> bool:
    """Whether an event (its EPCIS form) meets the conditions the database could not check."""
    lists = query.lists
    step = event.get("bizStep")
    if "EQ_bizStep" in lists and not (step and ({step, CBV_STEP_PREFIX + step} & lists["EQ_bizStep"])):
        return False
    disposition = event.get("disposition")
    if "EQ_disposition" in lists and not (
        disposition and ({disposition, CBV_DISPOSITION_PREFIX + disposition} & lists["EQ_disposition"])
    ):
        return False
    if "EQ_action" in lists and event.get("action") not in lists["EQ_action"]:
        return False
    for name, key in (("EQ_readPoint", "readPoint"), ("EQ_bizLocation", "bizLocation")):
        if name in lists and (event.get(key) or {}).get("id") not in lists[name]:
            return False
    if "EQ_eventID" in lists and event.get("eventID") not in lists["EQ_eventID"]:
        return False
    epcs = set(event.get("epcList", [])) | set(event.get("childEPCs", []))
    if "MATCH_epc" in lists and not epcs & lists["MATCH_epc"]:
        return False
    any_epcs = (
        epcs
        | set(event.get("inputEPCList", []))
        | set(event.get("outputEPCList", []))
        | ({event["parentID"]} if "parentID" in event else set())
    )
    if "MATCH_anyEPC" in lists and not any_epcs & lists["MATCH_anyEPC"]:
        return False
    classes = {q.get("epcClass") for key in ("quantityList", "childQuantityList") for q in event.get(key, [])}
    if "MATCH_epcClass" in lists and not classes & lists["MATCH_epcClass"]:
        return False
    any_classes = classes | {q.get("epcClass") for key in ("inputQuantityList", "outputQuantityList") for q in event.get(key, [])}
    return not ("MATCH_anyEPCClass" in lists and not any_classes & lists["MATCH_anyEPCClass"])


def find_events(
    session: Session, own_orders: Select, query: EventQuery, *, after: tuple[dt.datetime, int] | None = None, batch: int = 200
) -> tuple[list[dict[str, Any]], TraceEvent | None]:
    """Return up to `query.per_page` matching events of the orders `own_orders` selects (the ids of the caller's
    orders: `orders.services.party_order_ids`), in their EPCIS form (public: no notes), ordered by event time then
    record, and the last event read when more may follow (else None).

    No event of another order is ever read. Type and time conditions are answered by the database; the
    others on each event's EPCIS form, a batch at a time.
    """
    statement = select(TraceEvent).where(TraceEvent.order_id.in_(own_orders))
    if types := query.lists.get("eventType"):
        statement = statement.where(TraceEvent.kind.in_([EventKind(t) for t in types if t in {k.value for k in EventKind}]))
    for name, column, ge in (
        ("GE_eventTime", TraceEvent.event_time, True),
        ("LT_eventTime", TraceEvent.event_time, False),
        ("GE_recordTime", TraceEvent.recorded_at, True),
        ("LT_recordTime", TraceEvent.recorded_at, False),
    ):
        if name in query.times:
            statement = statement.where(column >= query.times[name] if ge else column < query.times[name])
    statement = statement.order_by(TraceEvent.event_time, TraceEvent.id)
    found: list[dict[str, Any]] = []
    while True:
        page = statement if after is None else statement.where(tuple_(TraceEvent.event_time, TraceEvent.id) > tuple_(*after))
        rows = list(session.scalars(page.limit(batch)))
        previous = _predecessors(session, rows)
        for row in rows:
            body = epcis_event(row, previous.get((row.order_id, row.sequence - 1)))
            if _matches(body, query):
                found.append(body)
                if len(found) == query.per_page:
                    return found, row
        if len(rows) < batch:
            return found, None
        after = (rows[-1].event_time, rows[-1].id)


def _predecessors(session: Session, rows: list[TraceEvent]) -> dict[tuple[int, int], TraceEvent]:
    """The events just before these in their chains (an event's EPCIS form names its predecessor's ID)."""
    wanted = {(r.order_id, r.sequence - 1) for r in rows if r.sequence > 1}
    if not wanted:
        return {}
    orders = {order for order, _sequence in wanted}
    candidates = session.scalars(select(TraceEvent).where(TraceEvent.order_id.in_(orders)))
    return {(e.order_id, e.sequence): e for e in candidates if (e.order_id, e.sequence) in wanted}


def query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap events in an EPCIS 2.0 query document (`EPCISQueryDocument`, the result of a SimpleEventQuery)."""
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": epcis_time(utcnow()),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}},
    }


__all__ = ["EventQuery", "find_events", "page_token", "parse_event_query", "query_document", "read_page_token"]
