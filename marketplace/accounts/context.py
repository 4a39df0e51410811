"""Who is acting: the signed-in user and the organization they are working for right now."""

from __future__ import annotations

import datetime as dt

from flask import g, session
from flask_login import current_user

from marketplace.accounts import services
from marketplace.accounts.models import Membership, User
from marketplace.db import db, utcnow

ORGANIZATION_KEY = "organization_id"


def load_user(user_id: str) -> User | None:
    """Load the signed-in user named by the cookie's "<id>:<stamp>" (Flask-Login's loader).

    None when malformed or signed out since.
    """
    identifier, _, stamp = user_id.partition(":")
    if not identifier.isdigit():
        return None
    return services.load_user(db.session, int(identifier), stamp)


def current_membership() -> Membership | None:
    """The signed-in user's membership in the organization chosen in their session (or their first)."""
    if not current_user.is_authenticated:
        return None
    if "loom_membership" not in g:
        g.loom_membership = services.membership_of(db.session, current_user, session.get(ORGANIZATION_KEY))
    return g.loom_membership


def switch_organization(organization_id: int) -> Membership | None:
    """Make `organization_id` the browser session's current organization.

    Return the membership, or None when the user has none there.
    """
    membership = services.membership_of(db.session, current_user, organization_id)
    if membership is not None and membership.organization_id == organization_id:
        session[ORGANIZATION_KEY] = organization_id
        g.loom_membership = membership
        return membership
    return None


def today() -> dt.date:
    """Today's date in the calendar of the signed-in person's organization (UTC for visitors): the 'today' views pass on."""
    membership = current_membership()
    return membership.organization.today() if membership is not None else utcnow().date()
