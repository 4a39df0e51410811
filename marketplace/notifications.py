"""Telling an organization's people that something needs them, by e-mail through the outbox."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.outbox import topics
from marketplace.outbox.services import enqueue


def notify(session: Session, organization_id: int, *, subject: str, body: str, link: str) -> int:
    """E-mail the organization's owners and admins; return how many e-mails were queued."""
    people = session.scalars(
        select(User)
        .join(Membership)
        .where(Membership.organization_id == organization_id, Membership.role.in_([Role.OWNER, Role.ADMIN]))
        .order_by(User.id)
    ).all()
    for person in people:
        enqueue(
            session,
            topics.SEND_MAIL,
            person.email,
            {"to": person.email, "subject": subject, "body": f"Hello {person.name},\n\n{body}\n\n{link}\n\n— Loom"},
        )
    return len(people)
