"""GET /epcis/events: the EPCIS 2.0 query interface (REST binding) over the caller's own orders, with its API token.

The answer is an EPCIS 2.0 query document that GS1's schema accepts; the standard's parameters filter it;
pages follow the `Link: rel="next"` header; nothing of another organization's orders is ever in it."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.orders.models import OrderStatus
from marketplace.orders.services import move, post_progress
from marketplace.trace.chain import HASH_ID
from marketplace.trace.services import chain_of
from tests import factories
from tests.epcis_schema import epcis_errors
from tests.integration.test_api import conforms
from tests.integration.test_trace_api import _token

PATH = "/epcis/events"
BASE = "https://loom.test"


@pytest.fixture
def orders(session: Session) -> dict:
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, city="Machakos", latitude=-1.5, longitude=37.2)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    order = factories.accepted_order(session, group, buyer)
    move(session, admin, order.id, OrderStatus.IN_PRODUCTION, note="", today=dt.date.today(), base_url=BASE)
    post_progress(
        session, admin, order.id, percent=30, note="Achieng (0712 345 678) has the handles", photo_path=None, base_url=BASE
    )
    second = factories.accepted_order(session, group, buyer, quantity=120)
    stranger = factories.buyer(session, name="Casa Verde", role=Role.OWNER)
    elsewhere = factories.producer_group(session, name="Kisumu Papyrus Weavers")
    foreign = factories.accepted_order(session, elsewhere, stranger)
    session.commit()
    return {"buyer": buyer, "admin": admin, "stranger": stranger, "order": order, "second": second, "foreign": foreign}


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        e.get("eventID") or e["loom:legacyHash"]
        for e in response.get_json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ]


def _event_ids(session: Session, *orders) -> set[str]:  # type: ignore[no-untyped-def]
    return {f"ni:///sha-256;{e.hash}?ver=CBV2.0" for order in orders for e in chain_of(session, order.id)}


def test_a_buyer_queries_exactly_its_own_orders_events_as_a_valid_query_document(
    client: FlaskClient, session: Session, orders: dict
) -> None:
    token = _token(client, orders["buyer"])
    response = client.get(PATH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    conforms(response, PATH)
    document = response.get_json()
    assert document["type"] == "EPCISQueryDocument" and epcis_errors(document) == []
    assert set(_ids(response)) == _event_ids(session, orders["order"], orders["second"])  # its two orders, not the stranger's
    assert "Achieng" not in response.get_data(as_text=True)  # the public form: the note's digest, not the note
    times = [e["eventTime"] for e in document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
    assert times == sorted(times)
    group_view = client.get(PATH, headers={"Authorization": f"Bearer {_token(client, orders['admin'])}"})
    assert set(_ids(group_view)) == _event_ids(session, orders["order"], orders["second"])  # the maker's orders too
    theirs = client.get(PATH, headers={"Authorization": f"Bearer {_token(client, orders['stranger'])}"})
    assert set(_ids(theirs)) == _event_ids(session, orders["foreign"])


def test_the_standards_parameters_filter_the_events(client: FlaskClient, session: Session, orders: dict) -> None:
    token = _token(client, orders["buyer"])
    headers = {"Authorization": f"Bearer {token}"}
    events = [e for o in (orders["order"], orders["second"]) for e in chain_of(session, o.id)]

    def found(**query: str) -> set[str]:
        response = client.get(PATH, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        assert epcis_errors(response.get_json()) == []
        return set(_ids(response))

    def expected(keep) -> set[str]:  # type: ignore[no-untyped-def]
        return {f"ni:///sha-256;{e.hash}?ver=CBV2.0" for e in events if keep(e)}

    steps = sorted({e.biz_step for e in events if e.biz_step})
    assert len(steps) > 1
    assert found(EQ_bizStep=steps[0]) == expected(lambda e: e.biz_step == steps[0]) != set()
    assert found(EQ_bizStep=f"https://ref.gs1.org/cbv/BizStep-{steps[0]}|{steps[1]}") == expected(
        lambda e: e.biz_step in steps[:2]
    )
    kinds = sorted({e.kind.value for e in events})
    assert found(eventType=kinds[0]) == expected(lambda e: e.kind.value == kinds[0]) != set()
    middle = sorted(e.event_time for e in events)[len(events) // 2]
    stamp = middle.astimezone(dt.UTC).isoformat()
    assert found(GE_eventTime=stamp) == expected(lambda e: e.event_time >= middle)
    assert found(LT_eventTime=stamp) == expected(lambda e: e.event_time < middle)
    classes = {q["epcClass"] for e in events for q in e.what.get("quantityList", []) if "epcClass" in q}
    some = sorted(classes)[0]
    assert (
        found(MATCH_epcClass=some)
        == expected(lambda e: some in {q.get("epcClass") for q in e.what.get("quantityList", [])})
        != set()
    )
    located = next(e for e in events if e.biz_location)
    assert found(EQ_bizLocation=located.biz_location) == expected(lambda e: e.biz_location == located.biz_location)
    assert found(EQ_readPoint=located.read_point) == expected(lambda e: e.read_point == located.read_point) != set()
    parent = next((e.what["parentID"] for e in events if "parentID" in e.what), None)
    if parent:
        assert found(MATCH_anyEPC=parent) == expected(lambda e: e.what.get("parentID") == parent)
    assert found(MATCH_anyEPC="urn:epc:id:sgtin:0614141.107346.2017") == set()
    assert found(MATCH_epc="urn:epc:id:sgtin:0614141.107346.2017") == set()
    one = next(iter(expected(lambda e: True)))
    assert found(EQ_eventID=one) == {one}
    # Another organization's event, asked for by its ID, is not there.
    foreign = next(iter(_event_ids(session, orders["foreign"])))
    assert found(EQ_eventID=foreign) == set()


def test_pages_follow_the_link_header_and_a_token_serves_only_its_own_query(
    client: FlaskClient, session: Session, orders: dict
) -> None:
    token = _token(client, orders["buyer"])
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    url = f"{PATH}?perPage=2"
    pages = 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and len(_ids(response)) <= 2
        seen += _ids(response)
        pages += 1
        link = response.headers.get("Link")
        url = re.match(r'<([^>]+)>; rel="next"', link).group(1) if link else None
    total = _event_ids(session, orders["order"], orders["second"])
    assert len(seen) == len(total) and set(seen) == total and pages >= len(total) // 2
    first = client.get(f"{PATH}?perPage=2", headers=headers)
    next_token = parse_qs(urlsplit(re.match(r"<([^>]+)>", first.headers["Link"]).group(1)).query)["nextPageToken"][0]
    for query, who in (
        (f"perPage=2&EQ_bizStep=shipping&nextPageToken={next_token}", orders["buyer"]),
        (f"perPage=2&nextPageToken={next_token}", orders["stranger"]),
    ):
        refused = client.get(f"{PATH}?{query}", headers={"Authorization": f"Bearer {_token(client, who)}"})
        assert refused.status_code == 400 and refused.get_json()["field"] == "nextPageToken"
        conforms(refused, PATH)


@pytest.mark.parametrize(
    "query, field",
    [
        ("GE_eventTime=yesterday", "GE_eventTime"),
        ("GE_eventTime=9999-12-31T23:59:59-23:59", "GE_eventTime"),
        ("LT_recordTime=0001-01-01T00:00:00%2B23:59", "LT_recordTime"),
        ("GE_eventTime=２０２６-03-01T00:00:00Z", "GE_eventTime"),
        ("LT_eventTime=2026-03-01T00:00:00", "LT_eventTime"),
        ("perPage=0", "perPage"),
        ("perPage=101", "perPage"),
        ("perPage=²", "perPage"),
        ("perPage=1e3", "perPage"),
        ("eventType=QuantityEvent", "eventType"),
        ("EQ_bizStep=", "EQ_bizStep"),
        ("EQ_bizStep=" + "|".join(["x"] * 51), "EQ_bizStep"),
        ("nextPageToken=W10", "nextPageToken"),
        ("EQ_quantity=5", "EQ_quantity"),
        ("orderBy=eventTime", "orderBy"),
    ],
)
def test_bad_or_unsupported_parameters_are_refused_as_the_standard_says(
    client: FlaskClient, orders: dict, query: str, field: str
) -> None:
    response = client.get(f"{PATH}?{query}", headers={"Authorization": f"Bearer {_token(client, orders['buyer'])}"})
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert response.get_json()["title"] == "QueryParameterException"
    conforms(response, PATH)


def test_without_a_live_token_nothing_is_answered(client: FlaskClient, orders: dict) -> None:
    for headers in ({}, {"Authorization": "Bearer loom_not-a-token"}):
        refused = client.get(PATH, headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        conforms(refused, PATH)


def test_event_ids_in_the_answer_are_cbv_hash_ids(client: FlaskClient, orders: dict) -> None:
    response = client.get(PATH, headers={"Authorization": f"Bearer {_token(client, orders['buyer'])}"})
    assert all(HASH_ID.match(i) for i in _ids(response))
