"""The demo marketplace: realistic, varied and the same on every run."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.demo import generate_groups, seed_marketplace
from marketplace.orders.models import Order, OrderStatus
from marketplace.producers.models import ProducerGroup
from marketplace.sourcing.models import Rfq
from marketplace.trace.services import verify_chain


def test_the_demo_has_many_groups_across_countries_with_people_rfqs_and_orders(session: Session) -> None:
    summary = seed_marketplace(session, groups=72, seed=2026)

    assert summary.groups == 72
    countries = Counter(session.scalars(select(ProducerGroup.country)))
    assert len(countries) >= 6 and {"KE", "IN", "GT", "ET", "PE", "GH", "BD"} <= set(countries)
    statuses = set(session.scalars(select(Order.status)))
    assert statuses == set(OrderStatus)
    assert session.scalar(select(func.count()).select_from(Rfq)) >= 10
    for order_id in session.scalars(select(Order.id)):
        assert verify_chain(session, order_id) is None


def test_the_generator_is_deterministic_and_scales() -> None:
    assert list(generate_groups(30, seed=1)) == list(generate_groups(30, seed=1))
    assert list(generate_groups(30, seed=1)) != list(generate_groups(30, seed=2))
    many = list(generate_groups(2000, seed=1))
    assert len({g["external_ref"] for g in many}) == 2000
    assert len({g["name"] for g in many}) == 2000
