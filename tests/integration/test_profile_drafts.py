"""A buyer adds a group to a draft from its profile with a real button (a POST, no JavaScript needed), once."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.sourcing.models import Rfq, RfqRecipient
from tests import factories
from tests.integration.test_flows_web import _rfq_fields
from tests.web import sign_in, submit, text_of


def test_the_profiles_add_to_draft_is_a_button_that_adds_the_group_once(client: FlaskClient, session: Session) -> None:
    buyer = factories.buyer(session, role=Role.OWNER)
    group = factories.producer_group(session, name="Machakos Weavers")
    factories.capability(session, group)
    session.commit()
    sign_in(client, buyer.user.email)
    assert submit(client, "/rfqs/new", _rfq_fields(title="Spring baskets", draft="1")).status_code == 302
    draft = session.scalar(select(Rfq).where(Rfq.title == "Spring baskets"))
    profile = f"/groups/{group.slug}"

    page = text_of(client.get(profile))
    assert '<form method="post" action="/rfqs/drafts/groups">' in page
    assert f'<button type="submit" name="target" value="{draft.id}:{group.slug}"' in page
    assert f"/rfqs/{draft.id}/edit" not in page  # no longer a link that only opens the draft

    for _ in range(2):  # pressed twice (or the post reloaded): the group is in the draft once
        answer = submit(client, profile, {"target": f"{draft.id}:{group.slug}", "next": profile}, action="/rfqs/drafts/groups")
        assert answer.status_code == 303 and answer.headers["Location"] == profile
    assert session.scalars(select(RfqRecipient.group_id).where(RfqRecipient.rfq_id == draft.id)).all() == [group.id]
    page = text_of(client.get(profile))
    assert 'In your draft “<span dir="auto">Spring baskets</span>” ✓' in page and "is already in your draft" in page
    assert f'value="{draft.id}:{group.slug}"' not in page
