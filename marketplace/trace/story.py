"""An order's trace in plain words, and its public product story: published while buyer and group both agree."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_role
from marketplace.db import use_case, utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.i18n import format_day
from marketplace.orders.models import Order, ProgressUpdate
from marketplace.orders.services import order_for
from marketplace.trace.epcis import geo_uri, uri_part
from marketplace.trace.models import ProductStory, TraceEvent
from marketplace.trace.services import seal_withheld_events
from marketplace.trace.vocabulary import plain_label


@dataclass(frozen=True)
class PlainStep:
    """One trace event as a person reads it: "Order confirmed · Machakos · 3 Mar 2026"."""

    label: str
    place: str
    day: dt.date
    progress: int | None

    def __str__(self) -> str:
        return " · ".join(part for part in (self.label, self.place, format_day(self.day)) if part)

    def __html__(self) -> Markup:
        """Return the step for a page: the place (people's words, any script) isolated in `<bdi>`."""
        place = Markup("<bdi>{}</bdi>").format(self.place) if self.place else ""
        return Markup(" · ").join(part for part in (self.label, place, format_day(self.day)) if part)


def plain_steps(events: list[TraceEvent], zone: str) -> list[PlainStep]:
    """Return each event in plain words, dated in `zone`'s calendar (the group's). No notes: they stay with the parties."""
    tz = ZoneInfo(zone)
    return [
        PlainStep(
            plain_label(e.why, e.biz_step, e.kind, e.action),
            e.why.get("place") or (e.read_point if e.hash_scheme == "loom1" else ""),
            e.event_time.astimezone(tz).date(),
            e.why.get("progress"),
        )
        for e in events
        if not e.why.get("seals")  # a seal is the record's bookkeeping, not a step of the goods
    ]


def story_of(session: Session, order_id: int) -> ProductStory | None:
    """Return the order's story settings, if either party has set them."""
    return session.scalar(select(ProductStory).where(ProductStory.order_id == order_id))


_CHAIN_AND_STORY = (  # built once: `chain_and_story`'s statement, for the order `order_id`
    select(TraceEvent, ProductStory)
    .select_from(Order)
    .outerjoin(TraceEvent, TraceEvent.order_id == Order.id)
    .outerjoin(ProductStory, ProductStory.order_id == Order.id)
    .where(Order.id == bindparam("order_id"))
    .order_by(TraceEvent.sequence)
)


def chain_and_story(session: Session, order_id: int) -> tuple[list[TraceEvent], ProductStory | None]:
    """Return the order's trace events in chain order and its story settings (None if unset), in one statement.

    The order page shows both (`trace.views.order_trace`): one round trip, not two (issue 19). The order's
    row anchors the outer joins, so a story without events, or events without a story, come back alike;
    the story's few columns repeat on each event's row. An unknown order gives ([], None).
    """
    rows = session.execute(_CHAIN_AND_STORY, {"order_id": order_id}).all()
    return [event for event, _story in rows if event is not None], (rows[0][1] if rows else None)


@use_case
def set_story_consent(
    session: Session, membership: Membership | None, order_id: int, *, agree: bool, photo_ids: list[int] | None = None
) -> ProductStory:
    """Record one party's yes or no to publishing the order's product story (admins of either side).

    The buyer's and the group's answers are kept apart; the story is public only while both say yes.
    The group also chooses which of its progress photos the story shows (`photo_ids`: progress update
    ids of this order that have a photo; others raise `DomainError`). Once both agree, older noted events
    are sealed for the public copy (`trace.services.seal_withheld_events`). Raises `NotFound` for an order
    that is not the membership's organization's, `Forbidden` for a plain member.
    """
    order = order_for(session, membership, order_id)
    require_role(membership, Role.ADMIN)
    story = story_of(session, order.id)
    if story is None:
        story = ProductStory(order_id=order.id, public_id=secrets.token_urlsafe(12), photo_ids=[])
        session.add(story)
    if membership.organization.kind == OrganizationKind.PRODUCER:
        story.group_agrees = agree
        if photo_ids is not None:
            with_photos = {u.id for u in order.progress if u.photo_path}
            if not set(photo_ids) <= with_photos:
                raise DomainError(_("Choose among this order's progress photos."), field="photo_ids")
            story.photo_ids = sorted(set(photo_ids))
    else:
        story.buyer_agrees = agree
    session.flush()
    if story.published:
        seal_for_public(session, order)
    return story


def seal_for_public(session: Session, order: Order) -> TraceEvent | None:
    """Seal the order's events noted before notes were kept apart, so its public copy verifies without their notes.

    The seal is read at the group's place. Returns the seal, or None when none was needed (see
    `trace.services.seal_withheld_events`).
    """
    group = order.group
    place = (
        geo_uri(group.latitude, group.longitude)
        if group.latitude is not None and group.longitude is not None
        else f"urn:loom:group:{uri_part(group.slug)}"
    )
    return seal_withheld_events(session, order.id, now=utcnow(), read_point=place)


@use_case
def seal_published_stories(session: Session) -> int:
    """Seal every published story's order that needs it (stories published before seals existed); return how many were sealed."""
    published = session.scalars(
        select(ProductStory).where(ProductStory.buyer_agrees.is_(True), ProductStory.group_agrees.is_(True))
    )
    return sum(seal_for_public(session, session.get_one(Order, story.order_id)) is not None for story in published)


def published_story(session: Session, public_id: str) -> tuple[ProductStory, Order]:
    """Return a published story and its order; `NotFound` unless both parties agree to publish it and the
    group is listed (nothing of a group whose people never confirmed an address is public)."""
    story = session.scalar(select(ProductStory).where(ProductStory.public_id == public_id))
    order = session.get(Order, story.order_id) if story is not None and story.published else None
    if order is None or not order.group.listed:
        raise NotFound(_("No such product story."))
    return story, order


def story_photos(session: Session, story: ProductStory) -> list[ProgressUpdate]:
    """Return the progress updates whose photos the group chose to publish, oldest first."""
    if not story.photo_ids:
        return []
    updates = session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.order_id == story.order_id, ProgressUpdate.id.in_(story.photo_ids))
    )
    return sorted((u for u in updates if u.photo_path), key=lambda u: u.created_at)
