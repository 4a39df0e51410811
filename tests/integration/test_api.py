"""The JSON API answers as its OpenAPI document says, errors included."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from marketplace.producers.models import Certification, PriceTier, Product
from tests import factories

DOCUMENT = json.loads((Path(__file__).parents[2] / "marketplace" / "api" / "openapi.json").read_text())
REGISTRY = Registry().with_resource("urn:loom:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))


def conforms(response, path: str, method: str = "get") -> None:
    """Check the response's status, media type and body against the operation in the document."""
    operation = DOCUMENT["paths"][path][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {path} answered {response.status_code}, which the document does not declare"
    if "$ref" in declared:
        declared = DOCUMENT["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    media_type = response.mimetype
    assert media_type in declared["content"], f"{media_type} not declared for {response.status_code}"
    schema = declared["content"][media_type]["schema"]
    if "$ref" in schema:
        schema = {"$ref": "urn:loom:openapi" + schema["$ref"]}
    errors = sorted(Draft202012Validator(schema, registry=REGISTRY).iter_errors(response.get_json()), key=str)
    assert not errors, [e.message for e in errors]


@pytest.fixture
def catalog(session: Session):
    group = factories.producer_group(
        session, name="Bolgatanga Basket Weavers", country="GH", latitude=10.78, longitude=-0.85, verified=True
    )
    factories.capability(
        session, group, category="baskets.market", materials=["elephant grass"], price_min=Decimal("14"), price_max=Decimal("40")
    )
    session.add(Certification(group=group, scheme="wfto", verified=True))
    product = Product(
        group=group,
        sku="BOL-1",
        title="Bolga market basket",
        category="baskets.market",
        moq=30,
        lead_time_days=45,
        currency="USD",
    )
    product.price_tiers = [PriceTier(min_quantity=30, unit_price=Decimal("18.5"))]
    session.add(product)
    other = factories.producer_group(session, name="Tamale Shea Women", country="GH")
    factories.capability(session, other, category="personal-care.butters")
    session.commit()  # the list's total is the kept count (marketplace.producers.counts), written at commit
    return group


def test_every_api_route_is_in_the_document(app: Flask) -> None:
    """The API's routes (under /api/v1) and the EPCIS query interface (at the site's root, its own server) are all documented."""
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/v1", "/epcis/"))
    }
    assert routes == set(DOCUMENT["paths"])
    assert [path for path, item in DOCUMENT["paths"].items() if "servers" in item] == [
        r for r in routes if r.startswith("/epcis/")
    ]


def test_groups_are_paginated_with_a_total(client: FlaskClient, catalog) -> None:
    first = client.get("/api/v1/groups?per_page=1")
    second = client.get("/api/v1/groups?per_page=1&page=2")

    conforms(first, "/groups")
    body = first.get_json()
    assert body["total"] == 2 and len(body["items"]) == 1
    assert body["items"][0]["name"] == "Bolgatanga Basket Weavers"  # verified first
    assert second.get_json()["items"][0]["name"] == "Tamale Shea Women"
    beyond = client.get("/api/v1/groups?per_page=1&page=3").get_json()  # no row brings the total: it is counted apart
    assert beyond["items"] == [] and beyond["total"] == 2 and second.get_json()["total"] == 2


def test_groups_can_be_filtered(client: FlaskClient, catalog) -> None:
    response = client.get("/api/v1/groups?category=personal-care&country=gh")
    conforms(response, "/groups")
    assert [g["name"] for g in response.get_json()["items"]] == ["Tamale Shea Women"]


def test_a_group_with_capabilities_capacity_and_catalog(client: FlaskClient, catalog) -> None:
    response = client.get(f"/api/v1/groups/{catalog.slug}")

    conforms(response, "/groups/{slug}")
    body = response.get_json()
    capability = body["capabilities"][0]
    assert capability["unit_price"] == {"min": "14.00", "max": "40.00", "currency": "USD"}
    assert len(capability["capacity"]) == 12 and capability["capacity"][0]["available"] == 200
    assert body["products"][0]["price_tiers"] == [{"min_quantity": 30, "unit_price": "18.50"}]
    assert body["certifications"] == [
        {"scheme": "wfto", "name": "WFTO Guaranteed Fair Trade", "verified": True, "self_declared": False, "valid_until": None}
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("page=two", "page"),
        ("country=Kenya", "country"),
        ("category=widgets", "category"),
    ],
)
def test_bad_query_parameters_get_a_problem_document(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/groups?{query}")
    assert response.status_code == 400
    conforms(response, "/groups")
    assert response.get_json()["field"] == field


def test_an_unknown_group_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/groups/no-such-group")
    assert response.status_code == 404
    conforms(response, "/groups/{slug}")
    assert response.get_json()["detail"] == "No producer group has that address."


def test_unknown_api_paths_and_methods_answer_in_problem_json(client: FlaskClient) -> None:
    assert client.get("/api/v1/nothing-here").mimetype == "application/problem+json"
    response = client.post("/api/v1/groups")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_the_document_is_served(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    conforms(response, "/openapi.json")
    assert response.get_json()["paths"].keys() == DOCUMENT["paths"].keys()
