"""The search adapter's outbox handler: what the worker runs for `search.index_group` messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.outbox.models import OutboxMessage
from marketplace.pagecache import replace_search_generation
from marketplace.producers.covers import covers
from marketplace.reputation.signals import reputation
from search.documents import build_document
from search.indexing import groups_with_details


def make_index_handler(index_for):  # type: ignore[no-untyped-def]
    """The outbox handler for `search.index_group`: index the group as it is now, or remove it (gone or unlisted)."""

    def index_group(session: Session, message: OutboxMessage) -> None:
        group_id = int(message.key)
        group = next(iter(groups_with_details(session, [group_id])), None)
        index = index_for()
        if group is None:
            index.delete(group_id, int(message.payload.get("version", 0)) + 1)
        elif not group.listed:
            # At its own version: listing it later raises the version, so that document is not refused.
            index.delete(group_id, group.version)
        else:
            cover = covers(session, [group_id]).get(group_id)  # a gallery photo, else a product's
            index.index(
                [build_document(group, None, reputation(session, group_id), cover=cover)]
            )  # counted from the group's own today
        # The change is visible (both backends answer from it once the call returns): the cached search pages are
        # stale from the commit that marks this message done.
        replace_search_generation(session)

    return index_group
