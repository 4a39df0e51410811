"""Telling an organization's people that something needs them, by e-mail through the outbox, each in their own language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Organization, Role, User
from marketplace.i18n import DEFAULT_LOCALE, supported
from marketplace.outbox import topics
from marketplace.outbox.services import enqueue


def notify(session: Session, organization_id: int, *, subject: object, body: object, link: str) -> int:
    """E-mail the organization's owners and admins; return how many e-mails were queued.

    `subject` and `body` are lazy messages (`lazy_gettext` with their values; `marketplace.i18n.lazy_money`
    and `lazy_date` for values written differently by place): each e-mail is written in its recipient's
    language (their choice, else the organization's default, else English), not in the sender's.
    """
    # The organization's default language comes with the people, in the same statement.
    people = session.execute(
        select(User, Organization.locale)
        .join(Membership, Membership.user_id == User.id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.organization_id == organization_id, Membership.role.in_([Role.OWNER, Role.ADMIN]))
        .order_by(User.id)
    ).all()
    for person, organization_locale in people:
        with force_locale(supported(person.locale) or supported(organization_locale) or DEFAULT_LOCALE):
            greeting = _("Hello %(name)s,", name=person.name)
            payload = {"to": person.email, "subject": str(subject), "body": f"{greeting}\n\n{body}\n\n{link}\n\n— Loom"}
        enqueue(session, topics.SEND_MAIL, person.email, payload)
    return len(people)
