"""What the trace chain does when the marketplace publishes an event: record the order's step, in CBV 2.0 words."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.billing.services import invoices_of
from marketplace.db import utcnow
from marketplace.outbox.events import OrderTraced
from marketplace.producers.models import ProducerGroup
from marketplace.producers.taxonomy import country_name
from marketplace.trace.epcis import geo_uri, uri_part
from marketplace.trace.services import record_event
from marketplace.trace.vocabulary import step_fields


def _group_place(group: ProducerGroup, base_url: str) -> str:
    """The group's place as a URI: a `geo:` URI when its coordinates are known, else its Loom page."""
    if group.latitude is not None and group.longitude is not None:
        return geo_uri(group.latitude, group.longitude)
    return f"{base_url.rstrip('/')}/groups/{group.slug}" if base_url else f"urn:loom:group:{group.slug}"


def _place_name(group: ProducerGroup) -> str:
    """Where the group works, in words: its town, else its region, else its country."""
    return group.city or group.region or country_name(group.country)


def record_step(session: Session, event: OrderTraced) -> None:
    """Record the event's step on its order's trace chain, linked to the order's lines and invoices, in the publisher's
    transaction."""
    order = event.order
    fields = step_fields(
        event.step,
        order_number=order.number,
        lines=[(line.sku, line.quantity) for line in order.lines],
        place_uri=_group_place(order.group, event.base_url),
        place_name=_place_name(order.group),
        destination_uri=f"urn:loom:destination:{uri_part(order.number)}:{order.destination_country.lower()}",
        destination_name=country_name(order.destination_country),
        invoice_numbers=[invoice.number for invoice in invoices_of(session, order.id)],
        note=event.note,
        progress=event.progress,
    )
    record_event(session, order_id=order.id, event_time=utcnow(), recorded_by_id=event.author_id, **fields)
