"""`marketplace.db.InList` selects what an IN of the same values selects, on both engines: none, one, many, repeats."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.db import InList
from marketplace.producers.models import ProducerGroup
from tests import factories


def test_in_list_selects_the_rows_an_in_selects(session: Session) -> None:
    ids = [factories.producer_group(session).id for _ in range(4)]
    session.flush()
    statement = select(ProducerGroup.id).where(InList(ProducerGroup.id, "ids")).order_by(ProducerGroup.id)
    for chosen in ([], [ids[2]], ids[:3], [ids[3], ids[0], ids[3]], [-1, ids[1]]):
        expected = list(session.scalars(select(ProducerGroup.id).where(ProducerGroup.id.in_(chosen)).order_by(ProducerGroup.id)))
        assert list(session.scalars(statement, {"ids": chosen})) == expected, chosen
