"""An order's trace in plain words, and its public product story: published while buyer and group both agree."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, OrganizationKind, Role
from marketplace.accounts.services import require_role
from marketplace.db import use_case
from marketplace.errors import DomainError, NotFound
from marketplace.orders.models import Order, ProgressUpdate
from marketplace.orders.services import order_for
from marketplace.trace.models import ProductStory, TraceEvent
from marketplace.trace.vocabulary import plain_label


@dataclass(frozen=True)
class PlainStep:
    """One trace event as a person reads it: "Order confirmed · Machakos · 3 Mar 2026"."""

    label: str
    place: str
    day: dt.date
    progress: int | None

    def __str__(self) -> str:
        return " · ".join(part for part in (self.label, self.place, f"{self.day.day} {self.day:%b %Y}") if part)


def plain_steps(events: list[TraceEvent], zone: str) -> list[PlainStep]:
    """Return each event in plain words, dated in `zone`'s calendar (the group's). No notes: they stay with the parties."""
    tz = ZoneInfo(zone)
    return [
        PlainStep(
            plain_label(e.why, e.biz_step, e.kind, e.action),
            e.why.get("place") or (e.read_point if e.hash_scheme == "loom1" else ""),
            e.event_time.astimezone(tz).date(),
            e.why.get("progress"),
        )  # fmt: skip
        for e in events
    ]


def story_of(session: Session, order_id: int) -> ProductStory | None:
    """Return the order's story settings, if either party has set them."""
    return session.scalar(select(ProductStory).where(ProductStory.order_id == order_id))


@use_case
def set_story_consent(session: Session, membership: Membership | None, order_id: int, *, agree: bool,
                      photo_ids: list[int] | None = None) -> ProductStory:  # fmt: skip
    """Record one party's yes or no to publishing the order's product story (admins of either side).

    The buyer's and the group's answers are kept apart; the story is public only while both say yes.
    The group also chooses which of its progress photos the story shows (`photo_ids`: progress update
    ids of this order that have a photo; others raise `DomainError`). Raises `NotFound` for an order
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
    return story


def published_story(session: Session, public_id: str) -> tuple[ProductStory, Order]:
    """Return a published story and its order; `NotFound` unless both parties agree to publish it."""
    story = session.scalar(select(ProductStory).where(ProductStory.public_id == public_id))
    if story is None or not story.published:
        raise NotFound(_("No such product story."))
    order = session.get(Order, story.order_id)
    assert order is not None  # the story's foreign key cascades with its order
    return story, order


def story_photos(session: Session, story: ProductStory) -> list[ProgressUpdate]:
    """Return the progress updates whose photos the group chose to publish, oldest first."""
    if not story.photo_ids:
        return []
    updates = session.scalars(select(ProgressUpdate).where(ProgressUpdate.order_id == story.order_id,
                                                           ProgressUpdate.id.in_(story.photo_ids)))  # fmt: skip
    return sorted((u for u in updates if u.photo_path), key=lambda u: u.created_at)
