"""Requests for quotation and the quotes that answer them, up to the award that makes an order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.db import lock, use_case
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.i18n import format_day, format_number, label, lazy_date, lazy_join, lazy_money, lazy_number
from marketplace.i18n import lazy_gettext as _l
from marketplace.money import is_rounded, minor_units
from marketplace.notifications import notify
from marketplace.producers.changes import publish_record_changed
from marketplace.producers.commitments import capacity_fit
from marketplace.producers.models import ListingMembership, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, is_country, is_currency, lazy_category, lazy_country
from marketplace.sourcing.incoterms import PLACE_LENGTH, is_incoterm, lazy_delivery_terms, same_terms
from marketplace.sourcing.models import Message, Quote, QuoteStatus, Rfq, RfqAttachment, RfqRecipient, RfqStatus
from marketplace.uploads import StoredFile

RFQ_FIELDS = ("title", "spec", "category", "quantity", "target_unit_price", "currency", "needed_by", "destination_country")
QUOTE_FIELDS = ("unit_price", "quantity", "lead_time_days", "valid_until", "notes")


def require_buyer(membership: Membership | None) -> Membership:
    """Return `membership` if it belongs to a buyer organization; raise Forbidden otherwise."""
    if membership is None or membership.organization.kind != OrganizationKind.BUYER:
        raise Forbidden(_("Only buyers send requests for quotation."))
    return membership


def _check_rfq(values: Mapping[str, Any], today: dt.date) -> None:
    if values["category"] not in CATEGORIES or CATEGORIES[values["category"]].parent is None:
        raise DomainError(_("Choose a category from the list."), field="category")
    if not (values.get("spec") or "").strip():
        raise DomainError(_("Describe what you need: sizes, colours, materials, packing."), field="spec")
    if not is_incoterm(values.get("incoterm", "FCA")):
        raise DomainError(_("Choose the delivery terms from the list."), field="incoterm")
    if len(values.get("incoterm_place") or "") > PLACE_LENGTH:
        raise DomainError(_("Name the place in at most %(length)s characters.", length=PLACE_LENGTH), field="incoterm_place")
    if values["quantity"] < 1:
        raise DomainError(_("Ask for at least one unit."), field="quantity")
    if values["needed_by"] <= today:
        raise DomainError(_("The date you need the goods by must be in the future."), field="needed_by")
    if not is_currency(values["currency"]):
        raise DomainError(_("Choose a currency."), field="currency")
    if not is_country(values["destination_country"]):
        raise DomainError(_("Choose the country the goods go to."), field="destination_country")


MAX_RECIPIENTS = 20  # groups one request goes to


def _groups(session: Session, group_ids: list[int]) -> list[ProducerGroup]:
    if len(set(group_ids)) > MAX_RECIPIENTS:
        raise DomainError(
            _("Send one request to at most %(MAX_RECIPIENTS)s groups.", MAX_RECIPIENTS=MAX_RECIPIENTS), field="groups"
        )
    groups = list(session.scalars(select(ProducerGroup).where(ProducerGroup.id.in_(group_ids), ProducerGroup.listed == true())))
    if len(groups) != len(set(group_ids)):
        raise DomainError(_("One of the chosen producer groups no longer exists."), field="groups")
    return groups


def _tell_groups_of_rfq(session: Session, rfq: Rfq, groups: list[ProducerGroup], base_url: str) -> None:
    for group in groups:
        notify(
            session,
            group.organization_id,
            subject=_l("New request for quotation: %(title)s", title=rfq.title),
            body=_l(
                "%(buyer)s asks for %(quantity)s units (%(category)s) by %(needed_by)s, delivered to %(country)s. "
                "Answer with a quote on Loom.",
                buyer=rfq.buyer.name,
                quantity=lazy_number(rfq.quantity),
                category=lazy_category(rfq.category),
                needed_by=lazy_date(rfq.needed_by),
                country=lazy_country(rfq.destination_country),
            ),
            link=f"{base_url.rstrip('/')}/manage/rfqs/{rfq.id}",
        )


@use_case
def create_rfq(
    session: Session,
    membership: Membership | None,
    *,
    values: Mapping[str, Any],
    group_ids: list[int],
    send: bool,
    base_url: str,
    today: dt.date,
    attachments: list[tuple[str, StoredFile]] = (),
) -> Rfq:
    """Draft an RFQ for some groups, or send it to them straight away (a confirmed e-mail address only).

    Raises `Forbidden` (not a buyer; sending with an unconfirmed address) and `DomainError` (a field named: a bad value, or no
    group chosen when sending).
    """
    membership = require_buyer(membership)
    if send:
        require_confirmed(membership)
    _check_rfq(values, today)
    groups = _groups(session, group_ids)
    if send and not groups:
        raise DomainError(_("Choose at least one producer group to send the request to."), field="groups")
    rfq = Rfq(
        buyer_id=membership.organization_id,
        created_by_id=membership.user_id,
        status=RfqStatus.OPEN if send else RfqStatus.DRAFT,
        incoterm=values.get("incoterm", "FCA"),
        incoterm_place=(values.get("incoterm_place") or "").strip(),
        **{k: values[k] for k in RFQ_FIELDS},
    )
    rfq.recipients = [RfqRecipient(group_id=g.id) for g in groups]
    rfq.attachments = [RfqAttachment(path=f.path, filename=name[:200], content_type=f.content_type) for name, f in attachments]
    session.add(rfq)
    session.flush()
    if send:
        _tell_groups_of_rfq(session, rfq, groups, base_url)
    return rfq


@use_case
def update_draft(
    session: Session,
    membership: Membership | None,
    rfq_id: int,
    *,
    values: Mapping[str, Any],
    group_ids: list[int],
    send: bool,
    base_url: str,
    today: dt.date,
    attachments: list[tuple[str, StoredFile]] = (),
) -> Rfq:
    """Change a draft RFQ and the groups it goes to (attachments are added), and send it if asked.

    Raises `Conflict` once the request was sent, `DomainError` for the same rules as `create_rfq`.
    """
    if send:
        require_confirmed(membership)
    rfq = lock_rfq(session, buyer_rfq(session, membership, rfq_id))
    if rfq.status != RfqStatus.DRAFT:
        raise Conflict(_("This request was already sent; it can no longer be edited."))
    _check_rfq(values, today)
    groups = _groups(session, group_ids)
    if send and not groups:
        raise DomainError(_("Choose at least one producer group to send the request to."), field="groups")
    for name in RFQ_FIELDS:
        setattr(rfq, name, values[name])
    rfq.incoterm = values.get("incoterm", rfq.incoterm)
    rfq.incoterm_place = (values.get("incoterm_place", rfq.incoterm_place) or "").strip()
    kept = {r.group_id: r for r in rfq.recipients}
    rfq.recipients = [kept.get(g.id) or RfqRecipient(group_id=g.id) for g in groups]
    rfq.attachments.extend(
        RfqAttachment(path=f.path, filename=name[:200], content_type=f.content_type) for name, f in attachments
    )
    session.flush()
    if send:
        rfq.status = RfqStatus.OPEN
        _tell_groups_of_rfq(session, rfq, groups, base_url)
    return rfq


def groups_making(session: Session, category: str, *, exclude: list[int], limit: int = 6) -> list[ProducerGroup]:
    """The first `limit` listed groups that make something in `category` (a category code; a top-level one covers its
    subcategories), but those in `exclude` (ids): verified first, then the best rated (unrated last), then by name.
    Ones a buyer may add to a request.

    Walks `ix_listing_membership_rated` (the kept `ListingMembership` rows, as of the last commit) and stops at `limit`,
    where gathering every group that makes the category and sorting them grew with the table (issue 19: 30 ms at
    100,000 groups, 95 ms at 300,000, for the median category).
    """
    member = ListingMembership
    return list(
        session.scalars(
            select(ProducerGroup)
            .join(member, member.group_id == ProducerGroup.id)
            .where(member.category == category, member.group_id.not_in(exclude or [0]), ProducerGroup.listed == true())
            .options(selectinload(ProducerGroup.capabilities))
            .order_by(member.verified.desc(), member.rating_rank.desc(), member.name, member.group_id)
            .limit(limit)
        )
    )


def sending_warnings(
    groups: list[ProducerGroup], *, category: str, quantity: int | None, needed_by: dt.date | None, today: dt.date
) -> list[str]:
    """Say, per chosen group, where a request falls short of what it can take: under its minimum order, more
    than its calendar can make by the date, or a category it does not list. Empty when all fit.

    `quantity` is whole units (None when not given yet).
    """
    if not quantity or needed_by is None or category not in CATEGORIES:
        return []
    warnings = []
    for group in groups:
        capability = next((c for c in group.capabilities if c.category == category), None)
        if capability is None:
            warnings.append(
                _(
                    "%(group)s does not list %(category)s among what it makes.",
                    group=group.name,
                    category=CATEGORIES[category].label,
                )
            )
            continue
        if quantity < capability.moq:
            warnings.append(
                _(
                    "%(group)s takes orders from %(moq)s units; you ask for %(quantity)s.",
                    group=group.name,
                    moq=format_number(capability.moq),
                    quantity=format_number(quantity),
                )
            )
        deliverable, earliest = capacity_fit(capability, quantity, needed_by, today)
        if deliverable < quantity:
            values = {"group": group.name, "units": format_number(deliverable), "date": format_day(needed_by)}
            if earliest:
                warnings.append(
                    _(
                        "%(group)s's calendar holds %(units)s units by %(date)s; all %(quantity)s by %(earliest)s.",
                        quantity=format_number(quantity),
                        earliest=format_day(earliest),
                        **values,
                    )
                )
            else:
                warnings.append(_("%(group)s's calendar holds %(units)s units by %(date)s.", **values))
    return warnings


def quote_warnings(group: ProducerGroup, rfq: Rfq, *, quantity: int | None, today: dt.date) -> list[str]:
    """Say where a quote promises more than the group's calendar holds by the buyer's date, or less than its minimum order.

    `quantity` is whole units (None when not given yet).
    """
    capability = next((c for c in group.capabilities if c.category == rfq.category), None)
    if capability is None or not quantity:
        return []
    warnings = []
    deliverable, earliest = capacity_fit(capability, quantity, rfq.needed_by, today)
    if deliverable < quantity:
        values = {"units": format_number(deliverable), "date": format_day(rfq.needed_by), "quantity": format_number(quantity)}
        if earliest:
            warnings.append(
                _(
                    "Your calendar holds %(units)s units by %(date)s, and you quote %(quantity)s; all of them by %(earliest)s.",
                    earliest=format_day(earliest),
                    **values,
                )
            )
        else:
            warnings.append(_("Your calendar holds %(units)s units by %(date)s, and you quote %(quantity)s.", **values))
    if quantity < capability.moq:
        warnings.append(
            _(
                "You quote %(quantity)s units, under your minimum order of %(moq)s.",
                quantity=format_number(quantity),
                moq=format_number(capability.moq),
            )
        )
    return warnings


def buyer_rfq(session: Session, membership: Membership | None, rfq_id: int) -> Rfq:
    """One of the buyer's own RFQs; any other id is a 404."""
    membership = require_buyer(membership)
    rfq = session.scalar(
        select(Rfq)
        .where(Rfq.id == rfq_id, Rfq.buyer_id == membership.organization_id)
        .options(
            selectinload(Rfq.quotes).selectinload(Quote.group), selectinload(Rfq.recipients).selectinload(RfqRecipient.group)
        )
    )
    if rfq is None:
        raise NotFound(_("That request for quotation is not one of yours."))
    return rfq


def buyer_rfqs(
    session: Session, membership: Membership | None, *, after: int | None = None, per_page: int = 50
) -> tuple[list[Rfq], int | None]:
    """Return a page of the buyer's requests for quotation, newest first, with their quotes, and the cursor of the next page.

    The page walks the (buyer, id) index backwards from `after` (the last request id shown; keyset
    pagination). Returns (requests, last id shown when more follow, else None). Forbidden for a non-buyer.
    """
    membership = require_buyer(membership)
    query = select(Rfq).where(Rfq.buyer_id == membership.organization_id).options(selectinload(Rfq.quotes))
    if after is not None:
        query = query.where(Rfq.id < after)
    rfqs = list(session.scalars(query.order_by(Rfq.id.desc()).limit(per_page + 1)))
    return rfqs[:per_page], (rfqs[per_page - 1].id if len(rfqs) > per_page else None)


def buyer_drafts(session: Session, membership: Membership | None) -> list[Rfq]:
    """The buyer's unsent requests, newest first: ones a group can be added to."""
    membership = require_buyer(membership)
    return list(
        session.scalars(
            select(Rfq)
            .where(Rfq.buyer_id == membership.organization_id, Rfq.status == RfqStatus.DRAFT)
            .options(selectinload(Rfq.recipients).selectinload(RfqRecipient.group))
            .order_by(Rfq.id.desc())
        )
    )


@use_case
def add_to_draft(
    session: Session, membership: Membership | None, rfq_id: int, group_slug: str
) -> tuple[Rfq, ProducerGroup, bool]:
    """Add one producer group to the buyer's draft request; adding it again changes nothing.

    Returns (the draft, the group, whether it was newly added). Raises NotFound for another buyer's
    request or an unknown group, Conflict once the request was sent, DomainError past MAX_RECIPIENTS.
    """
    rfq = lock_rfq(session, buyer_rfq(session, membership, rfq_id))
    if rfq.status != RfqStatus.DRAFT:
        raise Conflict(_("This request was already sent; it can no longer take groups."))
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.slug == group_slug, ProducerGroup.listed == true()))
    if group is None:
        raise NotFound(_("There is no such producer group."))
    if any(r.group_id == group.id for r in rfq.recipients):
        return rfq, group, False
    if len(rfq.recipients) >= MAX_RECIPIENTS:
        raise DomainError(
            _("Send one request to at most %(MAX_RECIPIENTS)s groups.", MAX_RECIPIENTS=MAX_RECIPIENTS), field="groups"
        )
    rfq.recipients.append(RfqRecipient(group_id=group.id))
    session.flush()
    return rfq, group, True


def lock_rfq(session: Session, rfq: Rfq) -> Rfq:
    """Hold the RFQ (the root of its quotes and its award) for this transaction; read it and its quotes anew."""
    return lock(session, Rfq, rfq.id, selectinload(Rfq.quotes), selectinload(Rfq.recipients))


@use_case
def send_rfq(session: Session, membership: Membership | None, rfq_id: int, *, base_url: str) -> Rfq:
    """Send the buyer's draft RFQ `rfq_id` to the groups on it (each is e-mailed a link under `base_url`); return it.

    Raises Forbidden before the buyer's address is confirmed, NotFound for another buyer's RFQ, Conflict when
    it was already sent or names no group.
    """
    require_confirmed(membership)
    rfq = lock_rfq(session, buyer_rfq(session, membership, rfq_id))
    if rfq.status != RfqStatus.DRAFT:
        raise Conflict(_("This request was already sent."))
    if not rfq.recipients:
        raise Conflict(_("Add at least one producer group before sending."))
    rfq.status = RfqStatus.OPEN
    _tell_groups_of_rfq(session, rfq, [r.group for r in rfq.recipients], base_url)
    return rfq


@use_case
def cancel_rfq(session: Session, membership: Membership | None, rfq_id: int, *, base_url: str) -> Rfq:
    """Call a request off. Any member of the buyer may drop a draft; a sent request, whose groups are
    working on quotes, is cancelled only by an admin or owner (Forbidden otherwise), as accepting is.

    Raises `Conflict` when the request is already awarded, closed or cancelled.
    """
    rfq = lock_rfq(session, buyer_rfq(session, membership, rfq_id))
    if rfq.status not in (RfqStatus.DRAFT, RfqStatus.OPEN):
        raise Conflict(_("A request that is %(rfq_status)s cannot be cancelled.", rfq_status=label(rfq.status)))
    if rfq.status == RfqStatus.OPEN:
        require_role(membership, Role.ADMIN)
    was_open = rfq.status == RfqStatus.OPEN
    rfq.status = RfqStatus.CANCELLED
    for quote in rfq.quotes:
        if quote.status == QuoteStatus.SUBMITTED:
            quote.status = QuoteStatus.DECLINED
    if was_open:
        for recipient in rfq.recipients:
            notify(
                session,
                recipient.group.organization_id,
                subject=_l("Request cancelled: %(title)s", title=rfq.title),
                body=_l("%(buyer)s cancelled this request for quotation.", buyer=rfq.buyer.name),
                link=f"{base_url.rstrip('/')}/manage/rfqs/{rfq.id}",
            )
    return rfq


@use_case
def close_rfq(session: Session, membership: Membership | None, rfq_id: int, *, base_url: str) -> Rfq:
    """Stop taking quotes without awarding: the buyer decided not to order (this time). Admins and owners only.

    Raises `Conflict` unless the request is open, `Forbidden` below admin.
    """
    require_role(membership, Role.ADMIN)
    rfq = lock_rfq(session, buyer_rfq(session, membership, rfq_id))
    if rfq.status != RfqStatus.OPEN:
        raise Conflict(_("Only an open request can be closed; this one is %(rfq_status)s.", rfq_status=label(rfq.status)))
    rfq.status = RfqStatus.CLOSED
    for quote in rfq.quotes:
        if quote.status == QuoteStatus.SUBMITTED:
            quote.status = QuoteStatus.DECLINED
            notify(
                session,
                quote.group.organization_id,
                subject=_l("Request closed: %(title)s", title=rfq.title),
                body=_l("%(buyer)s closed this request without ordering. Thank you for quoting.", buyer=rfq.buyer.name),
                link=f"{base_url.rstrip('/')}/manage/rfqs/{rfq.id}",
            )
    return rfq


# ----- the group's side --------------------------------------------------------------------------


def group_rfq(session: Session, group: ProducerGroup, rfq_id: int) -> Rfq:
    """An RFQ sent to this group (never a draft, never another group's); any other id is a 404."""
    rfq = session.scalar(
        select(Rfq).join(RfqRecipient).where(Rfq.id == rfq_id, RfqRecipient.group_id == group.id, Rfq.status != RfqStatus.DRAFT)
    )
    if rfq is None:
        raise NotFound(_("That request for quotation was not sent to your group."))
    return rfq


def inbox(
    session: Session, group: ProducerGroup, *, after: int | None = None, per_page: int = 50
) -> tuple[list[tuple[Rfq, Quote | None]], int | None]:
    """Return a page of the requests sent to the group (drafts are not sent), newest first, each with the group's quote if any.

    The page walks the recipients' (group, request) index backwards from `after` (the last request id
    shown; keyset pagination), so it costs the same however long the inbox grows. Returns
    ((request, quote or None) pairs, last id shown when more follow, else None).
    """
    query = (
        select(Rfq)
        .join(RfqRecipient, RfqRecipient.rfq_id == Rfq.id)
        .where(RfqRecipient.group_id == group.id, Rfq.status != RfqStatus.DRAFT)
        .options(joinedload(Rfq.buyer))
    )
    if after is not None:
        query = query.where(RfqRecipient.rfq_id < after)
    # Ordered by the recipient's copy of the id: that is the index's order (Rfq.id is the same value).
    rfqs = list(session.scalars(query.order_by(RfqRecipient.rfq_id.desc()).limit(per_page + 1)))
    page = rfqs[:per_page]
    quotes = (
        {
            q.rfq_id: q
            for q in session.scalars(select(Quote).where(Quote.group_id == group.id, Quote.rfq_id.in_([r.id for r in page])))
        }
        if page
        else {}
    )
    return [(rfq, quotes.get(rfq.id)) for rfq in page], (page[-1].id if len(rfqs) > per_page else None)


def own_quote(session: Session, group: ProducerGroup, rfq_id: int) -> Quote | None:
    """Return `group`'s quote on RFQ `rfq_id`, read anew from the database, or None when it has not quoted."""
    return session.scalar(
        select(Quote).where(Quote.rfq_id == rfq_id, Quote.group_id == group.id).execution_options(populate_existing=True)
    )


def effective_status(quote: Quote, today: dt.date | None = None) -> QuoteStatus:
    """A submitted quote past its valid-until date is expired, whether or not anything recorded it yet.

    Valid-until is a date in the calendar of the group that set it, so "today" is the group's
    (its organization's time zone); `today` overrides it only for tests and demo data.
    """
    if quote.status == QuoteStatus.SUBMITTED and quote.valid_until < (today or quote.group.organization.today()):
        return QuoteStatus.EXPIRED
    return quote.status


@use_case
def submit_quote(
    session: Session,
    membership: Membership | None,
    group: ProducerGroup,
    rfq_id: int,
    *,
    values: Mapping[str, Any],
    today: dt.date,
    base_url: str,
) -> Quote:
    """Answer an RFQ, or revise the group's answer: one quote per group, with a revision count.

    `values` holds `unit_price` (a Decimal in the RFQ's currency, above zero), `quantity` (whole units, at least 1) and
    `valid_until` (a date, today or later, in the group's calendar); optionally `incoterm` (an Incoterms® 2020 code, the RFQ's
    when absent) and `incoterm_place` (its named place, required for a code other than the RFQ's). The buyer's e-mail says
    when the terms differ from the request. Raises `Conflict` (the RFQ takes no more quotes, or the quote
    was already accepted or declined) or `DomainError` (field named) for a bad value.
    """
    require_role(membership, Role.ADMIN)
    require_confirmed(membership)
    rfq = lock_rfq(session, group_rfq(session, group, rfq_id))  # no revision slips in while the buyer accepts
    if rfq.status != RfqStatus.OPEN:
        raise Conflict(_("This request is %(rfq_status)s; it takes no more quotes.", rfq_status=label(rfq.status)))
    if values["unit_price"] <= 0:
        raise DomainError(_("The unit price must be above zero."), field="unit_price")
    if not is_rounded(values["unit_price"], rfq.currency):
        raise DomainError(
            _(
                "Prices in %(rfq_currency)s have %(minor_units)s decimals; round the unit price to them.",
                rfq_currency=rfq.currency,
                minor_units=minor_units(rfq.currency),
            ),
            field="unit_price",
        )
    if values["quantity"] < 1:
        raise DomainError(_("Quote for at least one unit."), field="quantity")
    if values["valid_until"] < today:
        raise DomainError(_("The quote must be valid until today or later."), field="valid_until")
    incoterm, place = _quoted_terms(rfq, values)
    quote = own_quote(session, group, rfq_id)
    if quote is None:
        quote = Quote(
            rfq=rfq,
            group_id=group.id,
            currency=rfq.currency,
            incoterm=incoterm,
            incoterm_place=place,
            **{k: values[k] for k in QUOTE_FIELDS},
        )
        session.add(quote)
        verb = "sent"
    else:
        if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED):
            raise Conflict(_("Your quote was %(quote_status)s; it can no longer change.", quote_status=label(quote.status)))
        for name in QUOTE_FIELDS:
            setattr(quote, name, values[name])
        quote.incoterm, quote.incoterm_place = incoterm, place
        quote.status = QuoteStatus.SUBMITTED
        quote.revision += 1
        verb = "revised"
    session.flush()
    publish_record_changed(session, group)  # its response time and rate: search hears of it
    terms = {
        "group": group.name,
        "title": rfq.title,
        "quantity": lazy_number(quote.quantity),
        "days": quote.lead_time_days,
        "price": lazy_money(quote.unit_price, quote.currency),
        "valid_until": lazy_date(quote.valid_until),
    }
    body = (
        _l(
            "%(group)s sent its quote: %(quantity)s units at %(price)s, lead time %(days)s days, valid until %(valid_until)s.",
            **terms,
        )
        if verb == "sent"
        else _l(
            "%(group)s revised its quote: %(quantity)s units at %(price)s, lead time %(days)s days, valid until %(valid_until)s.",
            **terms,
        )
    )
    if not same_terms(quote.incoterm, quote.incoterm_place, rfq.incoterm, rfq.incoterm_place):
        body = lazy_join(
            body,
            _l(
                "Delivery terms: %(group)s quotes %(quoted)s, not the %(asked)s you asked for.",
                group=group.name,
                quoted=lazy_delivery_terms(quote.incoterm, quote.incoterm_place),
                asked=lazy_delivery_terms(rfq.incoterm, rfq.incoterm_place),
            ),
        )
    notify(
        session,
        rfq.buyer_id,
        subject=(
            _l("Quote sent by %(group)s: %(title)s", **terms)
            if verb == "sent"
            else _l("Quote revised by %(group)s: %(title)s", **terms)
        ),
        body=body,
        link=f"{base_url.rstrip('/')}/rfqs/{rfq.id}",
    )
    return quote


def _quoted_terms(rfq: Rfq, values: Mapping[str, Any]) -> tuple[str, str]:
    """Return the (Incoterms® 2020 code, named place) a quote offers: the RFQ's unless the group proposes another.

    Another code needs its own named place (the port or town it refers to), since the buyer's may not fit it; the same
    code without a place keeps the RFQ's. Raises `DomainError` (field `incoterm` or `incoterm_place`).
    """
    code = values.get("incoterm") or rfq.incoterm
    place = (values.get("incoterm_place") or "").strip()
    if not is_incoterm(code):
        raise DomainError(_("Choose the delivery terms from the list."), field="incoterm")
    if len(place) > PLACE_LENGTH:
        raise DomainError(_("Name the place in at most %(length)s characters.", length=PLACE_LENGTH), field="incoterm_place")
    if code == rfq.incoterm:
        return code, place or rfq.incoterm_place
    if not place:
        raise DomainError(
            _("Name the place your %(code)s price holds to: the town, port or warehouse.", code=code), field="incoterm_place"
        )
    return code, place


@use_case
def withdraw_quote(session: Session, membership: Membership | None, group: ProducerGroup, rfq_id: int, *, base_url: str) -> Quote:
    """Withdraw `group`'s standing quote on RFQ `rfq_id` and tell the buyer by e-mail (links under `base_url`); return it.

    Raises Forbidden below admin, NotFound when the group has not quoted, Conflict for a quote no longer submitted.
    """
    require_role(membership, Role.ADMIN)
    lock_rfq(session, group_rfq(session, group, rfq_id))
    quote = own_quote(session, group, rfq_id)
    if quote is None:
        raise NotFound(_("Your group has not quoted on this request."))
    if quote.status != QuoteStatus.SUBMITTED:
        raise Conflict(
            _("Your quote is %(quote_status)s; only a standing quote can be withdrawn.", quote_status=label(quote.status))
        )
    quote.status = QuoteStatus.WITHDRAWN
    notify(
        session,
        quote.rfq.buyer_id,
        subject=_l("Quote withdrawn by %(group)s: %(title)s", group=group.name, title=quote.rfq.title),
        body=_l("%(group)s withdrew its quote.", group=group.name),
        link=f"{base_url.rstrip('/')}/rfqs/{rfq_id}",
    )
    return quote


# ----- the conversation --------------------------------------------------------------------------


def thread(session: Session, rfq_id: int, group_id: int) -> list[Message]:
    """Return the messages between the RFQ's buyer and group `group_id`, oldest first."""
    return list(
        session.scalars(select(Message).where(Message.rfq_id == rfq_id, Message.group_id == group_id).order_by(Message.id))
    )


@use_case
def post_message(
    session: Session, membership: Membership | None, *, rfq: Rfq, group: ProducerGroup, body: str, base_url: str
) -> Message:
    """Add to the thread between the RFQ's buyer and one group; callers pass an RFQ and group already scoped to them.

    Raises `Forbidden` when signed out, `DomainError` (field `body`) for an empty message.
    """
    if membership is None:
        raise Forbidden(_("Sign in to write."))
    body = body.strip()
    if not body:
        raise DomainError(_("Write something first."), field="body")
    message = Message(rfq_id=rfq.id, group_id=group.id, author_id=membership.user_id, body=body[:5000])
    session.add(message)
    from_buyer = membership.organization_id == rfq.buyer_id
    if not from_buyer:
        publish_record_changed(session, group)  # a first answer by message counts as a response
    notify(
        session,
        group.organization_id if from_buyer else rfq.buyer_id,
        subject=_l("New message about %(title)s", title=rfq.title),
        body=lazy_join(
            _l("%(person)s (%(organization)s) wrote:", person=membership.user.name, organization=membership.organization.name),
            body[:1000],
        ),
        link=f"{base_url.rstrip('/')}/{'manage/rfqs' if from_buyer else 'rfqs'}/{rfq.id}",
    )
    return message


def attachment_of(rfq: Rfq, attachment_id: int) -> RfqAttachment:
    """Return attachment `attachment_id` of `rfq`; raise NotFound when the RFQ has no such attachment."""
    attachment = next((a for a in rfq.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound(_("No such attachment on this request."))
    return attachment


@dataclass(frozen=True)
class Cell:
    """One cell of the comparison in words, and whether it is good news (True), a warning (False) or neither (None)."""

    text: str
    good: bool | None = None


def certification_cells(group: ProducerGroup, today: dt.date) -> list[Cell]:
    """The group's certifications by scheme name: verified by an operator, claimed, or expired; rejected ones left out."""
    cells = []
    for certification in group.certifications:
        if certification.rejected_at is not None:
            continue
        name = (
            CERTIFICATION_SCHEMES[certification.scheme].name
            if certification.scheme in CERTIFICATION_SCHEMES
            else certification.scheme
        )
        if certification.valid_until is not None and certification.valid_until < today:
            cells.append(Cell(_("%(name)s (expired %(date)s)", name=name, date=format_day(certification.valid_until)), False))
        elif certification.verified:
            cells.append(Cell(_("%(name)s ✓ verified", name=name), True))
        else:
            cells.append(Cell(_("%(name)s (claimed, not yet checked)", name=name)))
    return cells


def capacity_cell(quote: Quote, rfq: Rfq, today: dt.date) -> Cell:
    """What the quoting group's calendar can make of the quoted units by the buyer's date.

    An accepted quote's units are already reserved in that calendar for the buyer's own order, so they
    are not counted against it again.
    """
    if effective_status(quote) == QuoteStatus.ACCEPTED:  # valid-until is in the quoting group's calendar
        return Cell(_("%(units)s units reserved for your order", units=format_number(quote.quantity)), True)
    capability = next((c for c in quote.group.capabilities if c.category == rfq.category), None)
    if capability is None:
        return Cell(_("no calendar for this kind of goods"))
    free, earliest = capacity_fit(
        capability, quote.quantity, rfq.needed_by, quote.group.organization.today()
    )  # the group's weeks
    if free >= quote.quantity:
        return Cell(
            _(
                "%(free)s units free by %(date)s: enough for %(units)s",
                free=format_number(free),
                date=format_day(rfq.needed_by),
                units=format_number(quote.quantity),
            ),
            True,
        )
    values = {"free": format_number(free), "units": format_number(quote.quantity), "date": format_day(rfq.needed_by)}
    if earliest:
        return Cell(
            _(
                "only %(free)s of %(units)s units free by %(date)s; all %(units)s by %(earliest)s",
                earliest=format_day(earliest),
                **values,
            ),
            False,
        )
    return Cell(_("only %(free)s of %(units)s units free by %(date)s", **values), False)


def compare(quotes: list[Quote], today: dt.date, terms: Mapping[int, Any]) -> list[dict[str, Any]]:
    """Return the buyer's side-by-side view: every quote with its total, its standing today, what the group's calendar
    can make by the buyer's date and its certifications, cheapest first.

    `terms` maps each quote's id to what accepting it would cost (`marketplace.sourcing.terms.terms_for`: `.total` tax
    included, `.subtotal`, `.tax_rule`): the total shown and sorted on is what the buyer would pay, the same
    figure as the acceptance page, the order and the card payment.
    """
    rows = [
        {
            "quote": q,
            "status": effective_status(q),  # valid-until is in the quoting group's calendar, not the buyer's
            "terms": terms[q.id],
            "total": terms[q.id].total,
            "ready_by": today + dt.timedelta(days=q.lead_time_days),
            "capacity": capacity_cell(q, q.rfq, today),
            "certifications": certification_cells(q.group, today),
        }
        for q in quotes
    ]
    return sorted(rows, key=lambda r: (r["status"] != QuoteStatus.SUBMITTED, r["total"], r["quote"].id))
