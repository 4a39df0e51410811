"""Reviews and the measured record: computed from Loom's own rows, shown with their basis, used only as bounded boosts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.discovery.profile import profile_page
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.producers.profiles import group_profile
from marketplace.reputation import services as reviews
from marketplace.reputation.signals import MAX_BOOST, MIN_BASIS, Reputation, profile_record, reputation
from marketplace.sourcing.models import Message, Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from search.documents import build_document, quality_boost
from tests import factories
from tests.integration.test_query_counts import counted
from tests.web import sign_in, submit, text_of

NOW = dt.datetime.now(dt.UTC)


def rated(stars: int, **dimensions: int) -> dict[str, int]:
    """A review's stars: `stars` overall and for each dimension, unless given apart."""
    return {"rating": stars, "quality": stars, "communication": stars, "on_time": stars} | dimensions


def deliver(session: Session, group_admin, buyer, order, *, deliver: bool = True) -> None:  # type: ignore[no-untyped-def]
    today = dt.date.today()
    for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED):
        orders.move(session, group_admin, order.id, to, note="", today=today, base_url="https://loom.test", carrier="DHL")
    if deliver:
        orders.move(session, buyer, order.id, OrderStatus.DELIVERED, note="", today=today, base_url="https://loom.test")


def parties(session: Session, name: str = "Machakos Weavers"):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session, name=name)
    return group, factories.member_of(session, group, role=Role.ADMIN), factories.buyer(session, role=Role.ADMIN)


def rfq_to(
    session: Session, group, buyer, *, sent_hours_ago: float, answered_after_hours: float | None, by_message: bool = False
) -> None:  # type: ignore[no-untyped-def]
    sent = NOW - dt.timedelta(hours=sent_hours_ago)
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Baskets",
        category="baskets.storage",
        quantity=100,
        currency="USD",
        needed_by=dt.date.today() + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id, sent_at=sent)],
    )
    session.add(rfq)
    session.flush()
    if answered_after_hours is not None:
        at = sent + dt.timedelta(hours=answered_after_hours)
        if by_message:
            author = factories.member_of(session, group).user_id
            session.add(Message(rfq_id=rfq.id, group_id=group.id, author_id=author, body="Which sizes?", created_at=at))
        else:
            session.add(
                Quote(
                    rfq_id=rfq.id,
                    group_id=group.id,
                    unit_price=Decimal("9"),
                    currency="USD",
                    quantity=100,
                    lead_time_days=20,
                    valid_until=dt.date.today() + dt.timedelta(days=10),
                    status=QuoteStatus.SUBMITTED,
                    created_at=at,
                )
            )
    session.flush()


def test_a_buyer_reviews_a_delivered_order_once_and_the_group_answers_once(session: Session) -> None:
    group, admin, buyer = parties(session)
    order = factories.accepted_order(session, group, buyer)

    with pytest.raises(Conflict, match="once it is delivered"):
        reviews.leave_review(session, buyer, order.id, **rated(5))
    deliver(session, admin, buyer, order)
    with pytest.raises(Forbidden):
        reviews.leave_review(session, admin, order.id, **rated(5))
    with pytest.raises(DomainError, match="1 to 5"):
        reviews.leave_review(session, buyer, order.id, **rated(6))

    review = reviews.leave_review(session, buyer, order.id, **rated(4), text="Tight weave, two days late.")
    with pytest.raises(Conflict, match="reviewed once"):
        reviews.leave_review(session, buyer, order.id, **rated(1))
    assert (group.rating, group.rating_count) == (Decimal("4.00"), 1)  # the shown rating is the reviews', no longer typed

    reviews.reply_to_review(session, admin, review.id, text="Thank you — the sisal harvest was late.")
    with pytest.raises(Conflict, match="one answer"):
        reviews.reply_to_review(session, admin, review.id, text="Again")
    assert review.reply == "Thank you — the sisal harvest was late."


def test_signals_are_measured_from_orders_rfqs_and_reviews(session: Session) -> None:
    group, admin, buyer = parties(session)
    other_buyer = factories.buyer(session, name="Oslo Living", role=Role.ADMIN)
    on_time = [factories.accepted_order(session, group, buyer) for _ in range(3)]
    late = factories.accepted_order(session, group, other_buyer)
    never_shipped = factories.accepted_order(session, group, other_buyer)
    cancelled = factories.accepted_order(session, group, factories.buyer(session, name="Gone Ltd", role=Role.ADMIN))
    for order in on_time:
        deliver(session, admin, buyer, order)
    late.ship_by = dt.date.today() - dt.timedelta(days=3)
    deliver(session, admin, other_buyer, late, deliver=False)
    never_shipped.ship_by = dt.date.today() - dt.timedelta(days=1)
    orders.move(session, admin, cancelled.id, OrderStatus.CANCELLED, note="Buyer closed", today=dt.date.today(), base_url="")
    for order, stars in zip(on_time, (5, 4, 5), strict=True):
        reviews.leave_review(session, buyer, order.id, **rated(stars))
    # accepted_order's RFQs were answered at once (6 of them); add a slow answer, a message answer, an unanswered old one and a
    # fresh one.
    rfq_to(session, group, buyer, sent_hours_ago=100, answered_after_hours=30)
    rfq_to(session, group, buyer, sent_hours_ago=50, answered_after_hours=2, by_message=True)
    rfq_to(session, group, buyer, sent_hours_ago=96, answered_after_hours=None)
    rfq_to(session, group, buyer, sent_hours_ago=1, answered_after_hours=None)  # not yet held against the group
    session.flush()

    measured = reputation(session, group.id)

    assert (measured.orders_completed, measured.on_time_basis, measured.on_time_rate) == (
        3,
        5,
        0.6,
    )  # late and never-shipped count; cancelled does not
    assert (measured.rfqs_received, measured.response_rate) == (9, round(8 / 9, 4))
    assert measured.median_response_hours == 0.0
    assert measured.repeat_buyers == 2  # Northwind (3 orders) and Oslo (2); the cancelled order's buyer is not
    assert (measured.review_count, measured.review_average) == (3, 4.67)
    assert not measured.is_new and 0 < measured.boost() <= MAX_BOOST
    # The profile reads the same record with the group, side by side in one statement (its moments, dates and statuses
    # converted by the first branch's types, which are the profile's).
    assert profile_page(session, group.slug).record == measured
    assert profile_record(session, group.id)[0] == measured


def test_a_new_group_is_new_and_loses_nothing(session: Session) -> None:
    group, _admin, buyer = parties(session)
    order = factories.accepted_order(session, group, buyer)

    measured = reputation(session, group.id)

    assert measured.is_new and measured.boost() == 0 and measured.on_time_rate is None
    assert measured.review_average is None and order is not None
    assert quality_boost(group, measured) == quality_boost(group, None) == 1.0
    assert MIN_BASIS == 3


def test_the_boost_is_bounded_and_earned_by_each_signal() -> None:
    perfect = Reputation(
        on_time_basis=40,
        on_time_rate=1.0,
        rfqs_received=40,
        response_rate=1.0,
        median_response_hours=2,
        review_count=30,
        review_average=5.0,
        review_score=5.0,
    )
    poor = Reputation(
        on_time_basis=40,
        on_time_rate=0.4,
        rfqs_received=40,
        response_rate=0.3,
        median_response_hours=200,
        review_count=30,
        review_average=2.0,
        review_score=2.0,
    )
    assert perfect.boost() == pytest.approx(MAX_BOOST) and poor.boost() == 0
    assert Reputation(on_time_basis=10, on_time_rate=0.75).boost() == pytest.approx(MAX_BOOST / 6)
    verified = factories_group(verified=True)
    assert quality_boost(verified, perfect) == pytest.approx(1.25)  # search.query.Ranking relies on ≤ 1.25


def factories_group(*, verified: bool):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    return SimpleNamespace(verified=verified)


def test_the_profile_and_results_show_the_record_with_its_basis_or_new_group(client: FlaskClient, session: Session) -> None:
    group, admin, buyer = parties(session, "Kitui Basket Weavers")
    for _ in range(3):
        order = factories.accepted_order(session, group, buyer)
        deliver(session, admin, buyer, order)
        reviews.leave_review(session, buyer, order.id, **rated(5), text="Lovely work")
    newcomer = factories.producer_group(session, name="Kitui Newcomers")
    factories.capability(session, newcomer)
    session.flush()

    profile = text_of(client.get(f"/groups/{group.slug}"))
    assert "Ships on time: <strong>100 %</strong> (based on 3 orders)" in profile
    assert "Reviews: <strong>5.0 / 5</strong> (based on 3 reviews)" in profile and "Lovely work" in profile
    assert "New group" in text_of(client.get(f"/groups/{newcomer.slug}"))
    document = build_document(group, dt.date.today(), reputation(session, group.id))
    assert document["reputation"]["on_time_basis"] == 3 and document["quality_boost"] > 1.0


def test_the_review_pages(client: FlaskClient, session: Session) -> None:
    group, admin, buyer = parties(session)
    order = factories.accepted_order(session, group, buyer)
    deliver(session, admin, buyer, order)
    session.flush()
    sign_in(client, buyer.user.email)
    page = f"/orders/{order.id}/review"

    refused = submit(client, page, {"rating": "9"})
    assert refused.status_code == 422
    half_rated = submit(client, page, {"rating": "4", "quality": "5", "text": "Good"})
    assert half_rated.status_code == 422 and "Choose from 1 to 5 stars." in text_of(half_rated)  # each dimension is asked for
    rated_apart = {"rating": "4", "quality": "5", "communication": "3", "on_time": "2", "text": "Good"}
    assert submit(client, page, rated_apart).status_code == 302
    shown = text_of(client.get(page))
    assert "4 / 5" in shown and "quality 5 · communication 3 · on time 2" in shown

    client.get("/logout")
    sign_in(client, admin.user.email)
    review = reviews.review_of(session, order.id)
    answered = submit(client, page, {"text": "Thank you!"}, action=f"/reviews/{review.id}/reply")
    assert answered.status_code == 302 and "Thank you!" in text_of(client.get(page))


def old_review(session: Session, group, buyer, admin, stars: int):  # type: ignore[no-untyped-def]
    """A review as migration 0025 leaves one written before: its overall rating only."""
    from marketplace.reputation.models import Review

    order = factories.accepted_order(session, group, buyer)
    deliver(session, admin, buyer, order)
    review = Review(order_id=order.id, group_id=group.id, buyer_id=buyer.organization_id, rating=stars, text="")
    session.add(review)
    session.flush()
    return review


def test_dimensions_are_averaged_apart_and_old_reviews_only_count_overall(session: Session) -> None:
    group, admin, buyer = parties(session)
    for stars in (2, 2, 2):
        old_review(session, group, buyer, admin, stars)
    for overall, quality, communication, on_time in ((4, 5, 4, 1), (5, 5, 5, 2), (4, 4, 3, 3)):
        order = factories.accepted_order(session, group, buyer)
        deliver(session, admin, buyer, order)
        reviews.leave_review(
            session, buyer, order.id, **rated(overall, quality=quality, communication=communication, on_time=on_time)
        )

    measured = reputation(session, group.id)

    assert (measured.review_count, measured.review_average) == (6, round((2 * 3 + 4 + 5 + 4) / 6, 2))
    # Each dimension over the three reviews that rate it; the old ones invent nothing.
    assert (measured.quality_count, measured.quality_average) == (3, round(14 / 3, 2))
    assert (measured.communication_count, measured.communication_average) == (3, 4.0)
    assert (measured.on_time_count, measured.on_time_rating_average) == (3, 2.0)
    # The boost's review share: quality and communication per review, the old reviews' overall.
    assert measured.review_score == round((2 + 2 + 2 + 4.5 + 5 + 3.5) / 6, 2)


def test_the_review_share_of_the_boost_reads_quality_and_communication_not_the_on_time_stars() -> None:
    third = MAX_BOOST / 3
    assert Reputation(review_count=5, review_average=5.0, review_score=5.0).boost() == pytest.approx(third)
    assert Reputation(review_count=5, review_average=5.0, review_score=3.0).boost() == 0  # overall 5, but goods and answers 3
    on_time_stars_only = Reputation(review_count=5, on_time_count=5, on_time_rating_average=5.0, review_score=3.0)
    assert on_time_stars_only.boost() == 0  # the on-time third is measured from the shipping records instead


@pytest.mark.parametrize(
    ("zone", "ship_by", "shipped_utc", "on_time"),
    [
        # UTC+3: 23:30 on the due date is 20:30 UTC (on time); 00:30 the next day is 21:30 UTC on the due date (late).
        ("Africa/Nairobi", dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC), True),
        ("Africa/Nairobi", dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 21, 30, tzinfo=dt.UTC), False),
        # UTC+5:30: 23:30 local is 18:00 UTC (on time); 00:30 the next day is 19:00 UTC on the due date (late).
        ("Asia/Kolkata", dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC), True),
        ("Asia/Kolkata", dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 19, 0, tzinfo=dt.UTC), False),
        # UTC−6: 23:30 on the due date is 05:30 UTC the next day (on time); 00:30 the next day is 06:30 UTC (late).
        ("America/Guatemala", dt.date(2026, 3, 10), dt.datetime(2026, 3, 11, 5, 30, tzinfo=dt.UTC), True),
        ("America/Guatemala", dt.date(2026, 3, 10), dt.datetime(2026, 3, 11, 6, 30, tzinfo=dt.UTC), False),
    ],
)
def test_on_time_is_judged_by_the_groups_calendar_at_the_day_boundary(
    session: Session, zone: str, ship_by: dt.date, shipped_utc: dt.datetime, on_time: bool
) -> None:
    from sqlalchemy import select

    from marketplace.trace.models import TraceEvent

    group, admin, buyer = parties(session)
    group.organization.time_zone = zone
    shipped = [factories.accepted_order(session, group, buyer) for _ in range(MIN_BASIS)]
    for order in shipped:
        deliver(session, admin, buyer, order, deliver=False)
        order.ship_by = ship_by
        # The shipping step as if recorded at that instant (the chain's hashes are not what this measures).
        event = session.scalar(select(TraceEvent).where(TraceEvent.order_id == order.id, TraceEvent.biz_step == "shipping"))
        event.event_time = shipped_utc
    session.flush()

    measured = reputation(session, group.id)

    assert measured.on_time_basis == MIN_BASIS
    assert measured.on_time_rate == (1.0 if on_time else 0.0)


def test_the_profile_reads_its_record_and_newest_reviews_in_one_statement(
    client: FlaskClient, session: Session, connection: Connection
) -> None:
    from marketplace.reputation.models import Review

    group, admin, buyer = parties(session)
    other = factories.producer_group(session, name="Kitui Sisal Weavers")
    at = NOW.replace(microsecond=0) - dt.timedelta(days=30)
    for i in range(23):  # more than the page shows; pairs written at the same moment are told apart by id, newest first
        order = factories.accepted_order(session, group, buyer, quantity=10)
        session.add(
            Review(
                order_id=order.id,
                group_id=group.id,
                buyer_id=buyer.organization_id,
                rating=1 + i % 5,
                quality_rating=None if i % 3 else 1 + (i + 1) % 5,
                communication_rating=None if i % 3 else 2,
                on_time_rating=None if i % 4 else 3,
                text=f"Review number {i}." if i % 2 else "",
                reply=f"Answer to {i}." if i % 5 == 0 else None,
                created_at=at + dt.timedelta(days=i // 2),
            )
        )
    other_order = factories.accepted_order(session, other, buyer, quantity=10)
    session.add(Review(order_id=other_order.id, group_id=other.id, buyer_id=buyer.organization_id, rating=1, text="Other."))
    session.flush()

    with counted(connection) as seen:
        record, shown = profile_record(session, group.id)

    assert len(seen) == 1
    assert record == reputation(session, group.id)
    newest = reviews.reviews_of_group(session, group.id)
    assert [
        (r.id, r.rating, r.quality_rating, r.communication_rating, r.on_time_rating, r.created_at, r.text, r.reply)
        for r in newest
    ] == [
        (r.id, r.rating, r.quality_rating, r.communication_rating, r.on_time_rating, r.created_at, r.text, r.reply) for r in shown
    ]
    assert len(shown) == 20 and shown[1].text == "Review number 21." and shown[0].created_at.tzinfo is not None
    assert profile_record(session, other.id)[1][0].text == "Other."
    with counted(connection) as seen:
        page = profile_page(session, group.slug)
    assert len(seen) == 1, seen  # the group's profile, record and newest reviews: one round trip
    assert (page.record, page.reviews, page.group) == (record, shown, group_profile(session, group.slug))
    assert profile_page(session, other.slug).reviews[0].text == "Other."
    page = text_of(client.get(f"/groups/{group.slug}"))
    assert "Review number 21." in page and "Answer to 20." in page and "Review number 1." not in page
