"""Signing up, signing in, roles, teammates and passwords, through the pages people use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.outbox.models import OutboxMessage
from tests import factories
from tests.web import csrf_token, sign_in, submit, text_of

SIGNUP = {
    "kind": "producer",
    "organization_name": "Kitui Sisal Weavers",
    "country": "KE",
    "name": "Mwende Musyoka",
    "email": "Mwende@Example.org",
    "password": "a long enough passphrase",
    "confirm": "a long enough passphrase",
}


# Signing up, confirming the address and the same answer for a taken address: test_email_confirmation.py


def test_signup_form_comes_back_with_each_problem_next_to_its_field(client: FlaskClient, session: Session) -> None:
    response = submit(
        client, "/signup", {**SIGNUP, "email": "not-an-address", "password": "short", "confirm": "other", "country": ""}
    )

    assert response.status_code == 422
    page = text_of(response)
    assert "Invalid email address." in page
    assert "Use at least 10 characters." in page
    assert "Choose a country." in page
    assert 'value="Kitui Sisal Weavers"' in page  # what was typed is kept
    assert session.scalar(select(User).where(User.email == "not-an-address")) is None


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, session: Session) -> None:
    response = client.post("/signup", data=SIGNUP)

    assert response.status_code == 400
    assert "Form expired" in text_of(response)
    assert session.scalar(select(User).where(User.email == "mwende@example.org")) is None


def test_sign_in_and_out(client: FlaskClient, session: Session) -> None:
    membership = factories.buyer(session, email="amelia@northwind.example")

    sign_in(client, "AMELIA@northwind.example")
    assert "Sign out" in text_of(client.get("/groups"))

    response = submit(client, "/groups", {}, action="/logout")
    assert response.status_code == 302
    assert client.get("/team").status_code == 302  # back to the sign-in page
    session.refresh(membership.user)
    assert membership.user.last_login_at is not None


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email="amelia@northwind.example")

    wrong_password = submit(client, "/login", {"email": "amelia@northwind.example", "password": "guess"})
    no_account = submit(client, "/login", {"email": "nobody@northwind.example", "password": "guess"})

    for response in (wrong_password, no_account):
        assert response.status_code == 422
        assert "That e-mail and password do not match an account." in text_of(response)


def test_repeated_failed_sign_ins_are_slowed_down(app: Flask, client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        submit(client, "/login", {"email": "amelia@northwind.example", "password": "guess"})

    response = submit(client, "/login", {"email": "amelia@northwind.example", "password": factories.PASSWORD})

    assert response.status_code == 429
    assert "Too many failed sign-ins" in text_of(response)


def test_session_cookie_is_secure_http_only_and_same_site(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    response = sign_in(client, "amelia@northwind.example")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_parameter_cannot_send_people_to_another_site(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/phish",
        data={"csrf_token": token, "email": "amelia@northwind.example", "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/rfqs"  # not elsewhere: the buyer's own requests


def _last_mail(session: Session) -> dict:
    message = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert message is not None and message.topic == "mail.send"
    return message.payload


def test_an_admin_invites_a_teammate_who_joins_with_the_link(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Tamale Shea Women")
    admin = factories.member_of(session, group, role=Role.ADMIN)
    sign_in(client, admin.user.email)

    response = submit(client, "/team", {"email": "abena@example.org", "role": "member"})
    assert response.status_code == 302
    mail = _last_mail(session)
    assert mail["to"] == "abena@example.org"
    link = re.search(r"https://loom\.test(/invitations/\S+)", mail["body"]).group(1)

    submit(client, "/team", {}, action="/logout")
    response = submit(client, link, {"name": "Abena Mensah", "password": "shea butter season", "confirm": "shea butter season"})

    assert response.status_code == 302
    joined = session.scalar(select(Membership).join(User).where(User.email == "abena@example.org"))
    assert joined.organization_id == group.organization_id and joined.role == Role.MEMBER
    assert client.get(link).status_code == 409  # a link works once


def test_a_member_cannot_invite_or_change_roles(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    owner = factories.member_of(session, group, role=Role.OWNER)
    member = factories.member_of(session, group, role=Role.MEMBER)
    sign_in(client, member.user.email)

    invite = submit(client, "/team", {"email": "someone@example.org", "role": "admin"})
    promote = submit(client, "/team", {"role": "owner"}, action=f"/team/members/{member.id}/role")

    assert invite.status_code == 403 and promote.status_code == 403
    session.refresh(member)
    assert member.role == Role.MEMBER and owner.role == Role.OWNER


def test_an_admin_cannot_make_an_owner_but_an_owner_can(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    owner = factories.member_of(session, group, role=Role.OWNER)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    member = factories.member_of(session, group, role=Role.MEMBER)

    sign_in(client, admin.user.email)
    assert submit(client, "/team", {"role": "owner"}, action=f"/team/members/{member.id}/role").status_code == 403
    submit(client, "/team", {}, action="/logout")

    sign_in(client, owner.user.email)
    assert submit(client, "/team", {"role": "owner"}, action=f"/team/members/{member.id}/role").status_code == 302
    session.refresh(member)
    assert member.role == Role.OWNER


def test_the_last_owner_cannot_be_demoted(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    owner = factories.member_of(session, group, role=Role.OWNER)
    sign_in(client, owner.user.email)
    # The owner's own row has no role form, so post directly: the rule must hold server-side.
    response = submit(client, "/team", {"role": "member"}, action=f"/team/members/{owner.id}/role")
    assert response.status_code == 409
    assert "at least one owner" in text_of(response)


def test_changing_a_role_in_another_organization_is_a_404(client: FlaskClient, session: Session) -> None:
    ours = factories.buyer(session, name="Northwind Home")
    theirs = factories.buyer(session, name="Casa Verde")
    sign_in(client, ours.user.email)

    response = submit(client, "/team", {"role": "member"}, action=f"/team/members/{theirs.id}/role")

    assert response.status_code == 404
    session.refresh(theirs)
    assert theirs.role == Role.OWNER


def test_password_reset_by_e_mail_link_works_once(client: FlaskClient, session: Session) -> None:
    membership = factories.buyer(session, email="amelia@northwind.example")

    response = submit(client, "/password/forgot", {"email": "amelia@northwind.example"})
    assert response.status_code == 302
    link = re.search(r"https://loom\.test(/password/reset/\S+)", _last_mail(session)["body"]).group(1)

    new = {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    assert submit(client, link, new).status_code == 302
    assert submit(client, link, new).status_code == 422  # already used
    sign_in(client, "amelia@northwind.example", "a brand new passphrase")
    assert membership.user.email == "amelia@northwind.example"


def test_password_reset_does_not_reveal_whether_an_address_has_an_account(client: FlaskClient, session: Session) -> None:
    before = session.scalars(select(OutboxMessage)).all()
    response = submit(client, "/password/forgot", {"email": "nobody@example.org"}, follow_redirects=True)
    assert "If that address has an account" in text_of(response)
    assert session.scalars(select(OutboxMessage)).all() == before


def test_invitation_e_mails_are_delivered_by_the_worker(app: Flask, client: FlaskClient, session: Session) -> None:
    from marketplace.bootstrap import worker_for

    group = factories.producer_group(session)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    sign_in(client, admin.user.email)
    submit(client, "/team", {"email": "kofi@example.org", "role": "admin"})

    summary = worker_for(app).drain()

    assert summary.done >= 1
    mails = sorted(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    assert any("kofi@example.org" in m.read_text() for m in mails)


@pytest.mark.parametrize("path", ["/manage/", "/team", "/manage/profile", "/operator/"])
def test_pages_for_members_send_visitors_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "query",
    [
        "next=/%09/evil.example/",  # the tab was checked for "//", then dropped on the way out
        "next=/%0a/x",  # a newline in Location was a 500
        "next=/%0d%0aSet-Cookie:%20x=1",
        "next=//evil.example",
        "next=/%5Cevil.example",
        "next=%5C%5Cevil.example",
        "next=https://evil.example/",
        "next=javascript:alert(1)",
        "next=%20/evil",
        "next=/%E2%80%8B/evil.example",
    ],
)
def test_sign_in_sends_people_only_to_a_path_on_this_site(client: FlaskClient, session: Session, query: str) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    token = csrf_token(client, "/login")
    response = client.post(
        f"/login?{query}", data={"csrf_token": token, "email": "amelia@northwind.example", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/rfqs"  # not elsewhere: the buyer's own requests


def test_sign_in_returns_to_the_page_that_asked_for_it(client: FlaskClient, session: Session) -> None:
    factories.buyer(session, email="amelia@northwind.example")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/orders%3Fstatus%3Dopen",
        data={"csrf_token": token, "email": "amelia@northwind.example", "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/orders?status=open"


def test_after_signing_in_each_person_lands_on_their_own_work(client: FlaskClient, session: Session) -> None:
    buyer = factories.buyer(session, email="amelia@northwind.example")
    group = factories.producer_group(session)
    factories.capability(session, group)
    coordinator = factories.member_of(session, group, email="mwende@kitui.example")
    newcomer = factories.member_of(session, factories.producer_group(session, name="Huye Weavers"), email="claudine@huye.example")
    operator = factories.user(session, email="ops@loom.example", operator=True)
    session.commit()
    landings = (
        (buyer.user.email, "/rfqs"),
        (coordinator.user.email, "/manage/rfqs"),
        (operator.email, "/operator/"),
        (newcomer.user.email, "/manage/"),
    )  # a group that lists nothing yet finishes its listing first
    for email, landing in landings:
        location = sign_in(client, email).headers["Location"]
        page = client.get(location)
        if location == "/manage/start":  # a group's package decides where its people start (no import of it in accounts)
            location = page.headers["Location"]
            page = client.get(location)
        assert location == landing, email
        assert page.status_code == 200
        client.post("/logout", data={"csrf_token": csrf_token(client, landing)})
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/groups", data={"csrf_token": token, "email": operator.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/groups"  # a safe next still wins
