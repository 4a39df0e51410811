"""The search adapter's outbox handler: what the worker runs for `search.index_group` messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.outbox.models import OutboxMessage
from marketplace.reputation.signals import reputation
from search.documents import build_document
from search.indexing import groups_with_details


def make_index_handler(index_for):  # type: ignore[no-untyped-def]
    """The outbox handler for `search.index_group`: index the group as it is now, or remove it."""

    def index_group(session: Session, message: OutboxMessage) -> None:
        group_id = int(message.key)
        group = next(iter(groups_with_details(session, [group_id])), None)
        index = index_for()
        if group is None:
            index.delete(group_id, int(message.payload.get("version", 0)) + 1)
            return
        index.index([build_document(group, None, reputation(session, group_id))])  # counted from the group's own today

    return index_group
