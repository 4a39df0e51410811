"""Sign-up, sign-in, teammates and passwords. Services take plain values and own no request state."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import secrets
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, delete, func, inspect, select
from sqlalchemy.orm import Session, joinedload

from marketplace.accounts.models import Invitation, LoginAttempt, Membership, Organization, OrganizationKind, Role, User
from marketplace.accounts.passwords import hash_password, needs_rehash, verify_password
from marketplace.db import use_case, utcnow
from marketplace.errors import Conflict, Forbidden, NotFound, TooManyRequests
from marketplace.i18n import label, recipient_locale
from marketplace.outbox import topics
from marketplace.outbox.events import AddressConfirmed, OrganizationSignedUp, publish
from marketplace.outbox.services import enqueue


def normalize_email(email: str) -> str:
    """Return `email` as accounts are keyed by it: surrounding spaces removed, lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True)
class LoginPolicy:
    """How sign-in guessing is slowed down.

    Failures are counted per account *and* address, so a stranger's guesses never lock the owner out:
    after `max_failures` the next attempt must wait `first_delay`, then twice as long each time, up to
    `window`. One address failing on `max_failures_per_address` accounts in a `window` waits it out.
    """

    max_failures: int = 5
    max_failures_per_address: int = 30
    window: dt.timedelta = dt.timedelta(minutes=15)
    first_delay: dt.timedelta = dt.timedelta(seconds=30)


def sign_up(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    organization_name: str,
    kind: OrganizationKind,
    country: str,
    secret_key: str,
    base_url: str,
    ttl_seconds: int,
    locale: str | None = None,
) -> User | None:
    """Create a user, their organization (a buyer or a producer group) and make them its owner; e-mail a confirmation link.

    Publishes `organization.signed_up` (producers opens a producer organization's group page). `country`
    is an ISO 3166-1 alpha-2 code. Returns the new user, still unconfirmed, or None when the address
    already has an account: its owner is e-mailed instead ("someone tried to sign up with your address").
    Both ways cost one password hash and one e-mail, so neither the answer nor its timing tells a
    stranger which addresses have accounts. `locale` (a shipped locale code, such as "sw") becomes the
    person's language: the confirmation e-mail and every later page and e-mail use it.

    The password is hashed before the use case's write transaction opens: argon2 takes a good fraction
    of a second on purpose, and a write transaction holds SQLite's one write lock (and PostgreSQL's row
    locks) until it ends.
    """
    password_hash = hash_password(password)  # on both paths: the hash is what makes the time
    return _sign_up(
        session,
        email=normalize_email(email),
        name=name,
        password_hash=password_hash,
        organization_name=organization_name,
        kind=kind,
        country=country,
        secret_key=secret_key,
        base_url=base_url,
        ttl_seconds=ttl_seconds,
        locale=locale,
    )


@use_case
def _sign_up(
    session: Session,
    *,
    email: str,
    name: str,
    password_hash: str,
    organization_name: str,
    kind: OrganizationKind,
    country: str,
    secret_key: str,
    base_url: str,
    ttl_seconds: int,
    locale: str | None,
) -> User | None:
    owner = session.scalar(select(User).where(User.email == email))
    if owner is not None:
        with force_locale(recipient_locale(owner)):  # written in the owner's language, not the stranger's
            _mail_sign_up_attempt(session, owner, base_url=base_url)
        return None
    user = User(email=email, name=name.strip(), password_hash=password_hash, locale=locale)
    organization = Organization(kind=kind, name=organization_name.strip(), country=country)
    session.add_all([user, organization, Membership(user=user, organization=organization, role=Role.OWNER)])
    publish(session, OrganizationSignedUp(organization))
    session.flush()
    send_confirmation(session, user, secret_key=secret_key, base_url=base_url, ttl_seconds=ttl_seconds)
    return user


def _mail_sign_up_attempt(session: Session, owner: User, *, base_url: str) -> None:
    base = base_url.rstrip("/")
    enqueue(
        session,
        topics.SEND_MAIL,
        owner.email,
        {
            "to": owner.email,
            "subject": _("Someone tried to sign up to Loom with your address"),
            "body": _(
                "Hello %(name)s,\n\nSomeone tried to open a new Loom account with this e-mail address, which "
                "already has one. If it was you, sign in instead:\n"
                "%(login)s\n\nForgot your password? Set a new one here:\n%(forgot)s\n\n"
                "If it was not you, ignore this e-mail: nothing was changed.",
                name=owner.name,
                login=f"{base}/login",
                forgot=f"{base}/password/forgot",
            ),
        },
    )


# ----- confirming the e-mail address -------------------------------------------------------------


def _confirmation_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="loom.email-confirmation")


def _address_stamp(email: str) -> str:
    # The link confirms this address only: after a change of address an old link is refused.
    return hashlib.sha256(f"loom.confirm:{email}".encode()).hexdigest()[:16]


@use_case
def send_confirmation(session: Session, user: User, *, secret_key: str, base_url: str, ttl_seconds: int) -> None:
    """E-mail the user a signed link that confirms their address; raises Conflict if it is already confirmed."""
    if user.email_confirmed:
        raise Conflict(_("Your e-mail address is already confirmed."))
    token = _confirmation_serializer(secret_key).dumps({"user": user.id, "email": _address_stamp(user.email)})
    link = f"{base_url.rstrip('/')}/email/confirm/{token}"
    hours = max(1, ttl_seconds // 3600)
    enqueue(
        session,
        topics.SEND_MAIL,
        user.email,
        {
            "to": user.email,
            "subject": _("Confirm your e-mail address for Loom"),
            "body": _(
                "Hello %(name)s,\n\nConfirm that this is your address by opening this link:\n%(link)s\n\n"
                "The link works for %(hours)s hours and only once. Until you confirm, you can look around Loom "
                "but not list, quote, send requests, buy or be paid.\n\n"
                "If you did not sign up to Loom, ignore this e-mail.",
                name=user.name,
                link=link,
                hours=hours,
            ),
        },
    )


@use_case
def confirm_email(session: Session, *, token: str, secret_key: str, ttl_seconds: int, now: dt.datetime | None = None) -> User:
    """Confirm the address a confirmation link was sent to; return its user.

    Raises NotFound for a link that is not ours (or for an address changed since), Conflict for an
    expired link or one already used (each link confirms once).
    """
    try:
        claims = _confirmation_serializer(secret_key).loads(token, max_age=ttl_seconds)
    except SignatureExpired:
        raise Conflict(_("This confirmation link has expired. Sign in and ask for a new one.")) from None
    except BadSignature:
        raise NotFound(_("This confirmation link is not valid. Sign in and ask for a new one.")) from None
    user = session.get(User, claims.get("user")) if isinstance(claims, dict) and isinstance(claims.get("user"), int) else None
    if user is None or claims.get("email") != _address_stamp(user.email):
        raise NotFound(_("This confirmation link is not valid. Sign in and ask for a new one."))
    if user.email_confirmed:
        raise Conflict(_("This confirmation link was already used: your address is confirmed. Sign in to continue."))
    mark_confirmed(session, user, now=now)
    return user


def mark_confirmed(session: Session, user: User, *, now: dt.datetime | None = None) -> None:
    """Record that `user` holds their address (if not already) and publish `AddressConfirmed`.

    Every way an address is proved goes through here, so what waits for a proved address (a new producer
    group's public listing) follows at once, in the same transaction.
    """
    user.email_confirmed_at = user.email_confirmed_at or now or utcnow()
    session.flush()
    publish(session, AddressConfirmed(user))


def require_confirmed(membership: Membership | None) -> Membership:
    """Refuse (Forbidden) an action of a user whose e-mail address is not confirmed yet.

    Listing, quoting, sending requests, buying and being paid all go through here, so nobody trades
    under an address they do not hold.
    """
    if membership is None:
        raise Forbidden(_("Sign in as a member of an organization."))
    if not membership.user.email_confirmed:
        raise Forbidden(
            _(
                "Confirm your e-mail address first: open the link we sent to %(email)s, "
                "or ask for a new one from the banner at the top of the page.",
                email=membership.user.email,
            )
        )
    return membership


@use_case
def record_sign_in_attempt(session: Session, *, email: str, remote_addr: str, now: dt.datetime | None = None) -> int:
    """Record a sign-in attempt before its password is checked; return its id.

    The caller commits this before calling `authenticate`: every attempt, even one of many sent at
    once, is then seen by the others' count, so parallel guesses cannot all slip under the limit.
    """
    attempt = LoginAttempt(email=normalize_email(email)[:254], remote_addr=remote_addr[:64], attempted_at=now or utcnow())
    session.add(attempt)
    session.flush()
    return attempt.id


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    remote_addr: str,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> User | None:
    """Sign in with e-mail and password: the user, or None for wrong credentials (counted as a failure).

    Runs several short use cases of its own on `session`, each committed: the attempt is committed before
    the password is checked, so guesses sent at once all see each other; an attempt refused for being too
    soon is then forgotten, so waiting is all it takes. Raises TooManyRequests with the wait in seconds.
    The password is checked (and rehashed) outside every transaction: argon2 takes a good fraction of
    a second on purpose, and on SQLite a write transaction holds the database's one write lock.
    """
    attempt_id = record_sign_in_attempt(session, email=email, remote_addr=remote_addr, now=now)
    try:
        user = admit(session, attempt_id=attempt_id, policy=policy, now=now)
    except TooManyRequests:
        forget_sign_in_attempt(session, attempt_id)
        raise
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    rehashed = hash_password(password) if needs_rehash(user.password_hash) else None
    return record_sign_in(session, user_id=user.id, attempt_id=attempt_id, now=now, password_hash=rehashed)


def make_operator(session: Session, *, email: str, name: str, password: str) -> User:
    """Make the account with `email` an operator, creating it (with `name` and `password`) when there is none.

    The address counts as confirmed: the person running the command vouches for it. The password is
    hashed before the write transaction opens (argon2 is slow on purpose).
    """
    return _make_operator(session, email=email, name=name, password_hash=hash_password(password))


@use_case
def _make_operator(session: Session, *, email: str, name: str, password_hash: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        user = User(email=normalize_email(email), name=name, password_hash=password_hash)
        session.add(user)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.is_operator = True
    return user


@use_case
def forget_sign_in_attempt(session: Session, attempt_id: int) -> None:
    """Delete the sign-in attempt `attempt_id` (one refused as too soon does not count against the person)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))


def _refuse(seconds: float) -> TooManyRequests:
    wait = max(1, math.ceil(seconds))
    words = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
    return TooManyRequests(_("Too many failed sign-ins. Wait %(words)s, or reset your password.", words=words), retry_after=wait)


@use_case
def admit(session: Session, *, attempt_id: int, policy: LoginPolicy, now: dt.datetime | None = None) -> User | None:
    """Let a recorded attempt have its password checked: return the account it names, or None if there is none.

    Raises TooManyRequests while this account has failed too often from this attempt's address
    (growing delays), or the address too often on any account. The caller checks the password
    (`verify_password`) after the transaction; until it succeeds the attempt counts as a failure.
    """
    now = now or utcnow()
    attempt = session.get(LoginAttempt, attempt_id)
    if attempt is None:
        raise NotFound(_("That sign-in attempt is unknown."))
    email, remote_addr = attempt.email, attempt.remote_addr
    # Only attempts recorded before this one count: when many arrive at once, the first ones in order are let
    # through and the rest refused, whatever order their checks run in (counting later ones could refuse them all).
    others = select(LoginAttempt).where(LoginAttempt.attempted_at > now - policy.window, LoginAttempt.id < attempt_id)
    earlier = session.scalars(
        others.where(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr).order_by(
            LoginAttempt.attempted_at.desc()
        )
    ).all()
    if len(earlier) >= policy.max_failures:
        delay = min(policy.first_delay * 2 ** min(len(earlier) - policy.max_failures, 32), policy.window)
        wait = (earlier[0].attempted_at + delay - now).total_seconds()
        if wait > 0:
            raise _refuse(wait)
    by_address = (
        session.scalar(select(func.count()).select_from(others.where(LoginAttempt.remote_addr == remote_addr).subquery())) or 0
    )
    if by_address >= policy.max_failures_per_address:
        raise _refuse(policy.window.total_seconds())
    return session.scalar(select(User).where(User.email == email))


@use_case
def record_sign_in(
    session: Session, *, user_id: int, attempt_id: int, now: dt.datetime | None = None, password_hash: str | None = None
) -> User:
    """Record a checked password: the failures from the attempt's address are forgotten, the time noted (and a rehash kept).

    Raises `NotFound` when the attempt is unknown.
    """
    user = session.get(User, user_id, populate_existing=True)
    attempt = session.get(LoginAttempt, attempt_id)
    if user is None or attempt is None:
        raise NotFound(_("That sign-in attempt is unknown."))
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == attempt.email, LoginAttempt.remote_addr == attempt.remote_addr)
    )
    user.last_login_at = now or utcnow()
    if password_hash is not None:
        user.password_hash = password_hash
    return user


def load_user(session: Session, user_id: int, session_version: str) -> User | None:
    """The user a session names, if the session is still current (its version is the user's)."""
    user = session.scalars(_user_with_memberships(), {"user_id": user_id}).unique().one_or_none()
    if user is None or str(user.session_version) != session_version:
        return None
    return user


@use_case
def end_sessions(session: Session, user: User) -> None:
    """End every session of the user, on every device (sign-out, a new password)."""
    user.session_version = User.session_version + 1


def _password_stamp(user: User) -> str:
    # Changes with the password, so a reset link works once; a digest, so the link shows nothing of the hash.
    return hashlib.sha256(f"loom.reset:{user.password_hash}".encode()).hexdigest()[:16]


@functools.cache
def _user_with_memberships() -> Select[tuple[User]]:
    """The statement of a signed-in request's user (`user_id`), with their memberships and organizations: one statement,
    not three (issue 19), built once: a statement built for each request cost that request its building and its cache key.

    Built on first use, not at import: building it configures the mappers, which needs every model imported.
    """
    return (
        select(User)
        .where(User.id == bindparam("user_id"))
        .options(joinedload(User.memberships).joinedload(Membership.organization))
    )


def membership_of(session: Session, user: User, organization_id: int | None) -> Membership | None:
    """The user's membership in that organization, or their first one; None if they have none.

    Chosen among the user's memberships when they are loaded already (`load_user`), without a statement.
    """
    if "memberships" in inspect(user).dict:
        memberships = sorted(user.memberships, key=lambda m: m.id)
        chosen = next((m for m in memberships if m.organization_id == organization_id), None)
        return chosen or (memberships[0] if memberships else None)
    query = (
        select(Membership)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
        .options(joinedload(Membership.organization))
    )
    if organization_id is not None:
        chosen = session.scalar(query.where(Membership.organization_id == organization_id))
        if chosen is not None:
            return chosen
    return session.scalar(query.limit(1))


def require_role(membership: Membership | None, role: Role) -> Membership:
    """Return `membership` if it holds `role` or a higher one; raise Forbidden otherwise (or when there is none)."""
    if membership is None or not membership.role.at_least(role):
        raise Forbidden(
            _("Only an organization %(role)s or above can do this. Ask an owner to change your role.", role=role.value)
        )
    return membership


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@use_case
def invite(
    session: Session, *, inviter: Membership, email: str, role: Role, base_url: str, ttl: dt.timedelta
) -> tuple[Invitation, str]:
    """Invite someone into the inviter's organization and e-mail them a link; return the link too.

    `ttl` is how long the link works. Raises `Forbidden` (field `role`: only an owner invites an owner) or `Conflict` (field
    `email`: already a member).
    """
    require_role(inviter, Role.ADMIN)
    if role == Role.OWNER and inviter.role != Role.OWNER:
        raise Forbidden(_("Only an owner can invite another owner."), field="role")
    email = normalize_email(email)
    already = session.scalar(
        select(Membership.id).join(User).where(Membership.organization_id == inviter.organization_id, User.email == email)
    )
    if already is not None:
        raise Conflict(_("This person is already on your team."), field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=inviter.organization_id,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by_id=inviter.user_id,
        expires_at=utcnow() + ttl,
    )
    session.add(invitation)
    link = f"{base_url.rstrip('/')}/invitations/{token}"
    organization = inviter.organization
    # The invited person has no account yet: write in the organization's language (else English).
    with force_locale(recipient_locale(None, organization)):
        mail = {
            "to": email,
            "subject": _(
                "%(person)s invited you to %(organization)s on Loom", person=inviter.user.name, organization=organization.name
            ),
            "body": "\n\n".join(
                (
                    _(
                        "%(person)s invited you to join %(organization)s on Loom as %(role)s.",
                        person=inviter.user.name,
                        organization=organization.name,
                        role=label(role),
                    ),
                    _("Accept the invitation: %(link)s", link=link),
                    _("The link works for %(days)s days. If you did not expect it, ignore this e-mail.", days=ttl.days),
                )
            ),
        }
    enqueue(session, topics.SEND_MAIL, email, mail)
    session.flush()
    return invitation, link


def open_invitation(session: Session, token: str, *, now: dt.datetime | None = None) -> Invitation:
    """Return the invitation the link's `token` opens (`now`: an aware UTC time, default the present).

    Raises NotFound for an unknown or revoked token, Conflict for one already accepted or expired.
    """
    now = now or utcnow()
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(_("This invitation link is not valid. Ask your teammate to send a new one."))
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was already accepted. Sign in to continue."))
    if invitation.expires_at < now:
        raise Conflict(_("This invitation has expired. Ask your teammate to send a new one."))
    return invitation


def accept_invitation(session: Session, token: str, *, user: User | None, name: str = "", password: str = "") -> Membership:
    """Join the invitation's organization as the signed-in user, or (`user` None) as a new account for its e-mail.

    A new account's password is hashed before the use case's write transaction opens, so no lock is
    held through argon2's deliberate fraction of a second.
    """
    password_hash = hash_password(password) if user is None else None
    return _join(session, token, user=user, name=name, password_hash=password_hash)


@use_case
def _join(session: Session, token: str, *, user: User | None, name: str, password_hash: str | None) -> Membership:
    invitation = open_invitation(session, token)
    if user is None:
        if session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
            raise Conflict(_("You already have an account: sign in first, then open the link again."))
        user = User(email=invitation.email, name=name.strip(), password_hash=password_hash)
        session.add(user)
    elif user.email != invitation.email:
        raise Forbidden(
            _(
                "This invitation is for %(invitation_email)s. Sign in with that address to accept it.",
                invitation_email=invitation.email,
            )
        )
    existing = (
        session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.organization_id == invitation.organization_id)
        )
        if user.id
        else None
    )
    invitation.accepted_at = utcnow()
    membership = existing or Membership(user=user, organization_id=invitation.organization_id, role=invitation.role)
    session.add(membership)
    mark_confirmed(session, user)  # the link reached this mailbox, which is what a confirmation link proves
    return membership


def team_of(session: Session, membership: Membership) -> tuple[list[Membership], list[Invitation]]:
    """Return the organization's members (by id) and its invitations still open (neither accepted nor revoked), as `(members,
    pending)`."""
    members = list(
        session.scalars(
            select(Membership).where(Membership.organization_id == membership.organization_id).order_by(Membership.id)
        )
    )
    pending = list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == membership.organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id)
        )
    )
    return members, pending


@use_case
def change_role(session: Session, *, actor: Membership, membership_id: int, role: Role) -> Membership:
    """Give teammate `membership_id` of the actor's organization the role `role`; return their membership.

    Raises Forbidden unless the actor is an admin (an owner to make or unmake an owner), NotFound for someone
    outside the organization, Conflict when it would leave the organization without an owner.
    """
    require_role(actor, Role.ADMIN)
    target = session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.organization_id == actor.organization_id)
    )
    if target is None:
        raise NotFound(_("That teammate is not in your organization."))
    if Role.OWNER in (role, target.role) and actor.role != Role.OWNER:
        raise Forbidden(_("Only an owner can make or unmake an owner."))
    if target.role == Role.OWNER and role != Role.OWNER:
        owners = session.scalar(
            select(func.count()).where(Membership.organization_id == actor.organization_id, Membership.role == Role.OWNER)
        )
        if owners <= 1:
            raise Conflict(_("An organization needs at least one owner. Make someone else owner first."))
    target.role = role
    return target


@use_case
def revoke_invitation(session: Session, *, actor: Membership, invitation_id: int) -> None:
    """Revoke invitation `invitation_id` of the actor's organization (its link stops working).

    Raise Forbidden below admin, NotFound for another organization's.
    """
    require_role(actor, Role.ADMIN)
    invitation = session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == actor.organization_id)
    )
    if invitation is None:
        raise NotFound(_("That invitation is not in your organization."))
    invitation.revoked_at = utcnow()


@use_case
def choose_languages(
    session: Session, *, user: User, membership: Membership | None, locale: str | None, organization_locale: str | None
) -> None:
    """Save the person's language and, when they are an admin or owner, their organization's default.

    `locale`/`organization_locale`: a shipped locale code ("sw") or None for "not chosen". Raise
    `Forbidden` when a member who is not an admin changes the organization's default.
    """
    from marketplace.i18n import supported

    person = session.get(User, user.id)
    person.locale = supported(locale)
    if membership is not None:
        organization = session.get(Organization, membership.organization_id)
        wanted = supported(organization_locale)
        if wanted != organization.locale:
            require_role(membership, Role.ADMIN)
            organization.locale = wanted


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="loom.password-reset")


@use_case
def request_password_reset(session: Session, *, email: str, secret_key: str, base_url: str, ttl_seconds: int) -> None:
    """E-mail a reset link if the account exists; say nothing either way, so addresses can't be probed."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        return
    token = _reset_serializer(secret_key).dumps({"user": user.id, "stamp": _password_stamp(user)})
    link = f"{base_url.rstrip('/')}/password/reset/{token}"
    with force_locale(recipient_locale(user)):
        mail = {
            "to": user.email,
            "subject": _("Reset your Loom password"),
            "body": "\n\n".join(
                (
                    _("Hello %(name)s,", name=user.name),
                    _("Set a new password here: %(link)s", link=link),
                    _(
                        "The link works for %(minutes)s minutes and only once. If you did not ask for it, ignore this e-mail: "
                        "your password stays as it is.",
                        minutes=ttl_seconds // 60,
                    ),
                )
            ),
        }
    enqueue(session, topics.SEND_MAIL, user.email, mail)


def reset_password(session: Session, *, token: str, password: str, secret_key: str, ttl_seconds: int) -> User:
    """Set a new password with the e-mailed reset `token` (valid `ttl_seconds`, once); return the user.

    Every session of the user ends, their failed sign-ins are forgotten, and the address counts as confirmed
    (the link reached it). Raises Conflict for an expired or already used link, NotFound for a forged one.
    The link is checked and the password hashed before the use case's write transaction opens (argon2 is
    slow on purpose); inside it the user's row is locked, so two posts of one link set one password.
    """
    try:
        claims = _reset_serializer(secret_key).loads(token, max_age=ttl_seconds)
    except SignatureExpired:
        raise Conflict(_("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise NotFound(_("This reset link is not valid. Ask for a new one.")) from None
    return _set_password(session, user_id=claims["user"], stamp=claims["stamp"], password_hash=hash_password(password))


@use_case
def _set_password(session: Session, *, user_id: int, stamp: str, password_hash: str) -> User:
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    # The stamp changes with the password, so a link works once (the row lock makes two posts of one link wait in turn).
    if user is None or _password_stamp(user) != stamp:
        raise Conflict(_("This reset link was already used. Ask for a new one."))
    user.password_hash = password_hash
    mark_confirmed(session, user)  # the link reached the mailbox, as a confirmation link does
    end_sessions(session, user)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    return user
