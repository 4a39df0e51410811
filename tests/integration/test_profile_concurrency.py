"""Two admins save one group's profile at the same moment: both edits count, each with its own version (PostgreSQL, real threads).

The search index keeps a document's highest version and refuses an equal one. When the version was
computed from what each session had read, both edits got the same version, and the second edit's
document was refused: the profile page showed the second edit while search kept the first.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.topics import INDEX_GROUP
from marketplace.producers import services
from marketplace.producers.models import ProducerGroup
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.postgres_only


def _edit(group_id: int, values: dict[str, str]):  # type: ignore[no-untyped-def]
    def use_case(session: Session) -> bool:
        return services.update_profile(session, session.get(ProducerGroup, group_id), values)

    return use_case


def test_two_profile_edits_at_once_each_get_a_version_of_their_own(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        group = factories.producer_group(session, name="Machakos Weavers")
        group_id, before = group.id, group.version

    outcomes = race(sessions, _edit(group_id, {"story": "Sisal from our own farms."}), _edit(group_id, {"region": "Machakos"}))

    assert outcomes == (True, True)
    with sessions() as session:
        group = session.get(ProducerGroup, group_id)
        assert (group.story, group.region) == ("Sisal from our own farms.", "Machakos")
        assert group.version == before + 2
        versions = [
            m.payload["version"]
            for m in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == INDEX_GROUP, OutboxMessage.key == str(group_id))
                .order_by(OutboxMessage.id)
            )
        ]
        assert versions[-2:] == [before + 1, before + 2]  # the later edit's document outranks the earlier one's
