"""The same form posted twice at the same moment creates once (PostgreSQL, real threads and transactions)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.sourcing.models import Message, Rfq, RfqRecipient, RfqStatus
from marketplace.submissions.services import claim, new_token
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.postgres_only


def test_a_token_posted_twice_at_once_creates_once_and_sends_the_second_to_the_first_result(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        buyer = factories.buyer(session)
        group = factories.producer_group(session)
        rfq = Rfq(
            buyer_id=buyer.organization_id,
            title="Baskets",
            category="baskets.storage",
            quantity=100,
            currency="USD",
            needed_by=dt.date.today() + dt.timedelta(weeks=8),
            destination_country="GB",
            status=RfqStatus.OPEN,
            recipients=[RfqRecipient(group_id=group.id)],
        )
        session.add(rfq)
        session.flush()
        user_id, group_id, rfq_id = buyer.user_id, group.id, rfq.id
    token = new_token()

    def post(session: Session) -> str:
        once = claim(session, token, user_id=user_id)
        if once.repeated:
            return f"repeat of {once.earlier_url}"
        session.add(Message(rfq_id=rfq_id, group_id=group_id, author_id=user_id, body="Can you confirm the sizes?"))
        once.done("/rfqs/1#thread")
        return "created"

    first, second = race(sessions, post, post)

    assert (first, second) == ("created", "repeat of /rfqs/1#thread")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1
