"""Two buyers review two orders of one group at the same moment: the group's rating counts both (PostgreSQL, real threads).

Each review recomputes the group's rating from its reviews. Without the group's row lock the second
computed from a snapshot that lacked the first's review and wrote its stale count over the first's:
one review shown, "4.0 from 1 review" where there were two.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from marketplace.accounts.models import Membership, Role
from marketplace.producers.models import ProducerGroup
from marketplace.reputation import services as reviews
from tests import factories
from tests.concurrency import race
from tests.integration.test_reputation import deliver

pytestmark = pytest.mark.postgres_only


def _review(membership_id: int, order_id: int, rating: int):  # type: ignore[no-untyped-def]
    def use_case(session: Session) -> int:
        return reviews.leave_review(
            session,
            session.get(Membership, membership_id),
            order_id,
            rating=rating,
            quality=rating,
            communication=rating,
            on_time=rating,
        ).rating

    return use_case


def test_two_reviews_of_one_group_at_once_both_count_in_its_rating(committed_engine: Engine) -> None:
    sessions = sessionmaker(committed_engine, expire_on_commit=False)
    with sessions.begin() as session:
        group = factories.producer_group(session, name="Machakos Weavers")
        admin = factories.member_of(session, group, role=Role.ADMIN)
        first_buyer = factories.buyer(session, name="Northwind Home", role=Role.ADMIN)
        other_buyer = factories.buyer(session, name="Casa Verde", role=Role.ADMIN)
        first_order = factories.accepted_order(session, group, first_buyer, quantity=100)
        other_order = factories.accepted_order(session, group, other_buyer, quantity=100)
        deliver(session, admin, first_buyer, first_order)
        deliver(session, admin, other_buyer, other_order)
        ids = (group.id, first_buyer.id, first_order.id, other_buyer.id, other_order.id)
    group_id, first_buyer_id, first_order_id, other_buyer_id, other_order_id = ids

    outcomes = race(sessions, _review(first_buyer_id, first_order_id, 5), _review(other_buyer_id, other_order_id, 3))

    assert outcomes == (5, 3)
    with sessions() as session:
        group = session.get(ProducerGroup, group_id)
        assert (group.rating_count, group.rating) == (2, Decimal("4.00"))
