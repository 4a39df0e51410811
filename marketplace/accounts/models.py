"""Organizations (buyers and producer groups), their users and memberships."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.clock import default_time_zone, today_in
from marketplace.db import Base, created_at, intpk, str_enum


class OrganizationKind(enum.StrEnum):
    BUYER = "buyer"
    PRODUCER = "producer"


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[intpk]
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, "organization_kind"))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    # An IANA zone the organization chose; None means its country's (marketplace.clock.default_time_zone).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # The language its people read by default (a shipped locale such as "sw"); None: each browser's.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[created_at]

    memberships: Mapped[list[Membership]] = relationship(back_populates="organization", cascade="all, delete-orphan")

    @property
    def zone(self) -> str:
        """The IANA time zone whose calendar this organization's business dates follow."""
        return self.time_zone or default_time_zone(self.country)

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """Today's date where the organization is."""
        return today_in(self.zone, now=now)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(default=False)
    # Part of every session's user id: raised when the user signs out or changes the password, it ends every
    # session signed with the old value, even one whose cookie was copied.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language the person chose for pages and e-mails (a shipped locale such as "es"); None: the organization's.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]
    # When the user opened the link e-mailed to this address (or accepted an invitation sent to it); until then
    # they may look around but not list, quote, send requests, buy or be paid (accounts.services.require_confirmed).
    email_confirmed_at: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login's user protocol
    is_active = True
    is_authenticated = True
    is_anonymous = False

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "membership_role"))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class Invitation(Base):
    """A teammate invited by e-mail; the link carries a token whose hash is stored here."""

    __tablename__ = "invitation"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "invitation_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship()


class LoginAttempt(Base):
    """Failed sign-ins, kept to slow down password guessing across processes."""

    __tablename__ = "login_attempt"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[created_at]
