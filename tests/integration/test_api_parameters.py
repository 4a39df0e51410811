"""Query parameters as the API document types them: one that is not a list is taken once, and a length limit counts
what was sent, spaces included. (Schemathesis's negative run found both: `price_min` sent twice and `after` as 601
spaces were answered 200.)"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.queryargs import encode_listing_cursor
from tests import factories
from tests.integration.test_api import conforms
from tests.integration.test_trace_api import _token

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "marketplace" / "api" / "openapi.json").read_text())
IN_A_MONTH = (dt.date.today() + dt.timedelta(days=30)).isoformat()

# A valid value of every parameter the document takes once (with what it needs beside it), so that the request with it
# once is answered 200 and the same request with it twice can only be refused for the repeat.
ONCE = {
    "/groups": {
        "page": "page=1",
        "per_page": "per_page=5",
        "after": "after=" + encode_listing_cursor((False, "A", 1)),
        "country": "country=GH",
        "category": "category=baskets",
    },
    "/search": {
        "q": "q=baskets",
        "verified": "verified=false",
        "units": "units=10",
        "by": f"by={IN_A_MONTH}",
        "max_lead_time": "max_lead_time=60",
        "moq": "moq=500",
        "price_min": "price_min=0",
        "price_max": "price_max=1000",
        "currency": "currency=USD",
        "near": "near=Accra",
        "km": "near=Accra&km=20000",
        "sort": "sort=rating",
        "size": "size=5",
        "after": None,  # a cursor the first page wrote: see below
    },
    "/epcis/events": {
        "GE_eventTime": "GE_eventTime=2020-01-01T00:00:00Z",
        "LT_eventTime": "LT_eventTime=2999-01-01T00:00:00Z",
        "GE_recordTime": "GE_recordTime=2020-01-01T00:00:00Z",
        "LT_recordTime": "LT_recordTime=2999-01-01T00:00:00Z",
        "eventType": "eventType=ObjectEvent|TransactionEvent",
        "EQ_action": "EQ_action=ADD|OBSERVE",
        "EQ_bizStep": "EQ_bizStep=commissioning",
        "EQ_disposition": "EQ_disposition=active",
        "EQ_readPoint": "EQ_readPoint=urn:x",
        "EQ_bizLocation": "EQ_bizLocation=urn:x",
        "MATCH_epc": "MATCH_epc=urn:x",
        "MATCH_anyEPC": "MATCH_anyEPC=urn:x",
        "MATCH_epcClass": "MATCH_epcClass=urn:x",
        "MATCH_anyEPCClass": "MATCH_anyEPCClass=urn:x",
        "EQ_eventID": "EQ_eventID=ni:x",
        "perPage": "perPage=5",
        "nextPageToken": None,  # a token the first page's Link header carried: see below
    },
}


def taken_once(path: str) -> set[str]:
    """The query parameters the document's operation takes at most once: all but arrays in exploded form style."""
    names = set()
    for parameter in DOCUMENT["paths"][path]["get"].get("parameters", ()):
        repeatable = (
            parameter["schema"].get("type") == "array"
            and parameter.get("style", "form") == "form"
            and parameter.get("explode", True)
        )
        if parameter["in"] == "query" and not repeatable:
            names.add(parameter["name"])
    return names


def test_the_table_covers_every_parameter_the_document_takes_once() -> None:
    for path, values in ONCE.items():
        assert taken_once(path) == set(values), path
    assert {"category", "material", "country", "certification", "verified_certification"}.isdisjoint(ONCE["/search"])


@pytest.fixture
def world(app: Flask, session: Session) -> dict:
    buyer = factories.buyer(session, role=Role.OWNER)
    for name in ("Bolgatanga Basket Weavers", "Bongo Basket Weavers"):
        group = factories.producer_group(session, name=name, country="GH", city="Bolgatanga", latitude=10.8, longitude=-0.85)
        factories.capability(session, group, category="baskets.market")
        factories.accepted_order(session, group, buyer)
    session.commit()
    worker_for(app).drain()  # into the search index
    return {"buyer": buyer}


def _repeated(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(pairs + pairs[-1:])  # the parameter under test comes last


@pytest.mark.parametrize("path", ["/groups", "/search"])
def test_a_parameter_the_api_takes_once_given_twice_is_a_400(client: FlaskClient, world: dict, path: str) -> None:
    first = client.get("/api/v1/search?size=1").get_json()
    assert first["next"], ("two groups listed, one a page", first)
    cursors = {"after": urlencode({"after": first["next"]})}
    for name, query in ONCE[path].items():
        query = query or cursors[name]
        once = client.get(f"/api/v1{path}?{query}")
        assert once.status_code == 200, (name, once.get_json())
        twice = client.get(f"/api/v1{path}?{_repeated(query)}")
        assert twice.status_code == 400, name
        assert twice.mimetype == "application/problem+json" and twice.get_json()["field"] == name
        conforms(twice, path)


def test_a_list_parameter_may_be_repeated(client: FlaskClient, world: dict) -> None:
    response = client.get("/api/v1/search?category=baskets&category=textiles&country=GH&country=KE&material=sisal&material=grass")
    assert response.status_code == 200


def test_an_epcis_parameter_given_twice_is_a_query_parameter_exception(client: FlaskClient, world: dict) -> None:
    headers = {"Authorization": f"Bearer {_token(client, world['buyer'])}"}
    first = client.get("/epcis/events?perPage=1", headers=headers)
    link = first.headers["Link"]
    token = dict(parse_qsl(link[link.index("?") + 1 : link.index(">")]))["nextPageToken"]
    for name, query in ONCE["/epcis/events"].items():
        query = query or urlencode({"perPage": 1, "nextPageToken": token})
        once = client.get(f"/epcis/events?{query}", headers=headers)
        assert once.status_code == 200, (name, once.get_json())
        twice = client.get(f"/epcis/events?{_repeated(query)}", headers=headers)
        assert twice.status_code == 400, name
        assert twice.get_json()["title"] == "QueryParameterException" and twice.get_json()["field"] == name
        conforms(twice, "/epcis/events")


@pytest.mark.parametrize("page", ["/api/v1/search", "/search"])
def test_the_search_text_is_measured_as_sent(client: FlaskClient, world: dict, page: str) -> None:
    """The document caps q at 200 characters; 201 spaces break that as 201 letters do, though cleaning would leave none."""
    assert client.get(page, query_string={"q": " " * 200}).status_code == 200
    assert client.get(page, query_string={"q": "basket" + " " * 194}).status_code == 200
    for q in (" " * 201, "\n" * 300, "basket" + " " * 195):
        assert client.get(page, query_string={"q": q}).status_code == 400, repr(q[:8])


@pytest.mark.parametrize("page", ["/api/v1/search", "/search"])
def test_the_search_layers_refusal_is_in_the_readers_language(client: FlaskClient, world: dict, page: str) -> None:
    """InvalidQuery's message is marked with N_ in the search layer and translated where it is shown."""
    response = client.get(f"{page}?q=basket&after=not-a-cursor", headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert "Le curseur de page n'est pas valable" in html.unescape(response.get_data(as_text=True))


# The parameters whose schema an empty value breaks (a number, a date, an enum, a pattern, minLength, minItems), as the
# document reads today; and those an empty value is a value of (refusing them would refuse what the document allows).
REFUSED_EMPTY = {
    "/groups": {"page", "per_page", "country"},
    "/search": {"verified", "units", "by", "max_lead_time", "moq", "price_min", "price_max", "currency", "km", "sort", "size"},
    "/epcis/events": set(ONCE["/epcis/events"]),
}
TAKEN_EMPTY = {"/search": {"q", "near", "category", "material", "country", "certification", "verified_certification"}}


def test_an_empty_value_the_document_refuses_is_a_400(client: FlaskClient, world: dict) -> None:
    headers = {"Authorization": f"Bearer {_token(client, world['buyer'])}"}
    for path, names in REFUSED_EMPTY.items():
        address = path if path.startswith("/epcis") else f"/api/v1{path}"
        for name in names:
            response = client.get(f"{address}?{name}=", headers=headers)
            assert response.status_code == 400 and response.get_json()["field"] == name, (path, name)
            conforms(response, path)
    for name in TAKEN_EMPTY["/search"]:
        assert client.get(f"/api/v1/search?{name}=").status_code == 200, name


@pytest.mark.parametrize("value", ["commissioning||shipping", "|commissioning", "commissioning|", "|"])
def test_an_epcis_list_with_an_empty_entry_is_refused(client: FlaskClient, world: dict, value: str) -> None:
    """The document's list entries have minLength 1: an empty one between the | separators is not dropped silently."""
    headers = {"Authorization": f"Bearer {_token(client, world['buyer'])}"}
    response = client.get("/epcis/events", query_string={"EQ_bizStep": value}, headers=headers)
    assert response.status_code == 400 and response.get_json()["field"] == "EQ_bizStep"
    assert response.get_json()["title"] == "QueryParameterException"
