"""Create, list, revoke and check API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Organization, Role
from marketplace.accounts.services import require_role
from marketplace.api.models import ApiToken
from marketplace.db import use_case, utcnow
from marketplace.errors import DomainError, NotFound

PREFIX = "loom_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@use_case
def create_token(session: Session, membership: Membership | None, name: str) -> tuple[ApiToken, str]:
    """Create a token for the membership's organization (admins only); return it and its secret, shown once.

    Raises `Forbidden` for a plain member, `DomainError` for an empty name.
    """
    if membership is None:
        raise NotFound(_("Sign in as a member of an organization."))
    require_role(membership, Role.ADMIN)
    name = name.strip()
    if not name:
        raise DomainError(_("Name the token after the program that will use it."), field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=membership.organization_id, name=name[:100], token_hash=_digest(secret), created_by_id=membership.user_id
    )
    session.add(token)
    session.flush()
    return token, secret


def tokens_of(session: Session, membership: Membership) -> list[ApiToken]:
    """Return the organization's tokens, newest first, revoked ones included."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.organization_id == membership.organization_id).order_by(ApiToken.id.desc())
        )
    )


@use_case
def revoke_token(session: Session, membership: Membership | None, token_id: int) -> None:
    """Revoke one of the organization's tokens (admins only); `NotFound` for another organization's."""
    if membership is None:
        raise NotFound(_("No such token."))
    require_role(membership, Role.ADMIN)
    token = session.get(ApiToken, token_id)
    if token is None or token.organization_id != membership.organization_id:
        raise NotFound(_("No such token."))
    token.revoked_at = token.revoked_at or utcnow()


def organization_for(session: Session, authorization: str | None) -> Organization | None:
    """Return the organization whose live token is in an `Authorization: Bearer …` header, else None."""
    scheme, __, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret.strip()), ApiToken.revoked_at.is_(None)))
    return token.organization if token else None
