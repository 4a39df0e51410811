"""A group's link to its Odoo (`ErpLink`): saved with the outcome of its connection check, looked up by group."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.connection import PROTOCOLS, ConnectionCheck
from erp_connector.models import ErpLink
from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_role
from marketplace.db import use_case, utcnow
from marketplace.errors import DomainError
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox


@use_case
def save_link(
    session: Session,
    membership: Membership | None,
    group: ProducerGroup,
    *,
    url: str,
    database: str,
    login: str,
    api_key: str,
    protocol: str,
    check: ConnectionCheck,
    box: SecretBox,
) -> ErpLink:
    """Save the group's Odoo connection (the API key sealed with `box`) with the outcome of its `check`; return the link.

    An empty `api_key` keeps the one saved before. Raises Forbidden below admin, DomainError for a protocol not in PROTOCOLS.
    """
    require_role(membership, Role.ADMIN)
    if protocol not in PROTOCOLS:
        raise DomainError(_("Choose a protocol from the list."), field="protocol")
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id)) or ErpLink(group_id=group.id)
    link.url, link.database, link.login, link.protocol = url.rstrip("/"), database, login, protocol
    if api_key:
        link.api_key_encrypted = box.seal(api_key)
    link.status = "connected" if check.ok else "failing"
    link.server_version = check.server_version
    link.last_error = None if check.ok else check.message
    link.checked_at = utcnow()
    session.add(link)
    session.flush()
    return link


@use_case
def record_check(session: Session, membership: Membership | None, group: ProducerGroup, check: ConnectionCheck) -> ErpLink:
    """Keep the result of testing the saved connection again.

    Raises `DomainError` when the group has no saved connection, Forbidden below admin.
    """
    require_role(membership, Role.ADMIN)
    link = link_of(session, group.id)
    if link is None:
        raise DomainError(_("Connect your Odoo first."))
    link.status = "connected" if check.ok else "failing"
    link.server_version = check.server_version or link.server_version
    link.last_error = None if check.ok else check.message
    link.checked_at = utcnow()
    return link


def link_of(session: Session, group_id: int) -> ErpLink | None:
    """Return the group's Odoo link, or None when it connected none."""
    return session.scalar(select(ErpLink).where(ErpLink.group_id == group_id))
