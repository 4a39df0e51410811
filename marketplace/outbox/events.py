"""What happened in the marketplace, published by domain services for the adapters to act on.

A domain service publishes an event (past tense: `order.confirmed`, `invoice.issued`) inside its own
transaction. The adapters (`erp_connector`, `payments`, `search`) subscribe at start-up in
`marketplace.bootstrap`, the one module that knows both sides. A subscriber runs in the publisher's
session and transaction and writes what it has to do as outbox messages there, so the job commits or
rolls back with the change that caused it; the worker makes the outside call later. The core never
imports an adapter: it only says what happened.

Events carry the ORM objects they speak of (the subscriber runs in the same session, so nothing is
loaded twice). The models are named for type checkers only: this module imports no feature package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from marketplace.accounts.models import Organization, User
    from marketplace.billing.models import Invoice
    from marketplace.orders.models import Order
    from marketplace.producers.models import ProducerGroup


class Event:
    """Something that happened, named in the past tense as `area.verb` (`name`)."""

    name: ClassVar[str]


@dataclass(frozen=True)
class OrganizationSignedUp(Event):
    """Someone signed up with a new `organization` (a buyer or a producer group), its owner's membership added."""

    name: ClassVar[str] = "organization.signed_up"
    organization: Organization


@dataclass(frozen=True)
class AddressConfirmed(Event):
    """`user` proved they hold their e-mail address (a confirmation, invitation or reset link), or joined an
    organization with an address already proved; their memberships are flushed."""

    name: ClassVar[str] = "user.address_confirmed"
    user: User


@dataclass(frozen=True)
class OrderConfirmed(Event):
    """A buyer accepted a quote: `order` is new, confirmed, its lines and capacity promised."""

    name: ClassVar[str] = "order.confirmed"
    order: Order


@dataclass(frozen=True)
class OrderCancelled(Event):
    """`order` is being cancelled (before the goods are ready); `note` is why, in the canceller's words."""

    name: ClassVar[str] = "order.cancelled"
    order: Order
    note: str


@dataclass(frozen=True)
class OrderTraced(Event):
    """A step happened on `order` that its trace chain records (a move or a progress report).

    `step` is the step's key (an order status, or "progress"), `author_id` the user who acted, `base_url` the
    marketplace's address (for the group's page as its place), `note` their words and `progress` a percentage.
    """

    name: ClassVar[str] = "order.traced"
    order: Order
    step: str
    author_id: int | None = None
    base_url: str = ""
    note: str = ""
    progress: int | None = None


@dataclass(frozen=True)
class InvoiceIssued(Event):
    """`invoice` was issued (numbered, flushed) for an order: a deposit or a balance."""

    name: ClassVar[str] = "invoice.issued"
    invoice: Invoice


@dataclass(frozen=True)
class InvoicePaymentChanged(Event):
    """Money news for `invoice`: paid, refunded, paid out, void, or a refund settled by bank transfer."""

    name: ClassVar[str] = "invoice.payment_changed"
    invoice: Invoice


@dataclass(frozen=True)
class DirectFeeChanged(Event):
    """Loom's fee on `invoice`, paid straight into the group's own account, moved in the group's fee ledger.

    The fee's whole position after the change, in the invoice's currency: `charged` (the fee charged),
    `credited` (given back on refunds to the buyer), `settled` (what the group has paid of it: netted from its
    payouts, less what was released or given back that way, plus statements marked received). `version` grows
    with every change of the position (a stale copy is recognised); `charged_on` is the day the fee was charged.
    """

    name: ClassVar[str] = "fee.direct_changed"
    invoice: Invoice
    charged: Decimal
    credited: Decimal
    settled: Decimal
    version: int
    charged_on: dt.date


@dataclass(frozen=True)
class GroupChanged(Event):
    """What buyers can find out about `group` changed (its row has an id and its new `version`)."""

    name: ClassVar[str] = "producer_group.changed"
    group: ProducerGroup


@dataclass(frozen=True)
class GroupRecordChanged(Event):
    """Something `group`'s measured record is counted from happened (`marketplace.reputation.signals`):
    it quoted or wrote in an RFQ thread, was sent an RFQ, or one of its orders moved (shipped,
    delivered, cancelled). Its row has its new `version`. These come in bursts (a conversation), so
    subscribers should coalesce their work rather than act on each."""

    name: ClassVar[str] = "producer_group.record_changed"
    group: ProducerGroup


E = TypeVar("E", bound=Event)
Subscriber = Callable[[Session, E], None]


class NotWired(RuntimeError):
    """An event was published before `marketplace.bootstrap` subscribed the adapters: their work would be lost."""


class EventBus:
    """Subscribers per event type, called in subscription order inside the publisher's transaction."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[Subscriber]] = {}
        self.wired = False

    def subscribe(self, event_type: type[E], subscriber: Subscriber[E]) -> None:
        """Call `subscriber(session, event)` for every published event of `event_type` (exact type)."""
        self._subscribers.setdefault(event_type, []).append(subscriber)

    def subscribers(self, event_type: type[Event]) -> list[Subscriber]:
        """The subscribers of `event_type`, in the order they are called."""
        return list(self._subscribers.get(event_type, ()))

    def reset(self) -> None:
        """Forget every subscription (start-up wires them again)."""
        self._subscribers.clear()
        self.wired = False

    def publish(self, session: Session, event: Event) -> None:
        """Run each subscriber of the event's type in `session`; raises `NotWired` before start-up wired the bus.

        A subscriber's exception propagates to the publisher, whose transaction then rolls back whole.
        """
        if not self.wired:
            raise NotWired(f"{event.name} published before marketplace.bootstrap wired the subscribers")
        for subscriber in self._subscribers.get(type(event), ()):
            subscriber(session, event)


bus = EventBus()


def publish(session: Session, event: Event) -> None:
    """Publish `event` on the process's bus, in the caller's transaction (see `EventBus.publish`)."""
    bus.publish(session, event)
