"""Orders (both parties'), a buyer's requests and a group's inbox page newest first by a cursor (keyset
pagination): each next page is read from the party's (party, id) index just below the last row shown,
with no sort, so page 200 costs what page 1 costs; a cursor Loom did not write is a 400; a page runs the
same number of statements however many rows and parties it shows."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from marketplace.orders.services import orders_of
from marketplace.sourcing.models import Rfq, RfqRecipient, RfqStatus
from marketplace.sourcing.services import buyer_rfqs, inbox
from tests import factories
from tests.integration.test_listing_plans import plan, statements
from tests.integration.test_query_counts import counted
from tests.web import sign_in


@pytest.fixture
def small_pages(app: Flask) -> Iterator[None]:
    app.config["LIST_PAGE_SIZE"] = 2
    yield
    app.config["LIST_PAGE_SIZE"] = 50


def _market(session: Session, groups: int = 3, orders_each: int = 2) -> dict[str, Any]:
    """A buyer with orders from several groups, another buyer with one order, and a draft that was never sent."""
    buyer, other = factories.buyer(session), factories.buyer(session, name="Other Buyer")
    makers = [factories.producer_group(session, name=f"Maker {n}") for n in range(groups)]
    admins = [factories.member_of(session, g) for g in makers]
    for _ in range(orders_each):
        for group in makers:
            factories.accepted_order(session, group, buyer, quantity=40)
    factories.accepted_order(session, makers[0], other, quantity=40)
    draft = Rfq(
        buyer_id=buyer.organization_id,
        title="Unsent",
        category="baskets.storage",
        quantity=10,
        currency="USD",
        needed_by=dt.date.today() + dt.timedelta(weeks=10),
        destination_country="GB",
        status=RfqStatus.DRAFT,
        recipients=[RfqRecipient(group_id=makers[0].id)],
    )
    session.add(draft)
    session.commit()
    return {"buyer": buyer, "other": other, "makers": makers, "admins": admins}


def _walk(client: FlaskClient, url: str, row: re.Pattern[str]) -> list[int]:
    """Follow the "Next" links from `url` and return the ids of the rows shown, in order."""
    seen: list[int] = []
    for _ in range(30):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        html = page.get_data(as_text=True)
        seen += [int(i) for i in row.findall(html)]
        link = re.search(r'href="([^"]+)" rel="next"', html)
        if link is None:
            return seen
        url = link.group(1).replace("&amp;", "&")
        assert "after=" in url
    raise AssertionError("the pages did not end")


ORDER_ROW = re.compile(r'href="/orders/(\d+)"')


def test_a_buyer_walks_all_its_orders_newest_first_and_only_its_own(
    client: FlaskClient, session: Session, small_pages: None
) -> None:
    market = _market(session)
    sign_in(client, market["buyer"].user.email)
    walked = _walk(client, "/orders", ORDER_ROW)
    expected = [o.id for o in orders_of(session, market["buyer"], per_page=100)[0]]
    assert walked == expected and len(expected) == 6
    assert walked == sorted(walked, reverse=True)


def test_a_group_walks_all_the_orders_it_makes_newest_first(client: FlaskClient, session: Session, small_pages: None) -> None:
    market = _market(session)
    sign_in(client, market["admins"][0].user.email)
    walked = _walk(client, "/orders", ORDER_ROW)
    makers = market["makers"][0].id
    expected = [o.id for o in orders_of(session, market["admins"][0], per_page=100)[0]]
    assert walked == expected and len(expected) == 3  # two for the buyer, one for the other buyer
    assert all(o.group_id == makers for o in orders_of(session, market["admins"][0], per_page=100)[0])


def test_a_buyer_walks_its_requests_and_a_group_its_inbox(
    app: Flask, client: FlaskClient, session: Session, small_pages: None
) -> None:
    market = _market(session)
    sign_in(client, market["buyer"].user.email)
    requests = _walk(client, "/rfqs", re.compile(r'href="/rfqs/(\d+)"'))
    assert (
        requests == [r.id for r in buyer_rfqs(session, market["buyer"], per_page=100)[0]] and len(requests) == 7
    )  # with the draft
    client = app.test_client()  # signed in as the group's admin now
    sign_in(client, market["admins"][0].user.email)
    answered = _walk(client, "/manage/rfqs", re.compile(r'href="/manage/rfqs/(\d+)"'))
    rows = inbox(session, market["makers"][0], per_page=100)[0]
    assert answered == [r.id for r, _quote in rows] and len(answered) == 3  # the draft was never sent
    assert answered == sorted(answered, reverse=True)
    assert all(quote is not None and quote.rfq_id == rfq.id for rfq, quote in rows)


def _cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        _cursor([]),
        _cursor([1, 2]),
        _cursor(["7"]),
        _cursor([0]),
        _cursor([2**40]),
        _cursor([1.5]),
        _cursor([True]),
        _cursor({"a": 1}),
        _cursor([[[[[]]]]]),
        "A" * 601,
    ],
)
def test_a_cursor_loom_did_not_write_is_a_400(app: Flask, client: FlaskClient, session: Session, cursor: str) -> None:
    market = _market(session, groups=1, orders_each=1)
    sign_in(client, market["buyer"].user.email)
    for url in (f"/orders?after={cursor}", f"/rfqs?after={cursor}"):
        assert client.get(url).status_code == 400, url
    client = app.test_client()
    sign_in(client, market["admins"][0].user.email)
    for url in (f"/orders?after={cursor}", f"/manage/rfqs?after={cursor}"):
        assert client.get(url).status_code == 400, url


def _page_statement(seen: list[tuple[str, Any]], table: str) -> tuple[str, Any]:
    [found] = [(s, p) for s, p in seen if "LIMIT" in s and "ORDER BY" in s and f"FROM {table}" in s]
    return found


@pytest.mark.parametrize("side", ["buyer orders", "group orders", "buyer requests", "inbox"])
def test_a_page_after_a_cursor_walks_its_party_index_without_sorting(session: Session, connection: Connection, side: str) -> None:
    market = _market(session)
    buyer, admin, group = market["buyer"], market["admins"][0], market["makers"][0]
    call, table, index = {
        "buyer orders": (
            lambda after: orders_of(session, buyer, after=after, per_page=2),
            "purchase_order",
            "ix_purchase_order_buyer_listing",
        ),
        "group orders": (
            lambda after: orders_of(session, admin, after=after, per_page=2),
            "purchase_order",
            "ix_purchase_order_group_listing",
        ),
        "buyer requests": (lambda after: buyer_rfqs(session, buyer, after=after, per_page=2), "rfq", "ix_rfq_buyer_listing"),
        "inbox": (lambda after: inbox(session, group, after=after, per_page=2), "rfq", "ix_rfq_recipient_inbox"),
    }[side]
    _first, last = call(None)
    assert last is not None
    with statements(connection) as seen:
        call(last)
    statement, parameters = _page_statement(seen, table)
    if connection.dialect.name == "postgresql":
        # A handful of rows is cheapest to gather by bitmap and sort; at any size worth paging the
        # ordered index scan wins. Forbid the bitmap so the plan shows whether the index gives the order.
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    shown = plan(connection, statement, parameters)
    assert index in shown, shown
    if connection.dialect.name == "sqlite":
        assert "TEMP B-TREE FOR ORDER BY" not in shown, shown
    else:
        assert "Sort" not in shown, shown


def test_list_pages_run_the_same_statements_for_one_party_or_many(
    client: FlaskClient, session: Session, connection: Connection
) -> None:
    small = _market(session, groups=1, orders_each=1)
    sign_in(client, small["buyer"].user.email)
    urls = ("/orders", "/rfqs")
    with counted(connection) as one:
        for url in urls:
            assert client.get(url).status_code == 200
    for n in range(4):  # orders from four more groups: each row names its group
        group = factories.producer_group(session, name=f"Later Maker {n}")
        factories.accepted_order(session, group, small["buyer"], quantity=40)
    session.commit()
    session.expire_all()
    with counted(connection) as many:
        for url in urls:
            assert client.get(url).status_code == 200
    assert len(many) == len(one), (one, many)
