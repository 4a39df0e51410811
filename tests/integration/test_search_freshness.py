"""What the measured record counts (quotes, messages, shipments) reaches search through the outbox,
promptly and once per burst, on both backends — not only at the daily rebuild."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import Worker
from marketplace.producers.changes import touch
from marketplace.reputation.signals import MIN_BASIS
from marketplace.sourcing import services as sourcing
from marketplace.sourcing.models import Rfq, RfqRecipient, RfqStatus
from search.backends import SearchIndex
from search.query import SearchQuery
from search.subscribers import RECORD_SETTLE
from tests import factories


@pytest.fixture
def live_index(app: Flask, empty_index: SearchIndex) -> Iterator[SearchIndex]:
    original = app.extensions["loom.search"]
    app.extensions["loom.search"] = empty_index
    yield empty_index
    app.extensions["loom.search"] = original


def settled(app: Flask) -> Worker:
    """A worker whose clock is past the settling time of a burst."""
    worker = worker_for(app)
    worker.clock = lambda: dt.datetime.now(dt.UTC) + RECORD_SETTLE + dt.timedelta(seconds=1)
    return worker


def waiting_jobs(session: Session, group_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == topics.INDEX_GROUP,
                OutboxMessage.key == str(group_id),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    )


def record_in_search(index: SearchIndex, slug: str) -> dict:
    return next(h for h in index.search(SearchQuery(text="papyrus")).hits if h.slug == slug).reputation


def indexed_group(app: Flask, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    factories.capability(session, group)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session, role=Role.ADMIN)
    touch(session, group)
    session.commit()
    worker_for(app).drain()
    return group, admin, buyer


def test_a_burst_of_replies_reindexes_the_group_once_with_its_response_record(
    app: Flask, session: Session, live_index: SearchIndex
) -> None:
    group, admin, buyer = indexed_group(app, session)
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    rfqs = []
    for n in range(MIN_BASIS):
        rfq = Rfq(
            buyer_id=buyer.organization_id,
            title=f"Papyrus mats {n}",
            category="baskets.storage",
            quantity=100,
            currency="USD",
            needed_by=dt.date.today() + dt.timedelta(weeks=10),
            destination_country="GB",
            status=RfqStatus.OPEN,
            recipients=[RfqRecipient(group_id=group.id, sent_at=sent)],
        )
        session.add(rfq)
        rfqs.append(rfq)
    session.commit()
    worker_for(app).drain()
    assert record_in_search(live_index, group.slug)["response_rate"] is None

    for rfq in rfqs:  # the group answers each request, twice, each message its own transaction
        for body in ("Which sizes?", "We can start on Monday."):
            sourcing.post_message(session, admin, rfq=rfq, group=group, body=body, base_url="https://loom.test")
            session.commit()

    jobs = waiting_jobs(session, group.id)
    assert len(jobs) == 1  # six messages, one job: the burst is coalesced
    assert jobs[0].payload == {"version": group.version}  # it builds the group as the last message left it
    settled(app).drain()
    assert waiting_jobs(session, group.id) == []
    record = record_in_search(live_index, group.slug)
    assert (record["rfqs_received"], record["response_rate"]) == (MIN_BASIS, 1.0)
    assert record["median_response_hours"] is not None and record["is_new"] is False


def test_shipments_reach_search_with_the_on_time_record(app: Flask, session: Session, live_index: SearchIndex) -> None:
    group, admin, buyer = indexed_group(app, session)
    confirmed = [factories.accepted_order(session, group, buyer) for _ in range(MIN_BASIS)]
    session.commit()
    worker_for(app).drain()
    assert record_in_search(live_index, group.slug)["on_time_rate"] is None

    today = dt.date.today()
    for order in confirmed:
        for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED):
            orders.move(session, admin, order.id, to, note="", today=today, base_url="https://loom.test", carrier="DHL")
            session.commit()

    assert len(waiting_jobs(session, group.id)) == 1
    settled(app).drain()
    record = record_in_search(live_index, group.slug)
    assert (record["on_time_basis"], record["on_time_rate"]) == (MIN_BASIS, 1.0)


def test_a_change_after_a_worker_took_the_job_gets_a_job_of_its_own(app: Flask, session: Session) -> None:
    group = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    enqueue(session, topics.INDEX_GROUP, group.id, {"version": 1}, settle=RECORD_SETTLE)
    session.commit()
    lease = settled(app).lease()  # a worker took it and may be reading the group right now
    assert lease is not None

    enqueue(session, topics.INDEX_GROUP, group.id, {"version": 2}, settle=RECORD_SETTLE)
    session.commit()

    assert sorted(m.payload["version"] for m in waiting_jobs(session, group.id)) == [1, 2]


def reviewed_group(session: Session, name: str, buyer, stars: dict[str, int]):  # type: ignore[no-untyped-def]
    from marketplace.reputation import services as reviews

    group = factories.producer_group(session, name=name, story="Papyrus mats and baskets.")
    factories.capability(session, group)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    today = dt.date.today()
    for _ in range(MIN_BASIS):
        order = factories.accepted_order(session, group, buyer)
        for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED):
            orders.move(session, admin, order.id, to, note="", today=today, base_url="https://loom.test", carrier="DHL")
        orders.move(session, buyer, order.id, OrderStatus.DELIVERED, note="", today=today, base_url="https://loom.test")
        reviews.leave_review(session, buyer, order.id, **stars)
    return group


def test_results_summarise_each_rated_dimension_and_rank_on_quality_and_communication(
    app: Flask, client, session: Session, live_index: SearchIndex
) -> None:
    buyer = factories.buyer(session, role=Role.ADMIN)
    # Overall 5, but the buyers found the goods and the answers only acceptable.
    liked = reviewed_group(session, "Meru Papyrus Weavers", buyer, {"rating": 5, "quality": 3, "communication": 3, "on_time": 5})
    # Overall 3 (the buyers minded the late delivery), but fine goods and clear answers.
    careful = reviewed_group(
        session, "Embu Papyrus Weavers", buyer, {"rating": 3, "quality": 5, "communication": 5, "on_time": 1}
    )
    session.commit()
    settled(app).drain()

    hits = live_index.search(SearchQuery(text="papyrus weavers")).hits
    assert [h.slug for h in hits] == [careful.slug, liked.slug]  # the goods and the answers rank; the on-time stars do not
    record = hits[0].reputation
    assert (record["quality_average"], record["communication_average"], record["on_time_rating_average"]) == (5.0, 5.0, 1.0)
    assert (record["review_average"], record["quality_count"]) == (3.0, MIN_BASIS)

    page = client.get("/search?q=papyrus+weavers").get_data(as_text=True)
    assert "Quality 5.0 · Communication 5.0 · On time 1.0" in page and "Quality 3.0 · Communication 3.0 · On time 5.0" in page


def test_a_quote_queues_the_group_and_a_buyers_message_does_not(app: Flask, session: Session) -> None:
    from decimal import Decimal

    group, admin, buyer = indexed_group(app, session)
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Papyrus mats",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=dt.date.today() + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    session.add(rfq)
    session.commit()
    worker_for(app).drain()

    sourcing.post_message(session, buyer, rfq=rfq, group=group, body="Can you do 100?", base_url="https://loom.test")
    session.commit()
    assert waiting_jobs(session, group.id) == []  # the buyer's words change nothing the group's record counts

    version = group.version
    values = {
        "unit_price": Decimal("9.50"),
        "quantity": 100,
        "lead_time_days": 30,
        "valid_until": dt.date.today() + dt.timedelta(days=14),
        "notes": "",
    }
    sourcing.submit_quote(session, admin, group, rfq.id, values=values, today=dt.date.today(), base_url="https://loom.test")
    session.commit()
    [job] = waiting_jobs(session, group.id)
    assert group.version == version + 1 and job.payload == {"version": group.version}
    assert job.next_attempt_at > dt.datetime.now(dt.UTC)  # it waits for the rest of the burst
