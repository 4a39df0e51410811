"""The operator's desk lists certifications by review time, newest first (review of issue 14)."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.producers.models import Certification
from tests import factories
from tests.web import sign_in, text_of


def test_an_old_certification_just_reviewed_is_listed_first_to_undo(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    now = utcnow()
    certs = [
        Certification(
            group=group, scheme="OTHER", name=f"Claim {n:02d}", verified=True, verified_at=now - dt.timedelta(days=30 - n)
        )
        for n in range(25)
    ]
    session.add_all(certs)
    session.flush()
    certs[0].verified_at = now  # the oldest row, reviewed just now
    operator = factories.user(session, operator=True)
    session.commit()
    sign_in(client, operator.email)
    page = text_of(client.get("/operator/"))
    reviewed = page[page.index("Recently reviewed") :]
    assert "Claim 00" in reviewed and reviewed.index("Claim 00") < reviewed.index("Claim 24")
