"""Certifications: the listed schemes by official name and issuer, and "other" claims that stay self-declared."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.errors import DomainError
from marketplace.producers import services
from marketplace.producers.importer import import_groups, read_json
from marketplace.producers.models import Certification, ProducerGroup
from marketplace.producers.taxonomy import _SCHEME_NAMES, CERTIFICATION_SCHEMES, _key, scheme_code
from tests import factories
from tests.web import sign_in, submit, text_of

CAPABILITY = {"category": "bags.leather", "lead_time_days": 30, "price_min": 10, "price_max": 20, "weekly_capacity": 50}


def test_every_listed_scheme_has_an_official_name_and_an_issuer_site_and_no_two_share_a_name() -> None:
    for scheme in CERTIFICATION_SCHEMES.values():
        assert scheme.name and scheme.issuer and scheme.url.startswith("https://")
    names = [key for s in CERTIFICATION_SCHEMES.values() for key in {_key(text) for text in (s.code, s.name, *s.aliases)}]
    assert len(names) == len(set(names)) == len(_SCHEME_NAMES)  # no name or alias points at two schemes
    for code in ("goodweave", "fair-for-life", "sa8000", "amfori-bsci", "lwg", "fairtrade-textile", "fair-trade-usa", "b-corp"):
        assert code in CERTIFICATION_SCHEMES
    assert (
        scheme_code("Fairtrade International"),
        scheme_code("SA 8000"),
        scheme_code("gots"),
        scheme_code("Fair Trade USA"),
    ) == ("fairtrade", "sa8000", "gots", "fair-trade-usa")


def test_an_unknown_scheme_is_imported_as_a_named_claim_instead_of_rejecting_the_group(session: Session) -> None:
    document = [
        {
            "external_ref": "ET-LEATHER",
            "name": "Addis Tannery Collective",
            "country": "ET",
            "capabilities": [CAPABILITY],
            "certifications": [
                "Leather Working Group",
                "GoodWeave",
                "Ethiopian Leather Industry Development Institute mark",
                {"scheme": "SA 8000", "reference": "SA-77", "valid_until": "2027-06-30"},
            ],
        }
    ]

    report = import_groups(session, read_json(json.dumps(document)))

    assert report.errors == [] and report.created == 1
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "ET-LEATHER"))
    assert sorted((c.scheme, c.name, c.verified) for c in group.certifications) == [
        ("goodweave", "", False),
        ("lwg", "", False),
        ("other", "Ethiopian Leather Industry Development Institute mark", False),
        ("sa8000", "", False),
    ]
    again = import_groups(session, read_json(json.dumps(document)))
    assert (again.unchanged, len(group.certifications)) == (1, 4)  # the claim is matched by its name, not duplicated


def test_an_operator_cannot_verify_a_self_declared_claim(session: Session) -> None:
    group = factories.producer_group(session)
    claim = services.add_certification(
        session, group, scheme="other", name="Kenya Bureau of Standards mark", reference="", valid_until=None, evidence=None
    )
    operator = factories.user(session, operator=True)

    with pytest.raises(DomainError, match="self-declared"):
        services.verify_certification(session, operator, claim.id, verified=True, note="looked it up")
    assert claim.verified is False and claim.self_declared and claim.title == "Kenya Bureau of Standards mark"


def test_an_other_claim_needs_a_name_and_a_listed_scheme_is_not_taken_as_other(session: Session) -> None:
    group = factories.producer_group(session)
    with pytest.raises(DomainError, match="Name the certification"):
        services.add_certification(session, group, scheme="other", name=" ", reference="", valid_until=None, evidence=None)
    with pytest.raises(DomainError, match="choose it from the list"):
        services.add_certification(
            session, group, scheme="other", name="fair trade usa", reference="", valid_until=None, evidence=None
        )


def test_the_profile_shows_a_claim_as_self_declared_and_a_scheme_with_its_issuer(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Kisii Carvers")
    factories.capability(session, group)
    services.add_certification(
        session, group, scheme="other", name="Kenya Bureau of Standards mark", reference="", valid_until=None, evidence=None
    )
    services.add_certification(session, group, scheme="goodweave", reference="GW-1", valid_until=None, evidence=None)
    session.flush()

    page = text_of(client.get(f"/groups/{group.slug}"))

    assert 'Kenya Bureau of Standards mark</span> <span class="badge claimed">self-declared · unverified</span>' in page
    assert '<a href="https://goodweave.org/" rel="noopener" translate="no">GoodWeave</a>' in page


def test_a_group_admin_adds_an_other_claim_from_the_form(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    admin = factories.member_of(session, group)
    sign_in(client, admin.user.email)

    response = submit(
        client, "/manage/certifications", {"scheme": "other", "name": "Uganda Export Promotion Board member", "reference": ""}
    )

    assert response.status_code == 302
    claim = session.scalar(select(Certification).where(Certification.group_id == group.id))
    assert (claim.scheme, claim.name, claim.verified) == ("other", "Uganda Export Promotion Board member", False)
    assert "self-declared · unverified" in text_of(client.get("/manage/certifications"))
