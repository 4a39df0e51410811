"""Forms for signing up, signing in, passwords and teammates."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from marketplace.accounts.models import OrganizationKind, Role
from marketplace.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from marketplace.countries import country_choices
from marketplace.forms import Form, OneTimeForm, choices
from marketplace.i18n import lazy_gettext as _l
from marketplace.i18n import locale_choices


def _new_password(label: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, max=MAX_LENGTH, message=_l("Use at least %(minimum)s characters.", minimum=MIN_LENGTH)),
        ],
        description=_l("At least %(minimum)s characters. A few unrelated words make a strong one.", minimum=MIN_LENGTH),
    )


def _confirm() -> PasswordField:
    return PasswordField(_l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])


class SignUpForm(Form):
    kind = RadioField(
        _l("I am"),
        choices=choices(
            [
                (OrganizationKind.BUYER.value, _l("A buyer: a shop, brand or importer")),
                (OrganizationKind.PRODUCER.value, _l("A producer group: a cooperative or workshop of artisans")),
            ]
        ),
        validators=[DataRequired(_l("Choose buyer or producer group."))],
    )
    organization_name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validators=[DataRequired(_l("Choose a country."))])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = _new_password()
    confirm = _confirm()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", str(_l("Choose…"))), *country_choices()])


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])


class ResetPasswordForm(Form):
    password = _new_password(_l("New password"))
    confirm = _confirm()


ROLE_CHOICES = choices(
    (r.value, label) for r, label in ((Role.MEMBER, _l("Member")), (Role.ADMIN, _l("Admin")), (Role.OWNER, _l("Owner")))
)


class InviteForm(OneTimeForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.MEMBER.value)


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AcceptInvitationForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = _new_password()
    confirm = _confirm()


class ActionForm(Form):
    """A form with no fields: a button that changes something, protected by the CSRF token."""


class ResendConfirmationForm(OneTimeForm):
    """The banner's "Resend the confirmation e-mail" button: a double tap sends one e-mail."""


class LanguageForm(Form):
    """The person's language for pages and e-mails and, for admins, the organization's default."""

    locale = SelectField(_l("Your language"), choices=[])
    organization_locale = SelectField(_l("Your organization's default language"), choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        options = [SelectChoice("", str(_l("As my browser asks"))), *locale_choices()]
        self.locale.choices = options
        self.organization_locale.choices = [SelectChoice("", str(_l("None: each person's browser"))), *locale_choices()]
