"""Reputation measured from what happened on Loom, never from what a group typed.

For each group, from Loom's own records:
- **response time**: from an RFQ reaching the group to its first quote or first message in that RFQ's
  thread (median, hours), and the **response rate**: RFQs answered out of those received. An RFQ
  counts once it is answered or `ANSWER_WINDOW` old, so a fresh one is not held against anybody;
- **on-time rate**: orders shipped by their promised ship-by date, out of orders shipped plus orders
  past their ship-by date and not shipped (cancelled orders do not count). The ship-by date is a day
  in the group's calendar (its organization's time zone, `marketplace.clock`), so the first
  "shipping" trace event is judged by its date there: goods handed over at 23:30 in Guatemala City
  on the due date are on time, though UTC is already on the next day; at 00:30 the next day in
  Nairobi they are late, though it is still the due date in UTC;
- **orders completed** (delivered or closed) and **repeat buyers** (buyers with two or more orders
  that were not cancelled);
- **reviews**: how many and their overall average (1–5), and apart the averages of the buyers'
  quality, communication and on-time ratings (1–5). Reviews written before Loom asked for those
  have only the overall rating and count in no dimension's average.

Too little data says nothing: a signal based on fewer than `MIN_BASIS` events is not shown as a
number and gives no boost — the group is shown as "new". The signals only *boost* ranking, within
`MAX_BOOST` (see `Reputation.boost`); no search filter uses them, so a new group is never hidden.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    Integer,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Organization
from marketplace.clock import default_time_zone, local_date
from marketplace.db import utcnow
from marketplace.orders.models import Order, OrderStatus
from marketplace.producers.models import ProducerGroup
from marketplace.reputation.models import Review
from marketplace.sourcing.models import Message, Quote, Rfq, RfqRecipient, RfqStatus
from marketplace.trace.models import TraceEvent

MIN_BASIS = 3  # events a signal needs before it is shown or boosts ranking
ANSWER_WINDOW = dt.timedelta(hours=72)  # an unanswered RFQ counts against the rate after this
FAST_REPLY_HOURS = 24.0  # a median reply within this earns the whole speed share
SLOW_REPLY_HOURS = 168.0  # a median reply of a week or more earns none of it
MAX_BOOST = 0.15  # the most the measured signals add to a group's quality boost (verification adds 0.10)
_DONE = (OrderStatus.DELIVERED, OrderStatus.CLOSED)


@dataclass(frozen=True)
class Reputation:
    orders_completed: int = 0
    on_time_basis: int = 0  # orders the on-time rate is computed over
    on_time_rate: float | None = None  # 0..1, None below MIN_BASIS
    rfqs_received: int = 0  # RFQs the response rate is computed over
    response_rate: float | None = None  # 0..1, None below MIN_BASIS
    median_response_hours: float | None = None  # None below MIN_BASIS answered RFQs
    repeat_buyers: int = 0
    review_count: int = 0
    review_average: float | None = None  # overall, 1..5, None below MIN_BASIS reviews
    # Each dimension over the reviews that rate it (1..5, None below MIN_BASIS of them).
    quality_count: int = 0
    quality_average: float | None = None
    communication_count: int = 0
    communication_average: float | None = None
    on_time_count: int = 0
    on_time_rating_average: float | None = None
    review_score: float | None = None  # what the boost's review share reads (see `boost`), 1..5

    @property
    def has_dimensions(self) -> bool:
        """Is there a measured average for at least one of the three rated dimensions?"""
        return any(v is not None for v in (self.quality_average, self.communication_average, self.on_time_rating_average))

    @property
    def is_new(self) -> bool:
        """Too little happened yet to say anything measured about the group."""
        return self.on_time_rate is None and self.response_rate is None and self.review_average is None

    def boost(self) -> float:
        """The ranking boost earned, 0 to MAX_BOOST: a third each for on-time shipping, replies, reviews.

        on time: 0 at a 50 % on-time rate or less, the whole third at 100 %;
        replies: the response rate × speed (1 for a median reply within 24 h, falling to 0 at 7 days);
        reviews: 0 at a review score of 3 or less, the whole third at 5. The score averages, review by
        review, the buyer's quality and communication ratings (what only the buyer can judge), or the
        overall rating of a review that predates them. The buyers' on-time ratings are shown but not
        added: the on-time third already measures shipping by the promised date from the records, and
        counting the same promise twice would let it outweigh the goods.
        A signal without enough data earns nothing and costs nothing: a new group ranks as a group
        with an average record would, and no filter hides it.
        """
        share = MAX_BOOST / 3
        total = 0.0
        if self.on_time_rate is not None:
            total += share * _clip((self.on_time_rate - 0.5) / 0.5)
        if self.response_rate is not None and self.median_response_hours is not None:
            speed = _clip((SLOW_REPLY_HOURS - self.median_response_hours) / (SLOW_REPLY_HOURS - FAST_REPLY_HOURS))
            total += share * self.response_rate * speed
        if self.review_score is not None:
            total += share * _clip((self.review_score - 3) / 2)
        return round(min(total, MAX_BOOST), 4)

    def as_document(self) -> dict[str, Any]:
        """Return the reputation as the search document stores it (its fields plus `is_new`).

        Its fields are numbers or None, so a plain copy is what `dataclasses.asdict` gives, without its recursive deep
        copy of every value (issue 19: a quarter of the time a rebuild spent making documents).
        """
        return {name: getattr(self, name) for name in _FIELD_NAMES} | {"is_new": self.is_new}


_FIELD_NAMES = tuple(field.name for field in fields(Reputation))


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _rate(good: int, basis: int) -> float | None:
    return round(good / basis, 4) if basis >= MIN_BASIS else None


# The statement `reputations` runs is built once (`_RECORD`): a page pays for running it, not for composing it (building
# these expressions was a tenth of a profile page's CPU time, issue 19). `ids`: the groups measured.
_IDS = bindparam("ids", expanding=True)
# The three reads are one statement, a UNION ALL of rows of three kinds padded to the same columns (one round
# trip, not three: what a profile on PostgreSQL pays for). Each column position holds one type in every branch:
# kind, group, four integers (an order's buyer; a review's ratings), ship-by, two moments (first shipped; sent, first
# answer), zone (an order's status), country. Only the first branch types the result (a UNION's result types are its
# first branch's).
# The zone and country (the group's calendar) come once per group, in a row of their own, not with each order.
# Only what the record reads is sent, and the moments come as the driver gives them (aware on PostgreSQL, naive UTC
# on SQLite), not converted to UTC one by one (`UTCDateTime`): a group with thousands of orders and requests paid
# more for converting values it never reads than for measuring (issue 19).
_ORDER, _RECEIVED_RFQ, _RATING, _CALENDAR = 0, 1, 2, 4
_INT = cast(null(), Integer)
_TEXT = cast(null(), String)
_AS_GIVEN = DateTime(timezone=True)
_MOMENT = cast(null(), _AS_GIVEN)
# Orders: the moment each first shipped.
_FIRST_SHIPPED_AT = (
    select(func.min(TraceEvent.event_time, type_=_AS_GIVEN))
    .where(TraceEvent.order_id == Order.id, TraceEvent.biz_step == "shipping")
    .scalar_subquery()
)


def _first_answers(of: Callable[[Any], ColumnElement[bool]]) -> Subquery:
    """Each request's first answer by each group `of` picks: (rfq_id, group_id, at), the earliest quote or message.

    A message counts when one of the group's people wrote it. Grouped once for all the groups' requests and joined
    once, not looked up twice per request received (a group with thousands of them paid 6 µs a lookup, issue 19).
    """
    answers = union_all(
        select(Quote.rfq_id, Quote.group_id, Quote.created_at.label("at")).where(of(Quote.group_id)),
        select(Message.rfq_id, Message.group_id, Message.created_at)
        .join(ProducerGroup, ProducerGroup.id == Message.group_id)
        .join(
            Membership,
            and_(Membership.user_id == Message.author_id, Membership.organization_id == ProducerGroup.organization_id),
        )
        .where(of(Message.group_id)),
    ).subquery("answers")
    return (
        select(answers.c.rfq_id, answers.c.group_id, func.min(answers.c.at).label("at"))
        .group_by(answers.c.rfq_id, answers.c.group_id)
        .subquery("first_answers")
    )


def _record(of: Callable[[Any], ColumnElement[bool]], *, ratings: bool = True) -> CompoundSelect:
    """The record of the groups `of` picks (given a group id column, the condition on it), as `_RECORD` reads it.

    Without `ratings`, the reviews' ratings are left for the caller to read (`profile_record_statement`).
    """
    orders = (
        select(
            literal_column(str(_ORDER), Integer).label("kind"),
            Order.group_id,
            Order.buyer_id,
            _INT,
            _INT,
            _INT,
            Order.ship_by,
            _FIRST_SHIPPED_AT,
            _MOMENT,
            type_coerce(Order.status, String),  # the value as stored (`str_enum`), equal to its `OrderStatus`
            _TEXT,
        )
    ).where(of(Order.group_id))
    calendars = (
        select(
            literal_column(str(_CALENDAR), Integer),
            ProducerGroup.id,
            _INT,
            _INT,
            _INT,
            _INT,
            cast(null(), Date),
            _MOMENT,
            _MOMENT,
            Organization.time_zone,
            Organization.country,
        )
        .join(Organization, Organization.id == ProducerGroup.organization_id)
        .where(of(ProducerGroup.id))
    )
    first = _first_answers(of)
    received = (
        select(
            literal_column(str(_RECEIVED_RFQ), Integer),
            RfqRecipient.group_id,
            _INT,
            _INT,
            _INT,
            _INT,
            cast(null(), Date),
            RfqRecipient.sent_at,
            first.c.at,
            _TEXT,
            _TEXT,
        )
        .join(Rfq, Rfq.id == RfqRecipient.rfq_id)
        .outerjoin(first, and_(first.c.rfq_id == RfqRecipient.rfq_id, first.c.group_id == RfqRecipient.group_id))
        .where(of(RfqRecipient.group_id), Rfq.status != RfqStatus.DRAFT)
    )
    rated = select(
        literal_column(str(_RATING), Integer),
        Review.group_id,
        Review.rating,
        Review.quality_rating,
        Review.communication_rating,
        Review.on_time_rating,
        cast(null(), Date),
        _MOMENT,
        _MOMENT,
        _TEXT,
        _TEXT,
    ).where(of(Review.group_id))
    return union_all(orders, calendars, received, *([rated] if ratings else []))


_RECORD = _record(lambda group_id: group_id.in_(_IDS))

# The profile's statement: `_RECORD` with its ratings read differently, in one branch with the group's `shown` newest
# reviews as the page shows them (one branch, not two: each costs PostgreSQL's executor start-up, issue 19). Those are
# of a kind of their own: the review's id in the group's place, its four ratings, its moment in the first moment's place,
# its text and answer in the zone's and the country's; the others are ratings.
_SHOWN = 3
SHOWN_REVIEWS = 20  # the newest reviews a profile shows


def profile_record_statement(group_id: ColumnElement[int]) -> CompoundSelect:
    """The statement `profile_record` runs for the group whose id `group_id` gives (a value or a scalar subquery).

    Rows of five kinds in 11 columns (read them with `read_profile_record`); the bound parameter `shown` is the
    number of newest reviews read. For a page that reads the group and its record at once (`side_by_side`).
    """

    reviews = (
        select(
            Review.id,
            Review.group_id,
            Review.rating,
            Review.quality_rating,
            Review.communication_rating,
            Review.on_time_rating,
            Review.created_at,
            Review.text,
            Review.reply,
            (func.row_number().over(order_by=(Review.created_at.desc(), Review.id.desc())) <= bindparam("shown")).label("shown"),
        )
        .where(Review.group_id == group_id)
        .subquery("reviews")
    )
    shown = reviews.c.shown  # one of the newest `shown`, numbered once (the statement's text binds `shown` once)
    return union_all(
        *_record(lambda column: column == group_id, ratings=False).selects,
        select(
            case((shown, literal_column(str(_SHOWN), Integer)), else_=literal_column(str(_RATING), Integer)),
            case((shown, reviews.c.id), else_=reviews.c.group_id),
            reviews.c.rating,
            reviews.c.quality_rating,
            reviews.c.communication_rating,
            reviews.c.on_time_rating,
            cast(null(), Date),
            case((shown, reviews.c.created_at)),
            _MOMENT,
            case((shown, reviews.c.text)),
            case((shown, reviews.c.reply)),
        ),
    )


_PROFILE_RECORD = profile_record_statement(bindparam("group_id"))


def reputations(session: Session, group_ids: list[int], *, now: dt.datetime | None = None) -> dict[int, Reputation]:
    """Measure every group of `group_ids` in one statement for the whole list, however long.

    Orders come with the moment each first shipped (a correlated MIN), each request received with its first
    answer (a quote, or a message from one of the group's people; `_first_answers`, grouped once and joined), and
    the reviews' ratings: the three as one UNION ALL (`_RECORD`), one round trip, which is what a page on PostgreSQL
    pays for (issue 19).
    """
    if not group_ids:
        return {}
    ids = sorted(set(group_ids))
    return _measured(session.execute(_RECORD, {"ids": ids}).all(), ids, now or utcnow())


_COLUMNS = tuple(range(11))  # where the record's columns are in a row of its own statement


def _measured(
    rows: Sequence[Sequence[Any]],
    ids: list[int],
    now: dt.datetime,
    *,
    at: Sequence[int] = _COLUMNS,
    shown_of: int | None = None,
) -> dict[int, Reputation]:
    """Measure the groups `ids` from the rows of `_RECORD` (rows of other kinds are left alone).

    `at`: the positions of the record's 11 columns in a row (a page's statement puts them among its own, see
    `side_by_side`), read in place rather than cut out row by row (thousands of tuples for a busy group, issue 19).
    `shown_of`: the group whose shown reviews (`profile_record_statement`) are rated too.
    """
    k, g, n2, n3, n4, n5, day, first, second, zone, country = at
    # Organization.zone: each group's calendar, its organization's zone or its country's.
    zones = {r[g]: r[zone] or default_time_zone(r[country]) for r in rows if r[k] == _CALENDAR}
    today: dict[int, dt.date] = {}
    naive_now = now.astimezone(dt.UTC).replace(tzinfo=None)  # for SQLite's moments, naive UTC
    completed: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    on_time_basis: dict[int, int] = defaultdict(int)
    orders_per_buyer: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    # RFQs received, and the first answer (a quote, or a message from one of the group's people).
    rfq_basis: dict[int, int] = defaultdict(int)
    answered: dict[int, list[float]] = defaultdict(list)
    # Reviews: per group, the count and the sum of each rating given (overall, quality, communication, on time) and
    # twice the sum of the review scores (`_add_review`), all integers: the averages are those of the values one by one.
    stars: dict[int, list[int]] = {}
    for r in rows:
        kind, group_id = r[k], r[g]
        if kind == _ORDER:
            status, ship_by, first_shipped = r[zone], r[day], r[first]
            if status == OrderStatus.CANCELLED:
                continue
            orders_per_buyer[group_id][r[n2]] += 1
            completed[group_id] += status in _DONE
            if first_shipped is not None:
                on_time_basis[group_id] += 1
                on_time[group_id] += _shipped_by(first_shipped, ship_by, zones[group_id])
            else:
                if group_id not in today:
                    today[group_id] = local_date(now, zones[group_id])
                if ship_by < today[group_id]:
                    on_time_basis[group_id] += 1  # late and still not shipped
        elif kind == _RECEIVED_RFQ:
            sent_at, answer = r[first], r[second]
            if answer is not None:
                rfq_basis[group_id] += 1
                answered[group_id].append(max((answer - sent_at).total_seconds(), 0) / 3600)
            elif (naive_now if sent_at.tzinfo is None else now) - sent_at >= ANSWER_WINDOW:
                rfq_basis[group_id] += 1
        elif kind == _RATING or (kind == _SHOWN and shown_of is not None):  # a shown one has its id in the group's place
            _add_review(stars, group_id if kind == _RATING else shown_of, r[n2], r[n3], r[n4], r[n5])

    result: dict[int, Reputation] = {}
    for group_id in ids:
        (overall, overall_sum, quality, quality_sum, communication, communication_sum, on_time_stars, on_time_sum) = (
            given := stars.get(group_id, _NO_REVIEWS)
        )[:8]
        hours = answered.get(group_id, [])
        result[group_id] = Reputation(
            orders_completed=completed[group_id],
            on_time_basis=on_time_basis[group_id],
            on_time_rate=_rate(on_time[group_id], on_time_basis[group_id]),
            rfqs_received=rfq_basis[group_id],
            response_rate=_rate(len(hours), rfq_basis[group_id]),
            median_response_hours=round(statistics.median(hours), 1) if len(hours) >= MIN_BASIS else None,
            repeat_buyers=sum(1 for n in orders_per_buyer[group_id].values() if n >= 2),
            review_count=overall,
            review_average=_average(overall_sum, overall),
            quality_count=quality,
            quality_average=_average(quality_sum, quality),
            communication_count=communication,
            communication_average=_average(communication_sum, communication),
            on_time_count=on_time_stars,
            on_time_rating_average=_average(on_time_sum, on_time_stars),
            review_score=_average(given[8] / 2, overall),
        )
    return result


def reputation(session: Session, group_id: int) -> Reputation:
    """Measure one group."""
    return reputations(session, [group_id])[group_id]


@dataclass(frozen=True)
class ShownReview:
    """A review as a group's profile shows it: the ratings (1..5; a dimension None when not asked), text and answer."""

    id: int
    rating: int
    quality_rating: int | None
    communication_rating: int | None
    on_time_rating: int | None
    created_at: dt.datetime
    text: str
    reply: str | None


def profile_record(
    session: Session, group_id: int, *, reviews: int = SHOWN_REVIEWS, now: dt.datetime | None = None
) -> tuple[Reputation, list[ShownReview]]:
    """Measure one group and read its `reviews` newest reviews (newest first), in one statement: its profile page.

    `_PROFILE_RECORD` is `_RECORD` with a fourth kind of row, the newest reviews, so the page pays one
    round trip for both (issue 19). The reviews are those `reputation.services.reviews_of_group` lists.
    """
    rows = session.execute(_PROFILE_RECORD, {"group_id": group_id, "shown": reviews}).all()
    return read_profile_record(rows, group_id, now=now)


def read_profile_record(
    rows: Sequence[Sequence[Any]], group_id: int, *, now: dt.datetime | None = None, at: Sequence[int] = _COLUMNS
) -> tuple[Reputation, list[ShownReview]]:
    """Measure the group `group_id` and list its reviews (newest first) from the rows of `profile_record_statement`.

    `at`: the positions of its 11 columns in a row, as `side_by_side` gives them for a page's statement (rows of the
    page's other parts are left alone); by default, a row of `profile_record_statement`'s own.
    """
    k, g, n2, n3, n4, n5, _day, first, _second, text, reply = at
    shown = [
        ShownReview(r[g], r[n2], r[n3], r[n4], r[n5], _utc(r[first]), r[text] or "", r[reply]) for r in rows if r[k] == _SHOWN
    ]
    shown.sort(key=lambda review: (review.created_at, review.id), reverse=True)  # a UNION ALL keeps no order
    return _measured(rows, [group_id], now or utcnow(), at=at, shown_of=group_id)[group_id], shown


_NO_REVIEWS = (0,) * 9


def _add_review(
    stars: dict[int, list[int]], group_id: int, overall: int, quality: int | None, communication: int | None, on_time: int | None
) -> None:
    """Count one review of `group_id` into `stars`: [count, sum] of each rating given (overall, quality, communication,
    on time; every review gives the overall one), then twice the sum of their scores.

    A review's score, its part in the boost: the mean of its quality and communication ratings, or the one of them
    given, or the overall rating of a review without them (twice it: an integer).
    """
    given = stars.get(group_id)
    if given is None:
        given = stars[group_id] = [0] * 9
    given[0] += 1
    given[1] += overall
    if quality is not None:
        given[2] += 1
        given[3] += quality
    if communication is not None:
        given[4] += 1
        given[5] += communication
    if on_time is not None:
        given[6] += 1
        given[7] += on_time
    if quality is not None:
        given[8] += quality + communication if communication is not None else 2 * quality
    else:
        given[8] += 2 * communication if communication is not None else 2 * overall


def _average(total: float, count: int) -> float | None:
    """The mean of `count` values summing to `total` (exact: integers, or multiples of ½), to two places; None below
    MIN_BASIS. The same float as `round(statistics.fmean(values), 2)`: fmean divides their exact sum by their count."""
    return round(total / count, 2) if count >= MIN_BASIS else None


_NEAR = dt.timedelta(days=2)  # how far a moment's date in one zone can be from its date in another


def _shipped_by(moment: dt.datetime, ship_by: dt.date, zone: str) -> bool:
    """Was `moment` (aware, or naive UTC as SQLite gives it) on or before the day `ship_by` in `zone`?

    Converted to `zone` only when it is within two days of `ship_by` (zones are less than 27 hours apart): far from
    it, the date it has as given already decides.
    """
    day = moment.date()
    if day + _NEAR <= ship_by:
        return True
    if day - _NEAR > ship_by:
        return False
    return local_date(_utc(moment), zone) <= ship_by


def _utc(moment: dt.datetime) -> dt.datetime:
    """`moment` as an aware UTC datetime, as `UTCDateTime` reads it (a naive one, as SQLite gives it, is UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
