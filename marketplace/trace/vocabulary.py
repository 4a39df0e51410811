"""What each step of an order means in GS1's Core Business Vocabulary (CBV 2.0), and in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from marketplace.i18n import N_
from marketplace.trace.models import EventKind


@dataclass(frozen=True)
class Step:
    """One kind of trace event: its EPCIS event type and CBV 2.0 words, and what a person reads."""

    kind: EventKind
    action: str | None  # ADD, OBSERVE, DELETE; none for transformations
    biz_step: str  # a bare CBV 2.0 BizStep word, or "" when no CBV step fits (a cancelled purchase order)
    disposition: str | None  # a bare CBV 2.0 Disp word
    label: str  # plain words for buyers and their customers
    at_destination: bool = False  # happens where the buyer receives the goods, not at the group's place


# Keys are order statuses, plus "progress" for a group's progress report.
STEPS: dict[str, Step] = {
    # The goods (as product classes) are tied to the purchase order: the EPCIS way to say "ordered".
    "confirmed": Step(EventKind.TRANSACTION, "ADD", "", None, N_("Order confirmed")),
    # Making the goods: outputs identified by a transformation ID, so later progress and packing link to it.
    "in_production": Step(EventKind.TRANSFORMATION, None, "creating_class_instance", "in_progress", N_("Production started")),
    "progress": Step(EventKind.OBJECT, "OBSERVE", "inspecting", "in_progress", N_("Progress checked")),
    "ready": Step(EventKind.AGGREGATION, "ADD", "packing", "container_closed", N_("Packed and ready to ship")),
    "shipped": Step(EventKind.OBJECT, "OBSERVE", "shipping", "in_transit", N_("Shipped")),
    "delivered": Step(EventKind.OBJECT, "OBSERVE", "receiving", "in_progress", N_("Received by the buyer"), at_destination=True),
    "closed": Step(
        EventKind.OBJECT, "OBSERVE", "accepting", "sellable_accessible", N_("Accepted by the buyer"), at_destination=True
    ),
    # The goods are no longer tied to the purchase order (EPCIS DELETE of the transaction).
    "cancelled": Step(EventKind.TRANSACTION, "DELETE", "", None, N_("Order cancelled")),
}

LEGACY_PREFIX = "urn:epcglobal:cbv:bizstep:"


def bare_step(biz_step: str) -> str:
    """Return the bare CBV word for a stored step, also for events recorded in the EPCIS 1.x URN form."""
    return biz_step.removeprefix(LEGACY_PREFIX)


PLAIN_STEPS = {step.biz_step: step.label for step in STEPS.values() if step.biz_step}
PLAIN_STEPS["commissioning"] = N_("Production started")  # events recorded before CBV 2.0 words


def plain_label(event_why: dict, biz_step: str, kind: EventKind, action: str | None) -> str:
    """Return the plain words for an event: the label stored with it, else one derived from its step."""
    if event_why.get("step") in STEPS:
        return gettext(STEPS[event_why["step"]].label)
    word = bare_step(biz_step)
    if word == "voiding" or (kind == EventKind.TRANSACTION and action == "DELETE"):
        return gettext("Order cancelled")
    if word == "accepting" and kind == EventKind.TRANSACTION:
        return gettext("Order confirmed") if action == "ADD" else gettext("Order closed")
    return gettext(PLAIN_STEPS[word]) if word in PLAIN_STEPS else word.replace("_", " ").capitalize()


def step_fields(
    step_key: str,
    *,
    order_number: str,
    lines: list[tuple[str, int]],
    place_uri: str,
    place_name: str,
    destination_uri: str,
    destination_name: str,
    invoice_numbers: list[str],
    note: str = "",
    progress: int | None = None,
) -> dict[str, Any]:
    """Return `record_event` keyword arguments for one step of an order (a key of `STEPS`).

    `lines` are (SKU, units); places are URIs with their plain names; the purchase order and its
    invoices become the event's `bizTransactionList`. Raises `KeyError` for an unknown step.
    """
    from marketplace.trace.chain import hashable_text
    from marketplace.trace.epcis import class_uri, invoice_uri, order_uri, uri_part

    step = STEPS[step_key]
    quantities = [{"epcClass": class_uri(sku), "quantity": units, "uom": "EA"} for sku, units in lines]
    what: dict[str, Any]
    if step.kind == EventKind.TRANSFORMATION:
        what = {"transformationID": f"{order_uri(order_number)}:making", "outputQuantityList": quantities}
    elif step.kind == EventKind.AGGREGATION:
        what = {"parentID": f"urn:loom:shipment:{uri_part(order_number)}", "childQuantityList": quantities}
    else:
        what = {"quantityList": quantities}
    where, place = (destination_uri, destination_name) if step.at_destination else (place_uri, place_name)
    transactions = [{"type": "po", "bizTransaction": order_uri(order_number)}]
    transactions += [{"type": "inv", "bizTransaction": invoice_uri(number)} for number in invoice_numbers]
    why: dict[str, Any] = {"step": step_key, "place": hashable_text(place), "bizTransactionList": transactions}
    if note:
        why["note"] = hashable_text(note)
    if progress is not None:
        why["progress"] = progress
    return {
        "kind": step.kind,
        "action": step.action,
        "biz_step": step.biz_step,
        "disposition": step.disposition,
        "read_point": where,
        "biz_location": where,
        "what": what,
        "why": why,
    }
