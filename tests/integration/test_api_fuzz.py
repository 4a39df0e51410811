"""Schemathesis against the OpenAPI document, bounded for CI: no 5xx, answers as documented, schema-violating
requests refused, 405 with Allow. (Schema-valid requests may still be refused for what a schema cannot say:
a country code that does not exist, a date in the past; so that one check is left out.)"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from marketplace.accounts.models import Role
from marketplace.limits import limiter
from tests import factories
from tests.integration.test_trace_api import _token

CASES = [(path, GenerationMode.POSITIVE) for path in ("/groups", "/groups/{slug}", "/search", "/openapi.json")] + [
    (path, GenerationMode.NEGATIVE)
    for path in ("/groups", "/search")  # the others have nothing a request could violate (/epcis/events: below)
]


@pytest.mark.parametrize("path, mode", CASES)
def test_the_api_keeps_its_document(
    app: Flask, client, session, monkeypatch: pytest.MonkeyPatch, path: str, mode: GenerationMode
) -> None:  # type: ignore[no-untyped-def]
    group = factories.producer_group(session, name="Bolgatanga Basket Weavers", country="GH")
    factories.capability(session, group, category="baskets.market")
    session.commit()
    monkeypatch.setitem(app.config, "RATE_LIMIT_API", "100000 per minute")  # the fuzzer is one busy address
    limiter.reset()
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def keeps_its_document(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    keeps_its_document()


def test_the_epcis_interface_keeps_its_document(app: Flask, client, session, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The EPCIS query interface, with a live token of a buyer that has an order's events: it sits at the site's root
    (the document's path-level server), so the calls go there. Positive mode only: schemathesis's negative mode mutates
    the entries of its `|`-delimited lists and reports a request it then serializes valid (seen: entries of 13 and 293
    characters reported as breaking minLength 1 and maxLength 300) as accepted; what a request can violate there is
    covered case by case in test_api_parameters and test_epcis_query."""
    buyer = factories.buyer(session, role=Role.OWNER)
    factories.accepted_order(session, factories.producer_group(session, name="Bolgatanga Basket Weavers"), buyer)
    session.commit()
    token = _token(client, buyer)
    monkeypatch.setitem(app.config, "RATE_LIMIT_API", "100000 per minute")
    limiter.reset()
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)["/epcis/events"]["GET"]

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def keeps_its_document(case) -> None:  # type: ignore[no-untyped-def]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        case.call_and_validate(base_url=app.config["BASE_URL"], excluded_checks=[positive_data_acceptance])

    keeps_its_document()
