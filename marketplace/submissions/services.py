"""Claim a creating form's one-time token inside the use case's transaction.

A page that creates something (an RFQ, a message, a quote, a progress update, an invitation…) carries
a hidden random token. The use case claims it in the same transaction as what it creates, and records
where the result is shown. A second post of the same page — a double tap, a resent form after a lost
answer, the back button — finds the token taken and is shown the first result; nothing is created
twice. On PostgreSQL a concurrent second post waits on the token's key until the first commits (or
rolls back, in which case it goes ahead); on SQLite the write lock already orders them. Files the
repeated post uploaded (staged with `marketplace.db.stage`) are removed: the first post's are the ones kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.db import discard_staged
from marketplace.errors import Conflict
from marketplace.submissions.models import Submission

TOKEN_BYTES = 24


def new_token() -> str:
    """Return a fresh one-time token for a form (URL-safe text, 32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass
class Claim:
    """This post's hold on its token: `earlier_url` is set when an earlier post already used it."""

    submission: Submission | None
    earlier_url: str | None = None

    @property
    def repeated(self) -> bool:
        """Tell whether an earlier post already used the token (then nothing is to be created)."""
        return self.earlier_url is not None

    def done(self, result_url: str) -> None:
        """Record where the result of this (first) submission is shown; a repeat will be sent there."""
        if self.submission is not None:
            self.submission.result_url = result_url[:500]


def claim(session: Session, token: str | None, *, user_id: int) -> Claim:
    """Take `token` for this transaction, or find the submission that took it first.

    A post without a token (a client that is not a Loom page) is not deduplicated. A token is only
    ever honoured for the person it was used by; anyone else's reuse is refused with `Conflict`.
    """
    token = (token or "").strip()[:64]
    if not token:
        return Claim(None)
    earlier = session.get(Submission, token, populate_existing=True)
    if earlier is None:
        submission = Submission(token=token, user_id=user_id)
        try:
            with session.begin_nested():
                session.add(submission)
                session.flush()  # on PostgreSQL this waits for a concurrent post of the same token
        except IntegrityError:
            earlier = session.scalar(
                select(Submission).where(Submission.token == token).execution_options(populate_existing=True)
            )
            if earlier is None:
                raise
        else:
            return Claim(submission)
    if earlier.user_id != user_id:
        raise Conflict(_("This form was already sent by someone else. Reload the page and fill it in again."))
    discard_staged(session)  # what this repeat uploaded: the first post stored its own
    return Claim(None, earlier_url=earlier.result_url or "/")


@dataclass
class OneTimeSubmission:
    """A post's one-time token for a use case to claim (`marketplace.db.use_case(..., submission=)`).

    `result_url` is where the result is shown: a URL, or a function of what the use case returned
    (the RFQ it created → that RFQ's page). Built by `marketplace.forms.one_time` from a `OneTimeForm`.
    """

    token: str | None
    user_id: int
    result_url: str | Callable[[Any], str]
    claimed: Claim | None = field(default=None, init=False)

    def claim(self, session: Session) -> Claim | None:
        """Take the token in the use case's transaction; return the earlier post's `Claim` when it was used already.

        Raises `Conflict` when someone else used the token (see `claim`).
        """
        self.claimed = claim(session, self.token, user_id=self.user_id)
        return self.claimed if self.claimed.repeated else None

    def done(self, result: Any) -> None:
        """Record where `result` is shown, so a repeat of this post is sent there."""
        if self.claimed is not None:
            self.claimed.done(self.result_url(result) if callable(self.result_url) else self.result_url)
