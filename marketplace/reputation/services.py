"""Reviews: the buyer rates a delivered order once; the group may answer once."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_role
from marketplace.db import lock, use_case, utcnow
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import order_for
from marketplace.producers.changes import publish_group_changed
from marketplace.producers.models import ProducerGroup
from marketplace.reputation.models import Review

MAX_TEXT = 4000
REVIEWABLE = (OrderStatus.DELIVERED, OrderStatus.CLOSED)
DIMENSIONS = ("quality", "communication", "on_time")  # rated apart, as buyers on Faire and Alibaba do


def review_of(session: Session, order_id: int) -> Review | None:
    """Return the buyer's review of order `order_id`, or None when it has none yet."""
    return session.scalar(select(Review).where(Review.order_id == order_id))


@use_case
def leave_review(
    session: Session,
    membership: Membership | None,
    order_id: int,
    *,
    rating: int,
    quality: int,
    communication: int,
    on_time: int,
    text: str = "",
) -> Review:
    """Record the buyer's review of a delivered order: `rating` overall and the order's `quality`,
    `communication` and `on_time` delivery (each 1–5 stars), with optional text.

    Raises NotFound for an order the membership is no party to, Forbidden for the group's side,
    Conflict before delivery or for a second review of the order, DomainError (on the field) for a
    rating outside 1–5.
    """
    order = order_for(session, membership, order_id)
    if membership.organization_id != order.buyer_id:
        raise Forbidden(_("Only the buyer reviews an order."))
    require_role(membership, Role.MEMBER)
    lock(session, Order, order.id)  # two reviews posted at once: the second waits and sees the first
    if order.status not in REVIEWABLE:
        raise Conflict(_("An order is reviewed once it is delivered."))
    if review_of(session, order.id) is not None:
        raise Conflict(_("This order is already reviewed; each order is reviewed once."))
    for field, stars in (("rating", rating), ("quality", quality), ("communication", communication), ("on_time", on_time)):
        if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
            raise DomainError(_("Rate the order from 1 to 5 stars."), field=field)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep the review under %(most)s characters.", most=MAX_TEXT), field="text")
    review = Review(
        order_id=order.id,
        group_id=order.group_id,
        buyer_id=order.buyer_id,
        author_id=membership.user_id,
        rating=rating,
        quality_rating=quality,
        communication_rating=communication,
        on_time_rating=on_time,
        text=text,
    )
    session.add(review)
    session.flush()
    _refresh_rating(session, order.group_id)
    return review


@use_case
def reply_to_review(session: Session, membership: Membership | None, review_id: int, *, text: str) -> Review:
    """The group's one answer to a review of one of its orders (admins of the group).

    `text` is plain text, at most MAX_TEXT characters. Raises `NotFound` (no such review), `Forbidden` (not the reviewed group's
    admin), `Conflict` (already answered) or `DomainError` (field `text`: empty or too long).
    """
    review = session.get(Review, review_id)
    group = session.get(ProducerGroup, review.group_id) if review else None
    if review is None or membership is None or group is None or membership.organization_id != group.organization_id:
        raise NotFound(_("No such review."))
    if membership.organization.kind != OrganizationKind.PRODUCER:
        raise Forbidden(_("Only the group answers a review."))
    require_role(membership, Role.ADMIN)
    review = lock(session, Review, review_id)
    if review.reply is not None:
        raise Conflict(_("The group has already answered this review; a review gets one answer."))
    text = text.strip()
    if not text:
        raise DomainError(_("Write the answer."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep the answer under %(most)s characters.", most=MAX_TEXT), field="text")
    review.reply, review.replied_at, review.replied_by_id = text, utcnow(), membership.user_id
    return review


def reviews_of_group(session: Session, group_id: int, *, limit: int = 20) -> list[Review]:
    """Return the group's `limit` newest reviews."""
    return list(
        session.scalars(
            select(Review).where(Review.group_id == group_id).order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)
        )
    )


def _refresh_rating(session: Session, group_id: int) -> None:
    """Keep the group's shown rating the average of its reviews (it was typed-in demo data before) and reindex it."""
    # The group's row lock first: a review of another of its orders committing meanwhile is then counted
    # (the average is read after the wait), not overwritten by an average computed without it.
    group = lock(session, ProducerGroup, group_id)
    count, average = session.execute(select(func.count(), func.avg(Review.rating)).where(Review.group_id == group_id)).one()
    group.rating_count = count
    group.rating = None if average is None else Decimal(str(round(float(average), 2)))
    group.version += 1
    group.updated_at = utcnow()
    publish_group_changed(session, group)
