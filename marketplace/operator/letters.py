"""What a dead letter is about: the producer group and the order behind an outbox message, for the operator's desk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import Invoice, Payment, Payout, Refund
from marketplace.orders.models import Order
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from marketplace.producers.models import ProducerGroup

_BY_ORDER = (topics.SYNC_ORDER, topics.SYNC_TRACE)
_BY_INVOICE = (topics.SYNC_INVOICE, topics.SYNC_PAYMENT, topics.SYNC_FEE)


@dataclass(frozen=True)
class Concerns:
    """The group and order a message works for (either may be unknown), and the record it names, in words."""

    group: ProducerGroup | None = None
    order: Order | None = None
    record: str = ""


def _ids(messages: Iterable[OutboxMessage], wanted: tuple[str, ...]) -> set[int]:
    return {int(m.key) for m in messages if m.topic in wanted and m.key.isascii() and m.key.isdigit() and int(m.key) < 2**31}


def concerns_of(session: Session, messages: list[OutboxMessage]) -> dict[int, Concerns]:
    """Map each message's id to what it concerns, in one query per kind of record (a page of letters costs a few queries)."""
    groups = {
        g.id: g for g in session.scalars(select(ProducerGroup).where(ProducerGroup.id.in_(_ids(messages, (topics.INDEX_GROUP,)))))
    }
    invoices = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(_ids(messages, _BY_INVOICE))))}
    payouts = {p.id: p for p in session.scalars(select(Payout).where(Payout.id.in_(_ids(messages, (topics.TRANSFER_PAYOUT,)))))}
    refunds: dict[int, Invoice] = {
        refund_id: invoice
        for refund_id, invoice in session.execute(
            select(Refund.id, Invoice)
            .join(Payment, Refund.payment_id == Payment.id)
            .join(Invoice, Payment.invoice_id == Invoice.id)
            .where(Refund.id.in_(_ids(messages, (topics.REFUND_PAYMENT,))))
        )
    }
    order_ids = _ids(messages, _BY_ORDER) | {i.order_id for i in (*invoices.values(), *refunds.values())}
    order_ids |= {p.order_id for p in payouts.values() if p.order_id is not None}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}
    group_ids = {o.group_id for o in orders.values()} | {p.group_id for p in payouts.values()}
    groups.update({g.id: g for g in session.scalars(select(ProducerGroup).where(ProducerGroup.id.in_(group_ids - set(groups))))})

    def of_order(order_id: int | None, record: str = "") -> Concerns:
        order = orders.get(order_id) if order_id is not None else None
        return Concerns(groups.get(order.group_id) if order else None, order, record)

    found: dict[int, Concerns] = {}
    for message in messages:
        key = int(message.key) if message.key.isascii() and message.key.isdigit() and int(message.key) < 2**31 else None
        if key is None:
            continue
        if message.topic == topics.INDEX_GROUP and key in groups:
            found[message.id] = Concerns(groups[key])
        elif message.topic in _BY_ORDER:
            found[message.id] = of_order(key)
        elif message.topic in _BY_INVOICE and key in invoices:
            found[message.id] = of_order(invoices[key].order_id, f"invoice {invoices[key].number}")
        elif message.topic == topics.TRANSFER_PAYOUT and key in payouts:
            payout = payouts[key]
            found[message.id] = Concerns(
                groups.get(payout.group_id), orders.get(payout.order_id) if payout.order_id else None, f"payout #{payout.id}"
            )
        elif message.topic == topics.REFUND_PAYMENT and key in refunds:
            found[message.id] = of_order(refunds[key].order_id, f"refund #{key} of invoice {refunds[key].number}")
    return found
