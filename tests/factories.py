"""Test data in one place: people, organizations and producer groups with sensible defaults."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Organization, OrganizationKind, Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.db import utcnow
from marketplace.producers.models import Capability, ProducerGroup

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
_numbers = itertools.count(1)


def user(
    session: Session, *, email: str | None = None, name: str = "Test Person", operator: bool = False, confirmed: bool = True
) -> User:
    """A user with the password `factories.PASSWORD`; confirmed (e-mail address) unless told otherwise."""
    person = User(
        email=email or f"person{next(_numbers)}@example.org",
        name=name,
        password_hash=_PASSWORD_HASH,
        is_operator=operator,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    session.add(person)
    session.flush()
    return person


def buyer(session: Session, *, name: str = "Northwind Home", role: Role = Role.OWNER, email: str | None = None) -> Membership:
    organization = Organization(kind=OrganizationKind.BUYER, name=name, country="GB")
    membership = Membership(user=user(session, email=email), organization=organization, role=role)
    session.add(membership)
    session.flush()
    return membership


def producer_group(session: Session, *, name: str | None = None, country: str = "KE", **fields: Any) -> ProducerGroup:
    number = next(_numbers)
    name = name or f"Machakos Sisal Weavers {number}"
    organization = Organization(kind=OrganizationKind.PRODUCER, name=name, country=country)
    group = ProducerGroup(
        organization=organization, name=name, **{"slug": f"group-{number}", "listed": True, **fields}, country=country
    )
    session.add(group)
    session.flush()
    return group


def member_of(session: Session, group: ProducerGroup, *, role: Role = Role.OWNER, email: str | None = None) -> Membership:
    membership = Membership(user=user(session, email=email), organization_id=group.organization_id, role=role)
    session.add(membership)
    session.flush()
    return membership


def capability(session: Session, group: ProducerGroup, **fields: Any) -> Capability:
    values: dict[str, Any] = {
        "category": "baskets.storage",
        "materials": ["sisal"],
        "techniques": ["coiling"],
        "moq": 50,
        "lead_time_days": 21,
        "price_min": Decimal("8.00"),
        "price_max": Decimal("15.00"),
        "currency": "USD",
        "weekly_capacity": 200,
    }
    values.update(fields)
    item = Capability(group=group, **values)
    session.add(item)
    session.flush()
    return item


def accepted_order(
    session: Session,
    group: ProducerGroup,
    buyer: Membership,
    *,
    quantity: int = 400,
    unit_price: str = "9.00",
    currency: str = "USD",
    category: str = "baskets.storage",
) -> Any:
    """A quote of the group's accepted by the buyer through the real service: a confirmed order with its deposit invoice."""
    import datetime as dt

    from marketplace.orders.services import accept_quote
    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus

    today = dt.date.today()
    if not any(c.category == category for c in group.capabilities):
        capability(session, group, category=category, weekly_capacity=500, lead_time_days=0, moq=1)
        session.refresh(group)
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title=f"{quantity} units from {group.name}",
        category=category,
        quantity=quantity,
        currency=currency,
        needed_by=today + dt.timedelta(weeks=12),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal(unit_price),
        currency=currency,
        quantity=quantity,
        lead_time_days=20,
        valid_until=today + dt.timedelta(days=10),
        status=QuoteStatus.SUBMITTED,
    )
    session.add_all([rfq, quote])
    session.flush()
    return accept_quote(session, buyer, quote.id, today=today, deposit_percent=50, base_url="https://loom.test")
