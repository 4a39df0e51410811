"""From the database to the index: loading groups in batches, the outbox handler, rebuilds."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.outbox.models import OutboxMessage
from marketplace.producers.models import Capability, ProducerGroup
from search.backends import Progress, SearchIndex
from search.documents import build_document


def _with_everything(query):  # type: ignore[no-untyped-def]
    return query.options(
        selectinload(ProducerGroup.capabilities).selectinload(Capability.windows),
        selectinload(ProducerGroup.certifications),
    )


def documents(session: Session, today: dt.date, *, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every group's document, loaded a batch at a time in id order."""
    last_id = 0
    while True:
        groups = session.scalars(
            _with_everything(select(ProducerGroup)).where(ProducerGroup.id > last_id).order_by(ProducerGroup.id).limit(batch)
        ).all()
        if not groups:
            return
        for group in groups:
            yield build_document(group, today)
        last_id = groups[-1].id
        session.expunge_all()  # keep memory flat on large catalogues


def group_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProducerGroup)) or 0


def rebuild(session: Session, index: SearchIndex, *, today: dt.date | None = None, progress: Progress | None = None) -> int:
    return index.rebuild(documents(session, today or dt.date.today()), progress=progress)


def make_index_handler(index_for):  # type: ignore[no-untyped-def]
    """The outbox handler for `search.index_group`: index the group as it is now, or remove it."""

    def index_group(session: Session, message: OutboxMessage) -> None:
        group_id = int(message.key)
        group = session.scalar(_with_everything(select(ProducerGroup)).where(ProducerGroup.id == group_id))
        index = index_for()
        if group is None:
            index.delete(group_id, int(message.payload.get("version", 0)) + 1)
            return
        index.index([build_document(group, dt.date.today())])

    return index_group
