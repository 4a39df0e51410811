"""Orders: made when a buyer accepts a quote, then moved along by the people allowed to move them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, and_, bindparam, literal_column, or_, select, true, union_all
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.billing.models import Invoice, InvoiceKind
from marketplace.billing.services import invoices_of, issue_invoice, sales_tax_of
from marketplace.billing.taxes import Amounts, TaxRule, amounts_of
from marketplace.db import lock, use_case, utcnow
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.i18n import label, lazy_date, lazy_join, lazy_label, lazy_money, lazy_number
from marketplace.i18n import lazy_gettext as _l
from marketplace.notifications import notify
from marketplace.orders.models import Order, OrderLine, OrderStatus, ProgressUpdate
from marketplace.outbox.events import OrderCancelled, OrderConfirmed, OrderTraced, publish
from marketplace.producers.changes import publish_record_changed
from marketplace.producers.commitments import capacity_fit, commit_units, lock_capability, release_units
from marketplace.producers.models import Capability, ProducerGroup
from marketplace.sourcing.models import Quote, QuoteSeen, QuoteStatus, Rfq, RfqStatus
from marketplace.sourcing.services import buyer_rfq, effective_status, require_buyer
from marketplace.sourcing.terms import award_terms

# Who moves an order where. The group makes and ships; the buyer receives; either may call it off early.
GROUP_MOVES = {
    (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION),
    (OrderStatus.IN_PRODUCTION, OrderStatus.READY),
    (OrderStatus.READY, OrderStatus.SHIPPED),
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    (OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED),
}
# The moves that change what the group's measured record counts (marketplace.reputation.signals).
RECORD_MOVES = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED})
BUYER_MOVES = {
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    (OrderStatus.DELIVERED, OrderStatus.CLOSED),
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
}


def _trace(
    session: Session,
    order: Order,
    step_key: str,
    *,
    author_id: int | None,
    base_url: str,
    note: str = "",
    progress: int | None = None,
) -> None:
    """Publish that a step happened on the order; the trace chain records it (`marketplace.trace.subscribers`)."""
    publish(session, OrderTraced(order, step=step_key, author_id=author_id, base_url=base_url, note=note, progress=progress))


def _capability_for(group: ProducerGroup, category: str) -> Capability:
    capability = next((c for c in group.capabilities if c.category == category), None)
    if capability is None:
        raise Conflict(
            _("%(group_name)s no longer lists this category; ask them to add it or choose another quote.", group_name=group.name)
        )
    return capability


def _price(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def check_seen(quote: Quote, seen: QuoteSeen | None) -> None:
    """Refuse an acceptance made on a page that showed another revision of the quote than the one standing now.

    Raises `Conflict` saying what changed (price, quantity or revision); nothing when `seen` is None.
    """
    if seen is None or seen.revision == quote.revision:
        return
    changes = []
    if seen.unit_price is not None and seen.unit_price != quote.unit_price:
        changes.append(f"from {_price(seen.unit_price)} to {_price(quote.unit_price)} per unit")
    if seen.quantity is not None and seen.quantity != quote.quantity:
        changes.append(f"from {seen.quantity:,} to {quote.quantity:,} units")
    what = f"changed {' and '.join(changes)}" if changes else "was revised"
    raise Conflict(_("This quote %(what)s since you opened the page — review it and accept again.", what=what))


def price_order(order: Order, rule: TaxRule | None) -> Amounts:
    """Give the order its copy of the group's sales tax rule, its tax and its total (tax included); return its amounts.

    The lines must be set; each line's amount is rounded to the currency (billing.taxes.amounts_of).
    """
    amounts = amounts_of(order.line_amounts, rule, order.currency)
    order.tax_name = rule.name if rule else None
    order.tax_rate = rule.rate if rule else None
    order.tax_included = bool(rule and rule.included)
    order.tax_per_line = rule.per_line if rule else True
    order.tax_amount, order.total = amounts.tax, amounts.total
    return amounts


@use_case
def accept_quote(
    session: Session,
    membership: Membership | None,
    quote_id: int,
    *,
    deposit_percent: int,
    base_url: str,
    seen: QuoteSeen | None = None,
    today: dt.date | None = None,
) -> Order:
    """Award the RFQ to one quote: a confirmed order, its capacity promised, its deposit invoiced.

    Dates are the group's: it set the quote's valid-until and keeps the capacity calendar, so "today"
    is its organization's date, whatever the accepting buyer's calendar says (`today` overrides it
    only for tests and demo data).

    The RFQ is locked first, so of two acceptances of one RFQ (two people, or one double click) the
    second waits and then finds it awarded: `Conflict`. With `seen` (what the buyer's page showed),
    a quote revised since then is refused with `Conflict` saying what changed.

    `deposit_percent` is a whole percentage (30 means 30 %; 0 invoices nothing now), `today` the buyer's
    date, `base_url` the site's address for links. Raises `NotFound` (no such quote, or not the buyer's
    RFQ), `Forbidden` (not a buyer admin), `Conflict` (RFQ not open, quote not standing, capability gone).
    Publishes `invoice.issued` (the deposit), `order.traced` and `order.confirmed` in the transaction.
    The order ships by the RFQ's date, or by the later date the page promised (`seen.ship_by`) when the
    group's calendar cannot hold all units sooner (a quote sent anyway) and still holds them by then.
    """
    membership = require_buyer(membership)
    require_role(membership, Role.ADMIN)
    require_confirmed(membership)
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(_("No such quote."))
    rfq = buyer_rfq(session, membership, quote.rfq_id)  # 404 unless the buyer's own
    rfq = lock(session, Rfq, rfq.id, selectinload(Rfq.quotes))  # the award's aggregate; quotes read after the lock
    if rfq.status == RfqStatus.AWARDED and (number := _accepted(session, rfq).get(quote.id)):
        raise Conflict(_("You already accepted this quote: it is order %(number)s.", number=number))
    if rfq.status != RfqStatus.OPEN:
        raise Conflict(_("This request is %(rfq_status)s; its quotes can no longer be accepted.", rfq_status=label(rfq.status)))
    group = quote.group
    today = today or group.organization.today()
    status = effective_status(quote, today)
    if status != QuoteStatus.SUBMITTED:
        raise Conflict(_("This quote is %(status)s; only a standing quote can be accepted.", status=status.value))
    check_seen(quote, seen)
    capability = lock_capability(session, _capability_for(group, rfq.category).id)
    rule = sales_tax_of(session, group.id)
    terms = award_terms(quote, deposit_percent, rule)
    # A quote sent "anyway" beyond the calendar binds its own date, as on Alibaba or Faire: the order ships by
    # the later date the accept page promised (templates/orders/accept.html) if all units still fit by then.
    # A buyer shown no later date (or a calendar filled since) gets commit_units' Conflict.
    deliverable, earliest = capacity_fit(capability, quote.quantity, rfq.needed_by, today)
    ship_by = rfq.needed_by
    if deliverable < quote.quantity and earliest and seen and seen.ship_by and earliest <= seen.ship_by:
        ship_by = max(seen.ship_by, rfq.needed_by)
    order = Order(
        number=f"LM-{group.organization.today().year}-pending",
        buyer_id=rfq.buyer_id,
        group_id=group.id,
        quote_id=quote.id,
        status=OrderStatus.CONFIRMED,
        currency=quote.currency,
        total=terms.total,
        deposit_percent=deposit_percent,
        incoterm=quote.incoterm,
        incoterm_place=quote.incoterm_place,
        ship_by=ship_by,
        destination_country=rfq.destination_country,
        confirmed_at=utcnow(),
        lines=[
            OrderLine(
                position=1,
                capability_id=capability.id,
                sku=f"RFQ-{rfq.id}",
                description=rfq.title[:300],
                quantity=quote.quantity,
                unit_price=quote.unit_price,
            )
        ],
    )
    price_order(order, rule)  # the same amounts as `terms`: one line, one rule
    session.add(order)
    session.flush()
    order.number = order.number.replace("pending", f"{order.id:05d}")  # the year of the group's calendar
    commit_units(session, capability, order_id=order.id, units=quote.quantity, ship_by=order.ship_by, today=today)
    quote.status = QuoteStatus.ACCEPTED
    rfq.status = RfqStatus.AWARDED
    for other in rfq.quotes:
        if other.id != quote.id and other.status == QuoteStatus.SUBMITTED:
            other.status = QuoteStatus.DECLINED
            notify(
                session,
                other.group.organization_id,
                subject=_l("Your quote was not chosen: %(title)s", title=rfq.title),
                body=_l("%(buyer)s chose another group for this request. Thank you for quoting.", buyer=rfq.buyer.name),
                link=f"{base_url.rstrip('/')}/manage/rfqs/{rfq.id}",
            )
    if deposit_percent:
        issue_invoice(session, order, kind=InvoiceKind.DEPOSIT, amount=terms.deposit, tax=terms.deposit_tax)
    _trace(session, order, OrderStatus.CONFIRMED.value, author_id=membership.user_id, base_url=base_url)
    publish(session, OrderConfirmed(order))
    notify(
        session,
        group.organization_id,
        subject=_l("Order %(number)s confirmed: %(title)s", number=order.number, title=rfq.title),
        body=_l(
            "%(buyer)s accepted your quote: %(quantity)s units at %(price)s, to ship by %(ship_by)s. "
            "The units are reserved in your capacity calendar.",
            buyer=rfq.buyer.name,
            quantity=lazy_number(quote.quantity),
            price=lazy_money(quote.unit_price, quote.currency),
            ship_by=lazy_date(order.ship_by),
        ),
        link=f"{base_url.rstrip('/')}/orders/{order.id}",
    )
    return order


def _accepted(session: Session, rfq: Rfq) -> dict[int, str]:
    """The order number made from each accepted quote of this RFQ."""
    rows = session.execute(
        select(Order.quote_id, Order.number).join(Quote, Quote.id == Order.quote_id).where(Quote.rfq_id == rfq.id)
    )
    return {quote_id: number for quote_id, number in rows}


def order_for(session: Session, membership: Membership | None, order_id: int) -> Order:
    """An order the membership's organization is party to, as buyer or as maker; otherwise 404."""
    if membership is None:
        raise NotFound(_("No such order."))
    order = (
        session.scalars(
            select(Order)
            .join(ProducerGroup, ProducerGroup.id == Order.group_id)
            .where(
                Order.id == order_id,
                or_(Order.buyer_id == membership.organization_id, ProducerGroup.organization_id == membership.organization_id),
            )
            .options(
                # what its page shows, in two statements: the order with both parties and its few lines, then its progress
                contains_eager(Order.group).joinedload(ProducerGroup.organization),
                joinedload(Order.buyer),
                joinedload(Order.lines),
                selectinload(Order.progress),
            )
        )
        .unique()
        .one_or_none()
    )
    if order is None:
        raise NotFound(_("That order is not one of yours."))
    return order


# The order page's rows: one per line, progress report and invoice, each kind of row outer-joined on its own (the order's
# columns repeat on each), so the three come in one statement without multiplying each other as three joins would.
_LINE, _PROGRESS, _INVOICE = 1, 2, 3
_KINDS = union_all(*(select(literal_column(str(kind), Integer).label("kind")) for kind in (_LINE, _PROGRESS, _INVOICE))).subquery(
    "kinds"
)


_ORDER_PAGE = (
    select(Order, Invoice)
    .join(ProducerGroup, ProducerGroup.id == Order.group_id)
    .join(_KINDS, true())
    .outerjoin(OrderLine, and_(_KINDS.c.kind == literal_column(str(_LINE)), OrderLine.order_id == Order.id))
    .outerjoin(ProgressUpdate, and_(_KINDS.c.kind == literal_column(str(_PROGRESS)), ProgressUpdate.order_id == Order.id))
    .outerjoin(Invoice, and_(_KINDS.c.kind == literal_column(str(_INVOICE)), Invoice.order_id == Order.id))
    .where(
        Order.id == bindparam("order_id"),
        or_(Order.buyer_id == bindparam("organization_id"), ProducerGroup.organization_id == bindparam("organization_id")),
    )
    .options(
        contains_eager(Order.group).joinedload(ProducerGroup.organization),
        joinedload(Order.buyer),
        contains_eager(Order.lines),
        contains_eager(Order.progress),
    )
    # the relationships' own orders within each kind (`Order.lines`, `Order.progress`), and `invoices_of`'s
    .order_by(_KINDS.c.kind, OrderLine.position, ProgressUpdate.created_at, ProgressUpdate.id, Invoice.sequence)
)


def order_page(session: Session, membership: Membership | None, order_id: int) -> tuple[Order, list[Invoice]]:
    """Return what the order page shows: the order (as `order_for` gives it: both parties, lines and progress) and its
    invoices in the order they were issued (as `invoices_of`), in one statement; NotFound as `order_for`.

    Each line, progress report and invoice is a row of its own kind (`_KINDS`), outer-joined only on the rows of its kind:
    three collections in one round trip, which two select-in loads and the invoices' own statement took (issue 19: each
    statement costs PostgreSQL's driver and server about 0.1 ms of CPU more than SQLite). The statement is built once
    (`_ORDER_PAGE`). A collection already loaded in the session (a progress post read the order first) is kept as it was.
    """
    if membership is None:
        raise NotFound(_("No such order."))
    rows = session.execute(_ORDER_PAGE, {"order_id": order_id, "organization_id": membership.organization_id}).unique().all()
    if not rows:
        raise NotFound(_("That order is not one of yours."))
    return rows[0][0], [invoice for _order, invoice in rows if invoice is not None]


def party_order_ids(organization_id: int) -> Select:
    """Select the ids of the orders `organization_id` is party to (as buyer or as maker), for use as a subquery."""
    return (
        select(Order.id)
        .join(ProducerGroup, ProducerGroup.id == Order.group_id)
        .where(or_(Order.buyer_id == organization_id, ProducerGroup.organization_id == organization_id))
    )


def orders_of(
    session: Session, membership: Membership | None, *, after: int | None = None, per_page: int = 50
) -> tuple[list[Order], int | None]:
    """Return a page of the orders the membership's organization is party to, newest first, and the cursor of the next page.

    A buyer's orders are those it placed, a producer group's those it makes: each side walks its own
    (party, id) index backwards from `after` (the last order id shown; keyset pagination), so a page
    costs the same however many orders came before. Returns (orders, last id shown when more follow,
    else None); ([], None) without a membership.
    """
    if membership is None:
        return [], None
    if membership.organization.kind == OrganizationKind.BUYER:
        party = Order.buyer_id == membership.organization_id
    else:  # an organization is one producer group (unique organization_id): its id, looked up inside the query
        made_by = select(ProducerGroup.id).where(ProducerGroup.organization_id == membership.organization_id)
        party = Order.group_id == made_by.scalar_subquery()
    query = select(Order).where(party).options(joinedload(Order.buyer), joinedload(Order.group))
    if after is not None:
        query = query.where(Order.id < after)
    orders = list(session.scalars(query.order_by(Order.id.desc()).limit(per_page + 1)))
    return orders[:per_page], (orders[per_page - 1].id if len(orders) > per_page else None)


def allowed_moves(order: Order, membership: Membership | None) -> list[OrderStatus]:
    """Where this person may move the order now (for the buttons they see)."""
    if membership is None or not membership.role.at_least(Role.ADMIN):
        return []
    moves = BUYER_MOVES if membership.organization_id == order.buyer_id else GROUP_MOVES
    return [to for (frm, to) in sorted(moves) if frm == order.status]


def lock_order(session: Session, membership: Membership | None, order_id: int) -> Order:
    """An order the membership's organization is party to (else 404), locked for this transaction and read anew."""
    order_for(session, membership, order_id)
    return lock(session, Order, order_id, selectinload(Order.lines), selectinload(Order.progress))


@use_case
def move(
    session: Session,
    membership: Membership | None,
    order_id: int,
    to: OrderStatus,
    *,
    note: str,
    today: dt.date,
    base_url: str,
    expected: OrderStatus | None = None,
    carrier: str = "",
    tracking_number: str = "",
) -> Order:
    """Move an order one step, if the state machine allows it and this person may.

    Shipping names the carrier (`DomainError` on field `carrier` without one) and, when there is one, the tracking number.

    The order is locked first: of two moves at once (two cancellations, a cancellation and the start
    of production) the second waits and then sees the first one's result. With `expected` (the
    status the person's page showed), a move from any other status is refused with `Conflict`.

    Raises `NotFound` (not the membership's order), `Forbidden` (the other side's move, or not an admin),
    `Conflict` (a move the state machine refuses), `DomainError` (field `note`: a cancellation without a reason).
    A cancellation releases the capacity and publishes `order.cancelled` (payments voids, refunds and holds;
    the group's Odoo cancels its sale order); delivery issues the balance invoice; every move publishes `order.traced`.
    """
    order = lock_order(session, membership, order_id)
    if expected is not None and order.status != expected:
        raise Conflict(
            _(
                "This order changed from %(before)s to %(now)s since you opened the page — review it and try again.",
                before=label(expected),
                now=label(order.status),
            )
        )
    if not order.can_move_to(to):
        raise Conflict(_("An order that is %(status)s cannot become %(target)s.", status=label(order.status), target=label(to)))
    as_buyer = membership.organization_id == order.buyer_id
    moves = BUYER_MOVES if as_buyer else GROUP_MOVES
    if (order.status, to) not in moves:
        side = "the producer group" if as_buyer else "the buyer"
        raise Forbidden(_("Only %(side)s can mark this order %(target)s.", side=side, target=label(to)))
    require_role(membership, Role.ADMIN)
    if to == OrderStatus.CANCELLED:
        if not note.strip():
            raise DomainError(_("Say why the order is cancelled; the other side will read it."), field="note")
        release_units(session, order.id)
        order.cancelled_at = utcnow()
        # Payments void, refund and hold what the order had; the group's Odoo cancels its sale order too.
        publish(session, OrderCancelled(order, note=note.strip()))
    if to == OrderStatus.SHIPPED:
        if not carrier.strip():
            raise DomainError(_("Name the carrier the goods left with (or the buyer's forwarder)."), field="carrier")
        order.carrier, order.tracking_number = carrier.strip()[:80], (tracking_number.strip()[:80] or None)
        note = " ".join(
            filter(
                None,
                [
                    _("With %(carrier)s, tracking number %(number)s.", carrier=order.carrier, number=order.tracking_number)
                    if order.tracking_number
                    else _("With %(carrier)s.", carrier=order.carrier),
                    note.strip(),
                ],
            )
        )
    order.status = to
    if to == OrderStatus.DELIVERED:
        # The balance is what the order still owes after the invoices really issued, so they add up to its total.
        # Its tax is the order's less the invoices' (billing.taxes: the group's Odoo books the same).
        issued = invoices_of(session, order.id)
        balance = order.total - sum((i.amount for i in issued), Decimal(0))
        if balance > 0:
            tax = order.tax_amount - sum((i.tax_amount for i in issued), Decimal(0))
            issue_invoice(session, order, kind=InvoiceKind.BALANCE, amount=balance, tax=tax)
    _trace(session, order, to.value, author_id=membership.user_id, base_url=base_url, note=note.strip())
    if to in RECORD_MOVES:
        publish_record_changed(session, order.group)  # on time, orders completed, repeat buyers: search hears of it
    other = order.group.organization_id if as_buyer else order.buyer_id
    notify(
        session,
        other,
        subject=_l("Order %(number)s is %(status)s", number=order.number, status=lazy_label(to)),
        body=lazy_join(
            _l(
                "%(organization)s marked order %(number)s %(status)s.",
                organization=membership.organization.name,
                number=order.number,
                status=lazy_label(to),
            ),
            note.strip(),
        ),
        link=f"{base_url.rstrip('/')}/orders/{order.id}",
    )
    return order


@use_case
def post_progress(
    session: Session,
    membership: Membership | None,
    order_id: int,
    *,
    percent: int,
    note: str,
    photo_path: str | None,
    base_url: str = "",
    reason: str = "",
) -> ProgressUpdate:
    """A progress report from the group's side (any member of the group may report).

    The order is locked: its trace chain grows one event at a time, and a move cannot slip in between.
    Progress below the last report needs a `reason` (raises `DomainError` on field `reason` without one).

    `percent` is a whole percentage done, 0 to 100.
    """
    order = lock_order(session, membership, order_id)
    if membership.organization.kind != OrganizationKind.PRODUCER:
        raise Forbidden(_("Progress is reported by the producer group."))
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY):
        raise Conflict(_("The order is %(status)s; progress is reported while it is being made.", status=label(order.status)))
    if not 0 <= percent <= 100:
        raise DomainError(_("Progress is a percentage from 0 to 100."), field="percent")
    last = max(order.progress, key=lambda u: (u.created_at, u.id), default=None)
    reason = reason.strip()
    if last is not None and percent < last.percent and not reason:
        raise DomainError(
            _("The last report said %(last_percent)s %%. Say why it is lower now.", last_percent=last.percent), field="reason"
        )
    update = ProgressUpdate(
        order_id=order.id,
        author_id=membership.user_id,
        percent=percent,
        note=note.strip(),
        photo_path=photo_path,
        reason=reason if last is not None and percent < last.percent else None,
    )
    session.add(update)
    session.flush()
    _trace(
        session,
        order,
        "progress",
        author_id=membership.user_id,
        base_url=base_url,
        note=(note.strip() + (f" Lower than before: {update.reason}" if update.reason else "")).strip(),
        progress=percent,
    )
    return update
