"""Form fields render no empty ARIA attributes and no id twice on a page (review of issue 14)."""

from __future__ import annotations

import re
from collections import Counter

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from tests import factories
from tests.web import sign_in, text_of


def _duplicate_ids(page: str) -> list[str]:
    """Ids given twice on a page: of fields (hidden ones too, such as every form's csrf_token) and their help/error texts."""
    return [i for i, n in Counter(re.findall(r'\bid="([^"]+)"', page)).items() if n > 1]


def test_the_capacity_inputs_and_the_payouts_forms_have_no_empty_attributes_and_unique_ids(
    client: FlaskClient, session: Session
) -> None:
    group = factories.producer_group(session)
    capability = factories.capability(session, group)
    owner = factories.member_of(session, group, role=Role.OWNER)  # owners see both payout forms
    session.commit()
    sign_in(client, owner.user.email)
    capacity = text_of(client.get(f"/manage/capabilities/{capability.id}/capacity"))
    payouts = text_of(client.get("/manage/payouts"))
    for page in (capacity, payouts):
        assert '="None"' not in page
        assert _duplicate_ids(page) == []
    assert capacity.count('class="units"') >= 8 and 'id="account_name"' in payouts and 'id="collecting-number"' in payouts
