"""From the database to the index: loading groups in batches, the outbox handler, rebuilds."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organization
from marketplace.db import use_case, utcnow
from marketplace.pagecache import replace_search_generation
from marketplace.producers.covers import covers
from marketplace.producers.models import Capability, CapacityWindow, Certification, Photo, ProducerGroup
from marketplace.reputation.signals import reputations
from search.backends import Progress, SearchIndex
from search.documents import build_document

log = logging.getLogger(__name__)

_GROUP_COLUMNS = (
    "id",
    "version",
    "slug",
    "name",
    "story",
    "country",
    "region",
    "city",
    "latitude",
    "longitude",
    "verified",
    "rating",
    "rating_count",
    "response_time_hours",
    "artisan_count",
    "languages",
)
_CAPABILITY_COLUMNS = (
    "id",
    "group_id",
    "category",
    "title",
    "materials",
    "techniques",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "currency",
    "weekly_capacity",
)


def _rows(session: Session, model: Any, columns: tuple[str, ...], where: Any) -> list[SimpleNamespace]:
    statement = select(*(getattr(model, c) for c in columns)).where(where).order_by(model.id)
    return [SimpleNamespace(**row._asdict()) for row in session.execute(statement)]


def _group_batch(session: Session, after_id: int, batch: int) -> tuple[list[SimpleNamespace], int | None]:
    """The listed groups among the next `batch` groups by id after `after_id`, as plain rows with their capabilities,
    windows and certifications, and the last id read (None when no group follows `after_id`).

    Rebuilds read every group; plain rows cost a fraction of ORM instances. `build_document` reads
    the same attributes from these as from the mapped objects the outbox handler passes it.

    The batch is read by the primary key alone, and unlisted groups are left out here, not in the statement: with
    `listed = true` in it, SQLite (which keeps no statistics for the main database) read each batch through the
    listing index, every listed group after `after_id`, and sorted them all to keep 2,000, so a rebuild's reads grew
    with the square of the groups (issue 19: 19 s for the documents of 100,000 groups, 104 s for 300,000).
    """
    rows = session.execute(
        select(
            *(getattr(ProducerGroup, c) for c in _GROUP_COLUMNS),
            ProducerGroup.listed,
            Organization.time_zone,
            Organization.country.label("organization_country"),
        )
        .join(Organization, Organization.id == ProducerGroup.organization_id)  # whose calendar the capacity follows
        .where(ProducerGroup.id > after_id)
        .order_by(ProducerGroup.id)
        .limit(batch)
    ).all()
    if not rows:
        return [], None
    groups = [SimpleNamespace(**row._asdict()) for row in rows if row.listed]  # an unlisted group is not public
    if not groups:
        return [], rows[-1].id
    low, high = groups[0].id, groups[-1].id
    capabilities = _rows(session, Capability, _CAPABILITY_COLUMNS, Capability.group_id.between(low, high))
    windows: dict[int, list[SimpleNamespace]] = defaultdict(list)
    if capabilities:
        for window in session.execute(
            select(
                CapacityWindow.capability_id,
                CapacityWindow.week_start,
                CapacityWindow.units_available,
                CapacityWindow.units_committed,
            )
            .join(Capability)
            .where(Capability.group_id.between(low, high))
        ):
            windows[window.capability_id].append(window)
    by_group: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for capability in capabilities:
        capability.windows = windows.get(capability.id, [])
        by_group[capability.group_id].append(capability)
    certifications: dict[int, list[Any]] = defaultdict(list)
    for certification in session.execute(
        select(Certification.group_id, Certification.scheme, Certification.name, Certification.verified).where(
            Certification.group_id.between(low, high)
        )
    ):
        certifications[certification.group_id].append(certification)
    pictures = covers(session, Photo.group_id.between(low, high))
    for group in groups:
        group.capabilities = by_group.get(group.id, [])
        group.certifications = certifications.get(group.id, [])
        group.cover = pictures.get(group.id)
    return groups, rows[-1].id


def documents(
    session: Session, today: dt.date | None = None, *, now: dt.datetime | None = None, batch: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every group's document, read a batch at a time in id order: each counted from its group's today at `now` (or `today` for
    all)."""
    now = now or utcnow()
    groups, last_id = _group_batch(session, 0, batch)
    while last_id is not None:
        if groups:
            measured = reputations(session, [g.id for g in groups])
            for group in groups:
                yield build_document(group, today, measured.get(group.id), now=now, cover=group.cover)
        groups, last_id = _group_batch(session, last_id, batch)


def group_count(session: Session) -> int:
    """Count the producer groups the index holds (the listed ones) in the database."""
    return session.scalar(select(func.count()).select_from(ProducerGroup).where(ProducerGroup.listed == true())) or 0


def rebuild(
    session: Session,
    index: SearchIndex,
    *,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> int:
    """Rebuild the whole index, then catch up with groups that changed while it was being built.

    Each group's capacity is counted from its own today at `now` (default: now); `today` forces one day for all (tests).
    """
    now = now or utcnow()
    started = utcnow() - dt.timedelta(seconds=1)
    with _collector_paused():
        count = index.rebuild(documents(session, today, now=now), progress=progress)
    # An update the worker wrote to the old index during the build would otherwise be lost with it.
    changed = list(
        session.scalars(select(ProducerGroup.id).where(ProducerGroup.updated_at >= started, ProducerGroup.listed == true()))
    )
    if changed:
        measured, pictures = reputations(session, changed), covers(session, changed)
        index.index(
            build_document(g, today, measured.get(g.id), now=now, cover=pictures.get(g.id))
            for g in groups_with_details(session, changed)
        )
    index_changed(session)
    return count


@use_case
def index_changed(session: Session) -> None:
    """Replace the search index's generation in a transaction of its own, once a change to the index is visible.

    Anonymous search pages cached before (`marketplace.pagecache`, keyed by that generation) are rendered
    afresh from then on. The outbox handler replaces it in the transaction that marks its message done.
    """
    replace_search_generation(session)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while hundreds of thousands of short-lived dicts are made.

    Documents are streamed and dropped batch by batch, so memory stays flat; the collector would
    otherwise rescan the survivors again and again (a third of a rebuild's time, measured).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def groups_with_details(session: Session, group_ids: list[int]) -> list[ProducerGroup]:
    """Load the groups with ids `group_ids` and everything their search document is built from (one query per relation)."""
    return list(
        session.scalars(
            select(ProducerGroup)
            .where(ProducerGroup.id.in_(group_ids))
            .options(
                selectinload(ProducerGroup.capabilities).selectinload(Capability.windows),
                selectinload(ProducerGroup.certifications),
                selectinload(ProducerGroup.organization),
            )
        )
    )


def rebuild_if_stale(sessions: Callable[[], Session], index: SearchIndex, *, now: dt.datetime | None = None) -> int | None:
    """Rebuild the index when a document's capacity went stale by `now` (a new day began in its group's
    calendar), its layout is outdated, or it is empty while the database is not; return the count
    rebuilt, or None if it was current.

    Capacity is indexed as of the group's day; searches trust no document whose group's day has
    ended (CapacityNeed.as_of), so the index is rebuilt as a new day begins for any group.
    """
    now = now or utcnow()
    soonest = index.earliest_fresh_until()
    with sessions() as session:
        if index.schema_is_current() and (soonest > now if soonest else group_count(session) == 0):
            return None
        log.info("rebuilding the %s search index: capacity went stale at %s, it is now %s", index.name, soonest, now)
        return rebuild(session, index, now=now)


class DailyRebuild:
    """Keep the index's capacity current: check every `every_seconds`, rebuild when a new (UTC) day
    has begun. `loom worker` and `loom serve` run one beside the outbox worker; several processes
    may, as a rebuild that finds the index current does nothing."""

    def __init__(
        self, sessions: Callable[[], Session], index_for: Callable[[], SearchIndex], *, every_seconds: float = 300
    ) -> None:
        self.sessions = sessions
        self.index_for = index_for
        self.every_seconds = every_seconds

    def run_once(self, now: dt.datetime | None = None) -> int | None:
        """Rebuild the index if it went stale by `now` (aware UTC, default the present).

        Return the count rebuilt, or None.
        """
        return rebuild_if_stale(self.sessions, self.index_for(), now=now)

    def run_forever(self, stop: threading.Event) -> None:
        """Check every `every_seconds` until `stop` is set; a failed check is logged and tried again at the next."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # search or the database may be briefly away: try again at the next check
                log.exception("the daily search rebuild failed; trying again in %s s", self.every_seconds)
            stop.wait(self.every_seconds)
