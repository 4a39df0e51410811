"""Sign up, sign in and out, passwords, invitations and the team page."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from marketplace import i18n
from marketplace.accounts import context, services
from marketplace.accounts.forms import (
    AcceptInvitationForm,
    ActionForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    RoleForm,
    SignUpForm,
)
from marketplace.accounts.models import OrganizationKind, Role
from marketplace.db import db
from marketplace.errors import DomainError, TooManyRequests
from marketplace.forms import attach_error, first_result, one_time, render_form, repeated
from marketplace.limits import limit
from marketplace.redirects import local_path

blueprint = Blueprint("accounts", __name__)


def _safe_next(default: str) -> str:
    # Only a path on this site: anything else would make sign-in an open redirect.
    return local_path(request.args.get("next")) or default


def _home_for_kind() -> str:
    membership = context.current_membership()
    if membership and membership.organization.kind == OrganizationKind.PRODUCER:
        return url_for("manage.dashboard")
    return url_for("producers.directory")


def _own_work() -> str:
    """Where a person who just signed in starts: the operator's desk, a group's RFQ inbox (its listing page
    while it lists nothing yet, so a new group finishes its listing first), a buyer's requests."""
    if current_user.is_operator:
        return url_for("operator.desk")
    membership = context.current_membership()
    if membership is None:
        return url_for("producers.directory")
    if membership.organization.kind == OrganizationKind.PRODUCER:
        return url_for("manage.start")  # the group's package knows whether it lists anything yet
    return url_for("sourcing.rfqs")


@blueprint.route("/signup", methods=["GET", "POST"])
@limit("SIGNUP", methods=["POST"])
def signup() -> Response | tuple[str, int]:
    form = SignUpForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            services.sign_up(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                organization_name=form.organization_name.data,
                kind=OrganizationKind(form.kind.data),
                country=form.country.data,
                secret_key=config["SECRET_KEY"],
                base_url=config["BASE_URL"],
                ttl_seconds=config["EMAIL_CONFIRMATION_SECONDS"],
                locale=i18n.current_locale(),  # the language they signed up in stays theirs
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            # The same answer whether or not the address already had an account: no probing for accounts.
            return redirect(url_for("accounts.signup_sent"))
    return render_form("accounts/signup.html", form)


@blueprint.get("/signup/sent")
def signup_sent() -> str:
    return render_template("accounts/signup_sent.html")


@blueprint.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Response | tuple[str, int]:
    # A page with a button, not a confirmation on GET: mail scanners open links without anyone reading them.
    form = ActionForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            services.confirm_email(
                db.session, token=token, secret_key=config["SECRET_KEY"], ttl_seconds=config["EMAIL_CONFIRMATION_SECONDS"]
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Your e-mail address is confirmed. Thank you."), "success")
            return redirect(_home_for_kind() if current_user.is_authenticated else url_for("accounts.login"))
    return render_form("accounts/confirm.html", form)


@blueprint.post("/email/confirm")
@login_required
@limit("CONFIRMATION_MAIL")
def resend_confirmation() -> Response:
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        config = current_app.config
        sent = services.send_confirmation(
            db.session,
            current_user._get_current_object(),
            secret_key=config["SECRET_KEY"],
            base_url=config["BASE_URL"],
            ttl_seconds=config["EMAIL_CONFIRMATION_SECONDS"],
            submission=one_time(form, _safe_next("") or _home_for_kind()),  # a double tap on the banner's button sends one e-mail
        )
        if repeated(sent):
            return first_result(sent)
        flash(_("We sent a new confirmation link to %(email)s. Check your inbox.", email=current_user.email), "info")
    return redirect(_safe_next("") or _home_for_kind())


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    form = LoginForm()
    status = retry_after = None
    if form.validate_on_submit():
        config = current_app.config
        policy = services.LoginPolicy(
            max_failures=config["LOGIN_MAX_FAILURES"],
            max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            window=dt.timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
            first_delay=dt.timedelta(seconds=config["LOGIN_FIRST_DELAY_SECONDS"]),
        )
        try:
            user = services.sign_in(
                db.session,
                email=form.email.data,
                password=form.password.data,
                remote_addr=request.remote_addr or "unknown",
                policy=policy,
            )
        except TooManyRequests as error:
            attach_error(form, error)
            status = 429
            retry_after = error.retry_after
        else:
            if user is not None:
                target = _safe_next("")
                chosen = browser_session.get(i18n.SESSION_KEY)
                browser_session.clear()  # a fresh session, and with it a fresh CSRF token, for the signed-in user
                if chosen:
                    browser_session[i18n.SESSION_KEY] = chosen  # the language picked before signing in stays
                login_user(user)
                return redirect(target or _own_work())
            attach_error(form, DomainError(_("That e-mail and password do not match an account.")))
    page, default_status = render_form("accounts/login.html", form)
    return page, status or default_status, ({"Retry-After": str(retry_after)} if retry_after else {})


@blueprint.post("/logout")
def logout() -> Response:
    if ActionForm().validate_on_submit():
        if current_user.is_authenticated:
            services.end_sessions(db.session, current_user._get_current_object())  # a copied cookie stops working too
        logout_user()
        browser_session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("producers.home"))


@blueprint.route("/password/forgot", methods=["GET", "POST"])
@limit("PASSWORD_RESET", methods=["POST"])
def forgot_password() -> Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        config = current_app.config
        services.request_password_reset(
            db.session,
            email=form.email.data,
            secret_key=config["SECRET_KEY"],
            base_url=config["BASE_URL"],
            ttl_seconds=config["PASSWORD_RESET_SECONDS"],
        )
        flash(_("If that address has an account, a reset link is on its way. Check your inbox."), "info")
        return redirect(url_for("accounts.login"))
    return render_form("accounts/forgot.html", form)


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            services.reset_password(
                db.session,
                token=token,
                password=form.password.data,
                secret_key=config["SECRET_KEY"],
                ttl_seconds=config["PASSWORD_RESET_SECONDS"],
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            logout_user()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_form("accounts/reset.html", form)


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | tuple[str, int]:
    invitation = services.open_invitation(db.session, token)
    new_account = not current_user.is_authenticated
    form = AcceptInvitationForm() if new_account else ActionForm()
    if form.validate_on_submit():
        try:
            membership = services.accept_invitation(
                db.session,
                token,
                user=None if new_account else current_user,
                name=form.name.data if new_account else "",
                password=form.password.data if new_account else "",
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if new_account:
                login_user(membership.user)
            context.switch_organization(membership.organization_id)
            flash(_("You joined %(organization_name)s.", organization_name=invitation.organization.name), "success")
            return redirect(_home_for_kind())
    return render_form("accounts/invitation.html", form, invitation=invitation)


@blueprint.route("/team", methods=["GET", "POST"])
@login_required
@limit("INVITATIONS", methods=["POST"])
def team() -> Response | tuple[str, int]:
    membership = context.current_membership()
    if membership is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invited = services.invite(
                db.session,
                inviter=membership,
                email=form.email.data,
                role=Role(form.role.data),
                base_url=current_app.config["BASE_URL"],
                ttl=dt.timedelta(days=current_app.config["INVITATION_DAYS"]),
                submission=one_time(form, url_for("accounts.team")),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if repeated(invited):
                return first_result(invited)
            _invitation, link = invited
            flash(
                _(
                    "Invitation sent to %(form_email)s. You can also share this link with them: %(link)s",
                    form_email=form.email.data,
                    link=link,
                ),
                "success",
            )
            return redirect(url_for("accounts.team"))
    members, pending = services.team_of(db.session, membership)
    return render_form(
        "accounts/team.html",
        form,
        membership=membership,
        members=members,
        pending=pending,
        role_form=RoleForm(),
        action_form=ActionForm(),
        can_manage=membership.role.at_least(Role.ADMIN),
    )


@blueprint.post("/team/members/<int:membership_id>/role")
@login_required
def change_role(membership_id: int) -> Response:
    form = RoleForm()
    if form.validate_on_submit():
        target = services.change_role(
            db.session, actor=context.current_membership(), membership_id=membership_id, role=Role(form.role.data)
        )
        flash(_("%(user_name)s is now %(target_role)s.", user_name=target.user.name, target_role=target.role.value), "success")
    return redirect(url_for("accounts.team"))


@blueprint.post("/team/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int) -> Response:
    if ActionForm().validate_on_submit():
        services.revoke_invitation(db.session, actor=context.current_membership(), invitation_id=invitation_id)
        flash(_("Invitation withdrawn."), "info")
    return redirect(url_for("accounts.team"))


@blueprint.route("/language", methods=["GET", "POST"])
@login_required
def language() -> Response | tuple[str, int]:
    membership = context.current_membership()
    can_set_default = membership is not None and membership.role.at_least(Role.ADMIN)
    form = LanguageForm(
        data={
            "locale": current_user.locale or "",
            "organization_locale": (membership.organization.locale if membership else None) or "",
        }
    )
    if form.validate_on_submit():
        try:
            services.choose_languages(
                db.session,
                user=current_user,
                membership=membership,
                locale=form.locale.data or None,
                organization_locale=form.organization_locale.data or None
                if can_set_default
                else (membership.organization.locale if membership else None),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            browser_session.pop(i18n.SESSION_KEY, None)  # the saved choice speaks from now on, not a switcher link
            flash(_("Language saved."), "success")
            return redirect(url_for("accounts.language"))
    return render_form("accounts/language.html", form, membership=membership, can_set_default=can_set_default)


@blueprint.post("/organizations/<int:organization_id>/switch")
@login_required
def switch_organization(organization_id: int) -> Response:
    if ActionForm().validate_on_submit() and context.switch_organization(organization_id) is None:
        abort(404)
    return redirect(_home_for_kind())
