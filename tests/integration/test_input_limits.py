"""Every list and text field has a limit, and reading one costs time in proportion to its length."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.producers.importer import read_json, validate
from tests import factories
from tests.integration.test_producer_listing import PROFILE
from tests.web import sign_in, submit, text_of

CAPABILITY = {
    "category": "baskets.storage",
    "moq": "50",
    "lead_time_days": "21",
    "price_min": "8",
    "price_max": "15",
    "currency": "USD",
    "weekly_capacity": "200",
}


@pytest.fixture
def admin(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    return group


@pytest.mark.parametrize(
    "page, field, extra",
    [
        ("/manage/profile", "languages", PROFILE),
        ("/manage/capabilities/new", "materials", CAPABILITY),
        ("/manage/capabilities/new", "techniques", CAPABILITY),
    ],
)
def test_a_huge_list_field_is_refused_quickly(
    client: FlaskClient, session: Session, admin, page: str, field: str, extra: dict
) -> None:  # type: ignore[no-untyped-def]
    for entries, words in ((16_000, "cannot be longer than 2000 characters"), (400, "Give at most 30 entries.")):
        value = ",".join(f"w{i}" for i in range(entries))
        started = time.perf_counter()
        answer = submit(client, page, {**extra, field: value})
        assert time.perf_counter() - started < 2  # quadratic de-duplication took ~4.5 s for 16,000 entries
        assert answer.status_code == 422
        assert words in text_of(answer)


def test_list_entries_are_deduplicated_ignoring_case(client: FlaskClient, session: Session, admin) -> None:  # type: ignore[no-untyped-def]
    assert submit(client, "/manage/profile", {**PROFILE, "languages": "Kamba, Swahili, kamba, SWAHILI,, "}).status_code == 302
    session.refresh(admin)
    assert admin.languages == ["Kamba", "Swahili"]


def test_the_importer_limits_list_fields_too() -> None:
    many = ";".join(f"m{i}" for i in range(100_000))
    record = next(
        read_json(
            '{"groups": [{"external_ref": "x", "name": "X", "country": "KE", "capabilities": [{"category": "baskets.storage", '
            f'"materials": "{many}", "price_min": 1, "price_max": 2, "lead_time_days": 3, "weekly_capacity": 4}}]}}]}}'
        )
    )
    started = time.perf_counter()
    with pytest.raises(ValueError, match="materials: Give at most 30 entries"):
        validate(record)
    assert time.perf_counter() - started < 1


def test_a_search_names_at_most_twenty_values_of_a_facet(client: FlaskClient) -> None:
    query = "&".join(f"material=m{i}" for i in range(21))
    assert client.get(f"/search?{query}").status_code == 400
    assert client.get(f"/api/v1/search?{query}").status_code == 400


def test_one_request_for_quotation_goes_to_at_most_twenty_groups(client: FlaskClient, session: Session) -> None:
    buyer = factories.buyer(session)
    groups = [factories.producer_group(session) for _ in range(21)]
    sign_in(client, buyer.user.email)
    query = "&".join(f"group={g.slug}" for g in groups)
    answer = submit(
        client,
        f"/rfqs/new?{query}",
        {
            "title": "Baskets",
            "spec": "Storage baskets.",
            "category": "baskets.storage",
            "quantity": "10",
            "currency": "USD",
            "needed_by": "2099-01-01",
            "destination_country": "GB",
            "send": "1",
            "confirmed": "1",
        },
    )
    assert answer.status_code == 422 and "at most 20 groups" in text_of(answer)
