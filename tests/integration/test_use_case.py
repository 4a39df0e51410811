"""`marketplace.db.use_case`: a service owns its transaction on the session it is given, and claims a form's token in it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.db import has_committed, use_case
from marketplace.errors import Conflict
from marketplace.submissions.models import Submission
from marketplace.submissions.services import Claim, OneTimeSubmission
from tests import factories


def _name(session: Session, user_id: int) -> str:
    return session.scalar(select(func.max(Submission.token)).where(Submission.user_id == user_id)) or ""


@use_case
def _rename(session: Session, user_id: int, name: str, *, fail: bool = False) -> str:
    session.add(Submission(token=f"{name}-{user_id}", user_id=user_id))
    session.flush()
    if fail:
        raise Conflict("refused")
    return name


@use_case
def _rename_twice(session: Session, user_id: int) -> None:
    _rename(session, user_id, "a")
    _rename(session, user_id, "b")
    raise Conflict("refused after both")


def test_a_use_case_commits_on_the_session_it_is_given_and_rolls_back_only_its_own_work(session: Session) -> None:
    person = factories.user(session)
    assert _rename(session, person.id, "first") == "first"
    assert has_committed(session)
    latecomer = factories.user(session)  # the test's own setting up, flushed after that commit and before the failing use case
    with pytest.raises(Conflict):
        _rename(session, latecomer.id, "second", fail=True)
    assert _name(session, person.id) == f"first-{person.id}" and _name(session, latecomer.id) == ""  # the failed one left nothing
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.id == latecomer.id)) == 1
    )  # but the latecomer is there


def test_a_use_case_called_from_another_joins_its_transaction(session: Session) -> None:
    person = factories.user(session)
    with pytest.raises(Conflict):
        _rename_twice(session, person.id)
    assert _name(session, person.id) == ""  # had the inner ones committed on their own, "a" and "b" would remain


def test_a_repeated_submission_gets_the_first_answer_and_runs_nothing(session: Session) -> None:
    person = factories.user(session)
    first = OneTimeSubmission("token-1", person.id, lambda name: f"/made/{name}")
    assert _rename(session, person.id, "x", submission=first) == "x"
    again = _rename(session, person.id, "y", submission=OneTimeSubmission("token-1", person.id, "/unused"))
    assert isinstance(again, Claim) and again.repeated and again.earlier_url == "/made/x"
    assert session.scalar(select(func.count()).select_from(Submission).where(Submission.token == f"y-{person.id}")) == 0


def test_someone_elses_token_is_refused_and_the_use_case_does_not_run(session: Session) -> None:
    owner, other = factories.user(session), factories.user(session)
    _rename(session, owner.id, "x", submission=OneTimeSubmission("token-2", owner.id, "/made"))
    with pytest.raises(Conflict):
        _rename(session, other.id, "y", submission=OneTimeSubmission("token-2", other.id, "/made"))
    assert _name(session, other.id) == ""
