"""Reviews and the measured record: computed from Loom's own rows, shown with their basis, used only as bounded boosts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.reputation import services as reviews
from marketplace.reputation.signals import MAX_BOOST, MIN_BASIS, Reputation, reputation
from marketplace.sourcing.models import Message, Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from search.documents import build_document, quality_boost
from tests import factories
from tests.web import sign_in, submit, text_of

NOW = dt.datetime.now(dt.UTC)


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
    rfq = Rfq(buyer_id=buyer.organization_id, title="Baskets", category="baskets.storage", quantity=100, currency="USD",
              needed_by=dt.date.today() + dt.timedelta(weeks=10), destination_country="GB", status=RfqStatus.OPEN,
              recipients=[RfqRecipient(group_id=group.id, sent_at=sent)])  # fmt: skip
    session.add(rfq)
    session.flush()
    if answered_after_hours is not None:
        at = sent + dt.timedelta(hours=answered_after_hours)
        if by_message:
            author = factories.member_of(session, group).user_id
            session.add(Message(rfq_id=rfq.id, group_id=group.id, author_id=author, body="Which sizes?", created_at=at))
        else:
            session.add(Quote(rfq_id=rfq.id, group_id=group.id, unit_price=Decimal("9"), currency="USD", quantity=100, lead_time_days=20,
                              valid_until=dt.date.today() + dt.timedelta(days=10), status=QuoteStatus.SUBMITTED, created_at=at))  # fmt: skip
    session.flush()


def test_a_buyer_reviews_a_delivered_order_once_and_the_group_answers_once(session: Session) -> None:
    group, admin, buyer = parties(session)
    order = factories.accepted_order(session, group, buyer)

    with pytest.raises(Conflict, match="once it is delivered"):
        reviews.leave_review(session, buyer, order.id, rating=5)
    deliver(session, admin, buyer, order)
    with pytest.raises(Forbidden):
        reviews.leave_review(session, admin, order.id, rating=5)
    with pytest.raises(DomainError, match="1 to 5"):
        reviews.leave_review(session, buyer, order.id, rating=6)

    review = reviews.leave_review(session, buyer, order.id, rating=4, text="Tight weave, two days late.")
    with pytest.raises(Conflict, match="reviewed once"):
        reviews.leave_review(session, buyer, order.id, rating=1)
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
        reviews.leave_review(session, buyer, order.id, rating=stars)
    # accepted_order's RFQs were answered at once (6 of them); add a slow answer, a message answer, an unanswered old one and a fresh one.
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
    )
    poor = Reputation(
        on_time_basis=40,
        on_time_rate=0.4,
        rfqs_received=40,
        response_rate=0.3,
        median_response_hours=200,
        review_count=30,
        review_average=2.0,
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
        reviews.leave_review(session, buyer, order.id, rating=5, text="Lovely work")
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
    assert submit(client, page, {"rating": "4", "text": "Good"}).status_code == 302
    assert "4 / 5" in text_of(client.get(page))

    client.get("/logout")
    sign_in(client, admin.user.email)
    review = reviews.review_of(session, order.id)
    answered = submit(client, page, {"text": "Thank you!"}, action=f"/reviews/{review.id}/reply")
    assert answered.status_code == 302 and "Thank you!" in text_of(client.get(page))
