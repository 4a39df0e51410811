"""The real services `make test` starts are there and are the versions Loom's clients speak to."""

from __future__ import annotations

import os

import elasticsearch
import pytest
import stripe
from elasticsearch import Elasticsearch


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test`, which starts the services it needs.")
    return value


def test_elasticsearch_server_matches_the_clients_major_version() -> None:
    client = Elasticsearch(_required("LOOM_TEST_ELASTICSEARCH_URL"), request_timeout=10)
    try:
        health = client.cluster.health(wait_for_status="yellow", timeout="10s")
        versions = {node["version"] for node in client.nodes.info()["nodes"].values()}
    finally:
        client.close()
    assert health["status"] in ("green", "yellow")
    assert {v.split(".")[0] for v in versions} == {elasticsearch.__versionstr__.split(".")[0]}


def test_stripe_mock_answers_the_stripe_library() -> None:
    client = stripe.StripeClient("sk_test_123", base_addresses={"api": _required("LOOM_TEST_STRIPE_URL")}, max_network_retries=0)
    intent = client.v1.payment_intents.create(params={"amount": 125000, "currency": "usd"})
    assert intent.object == "payment_intent" and intent.id.startswith("pi_")
