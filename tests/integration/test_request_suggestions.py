"""The groups a new request suggests for its category: verified first, then the best rated (unrated last), then by name;
read along an index in that order, so the form costs the same at 100 groups and at 100,000 (issue 19)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from marketplace.producers.models import ProducerGroup
from marketplace.sourcing.services import groups_making
from tests import factories
from tests.integration.test_listing_plans import generic_plan, plan, statements


def _group(
    session: Session, name: str, *, verified: bool, rating: str | None, category: str = "baskets.storage", **fields: Any
) -> ProducerGroup:
    group = factories.producer_group(
        session, name=name, verified=verified, rating=None if rating is None else Decimal(rating), **fields
    )
    factories.capability(session, group, category=category)
    return group


def test_suggestions_are_verified_then_best_rated_then_by_name_unrated_last(session: Session) -> None:
    unrated = _group(session, "Amboseli Weavers", verified=True, rating=None)
    best = _group(session, "Zebra Baskets", verified=True, rating="4.8")
    good = _group(session, "Baringo Baskets", verified=True, rating="3.9")
    tied = _group(session, "Athi Baskets", verified=True, rating="3.9")
    _group(session, "Unverified but rated 5", verified=False, rating="5.0")
    _group(session, "Not making baskets", verified=True, rating="5.0", category="textiles.scarves")
    _group(session, "Unlisted", verified=True, rating="5.0", listed=False)
    excluded = _group(session, "Already asked", verified=True, rating="4.9")
    session.commit()  # the suggestions read the kept listing (`listing_membership`), kept as the transaction commits

    names = [g.name for g in groups_making(session, "baskets.storage", exclude=[excluded.id], limit=6)]

    assert names == [best.name, tied.name, good.name, unrated.name, "Unverified but rated 5"]
    assert [g.name for g in groups_making(session, "baskets.storage", exclude=[], limit=2)] == [excluded.name, best.name]
    assert groups_making(session, "jewelry.necklaces", exclude=[]) == []

    best.rating = None  # its rating is gone (every review removed): it follows the rated ones
    good.rating = Decimal("4.95")
    session.commit()
    names = [g.name for g in groups_making(session, "baskets.storage", exclude=[excluded.id], limit=6)]
    assert names == [good.name, tied.name, unrated.name, best.name, "Unverified but rated 5"]


def test_suggestions_walk_the_rated_index_without_sorting(session: Session, connection: Connection) -> None:
    for n in range(4):
        _group(session, f"Group {n}", verified=n % 2 == 0, rating=None if n == 3 else f"{n + 1}.5")
    session.commit()

    with statements(connection) as seen:
        assert len(groups_making(session, "baskets.storage", exclude=[])) == 4
    [(statement, parameters)] = [(s, p) for s, p in seen if "LIMIT" in s and "FROM producer_group" in s]

    shown = plan(connection, statement, parameters)
    assert "ix_listing_membership_rated" in shown, shown
    if connection.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in shown, shown  # nor "FOR RIGHT PART OF ORDER BY"
    else:
        assert "Sort" not in shown, shown
        generic = generic_plan(connection, statement, parameters)
        assert "ix_listing_membership_rated" in generic and "Sort" not in generic, generic
