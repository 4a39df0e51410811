"""What every view does with a form: show a domain error next to the field it concerns; the number fields all forms use."""
from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from flask import flash, redirect, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import (
    DecimalField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    StringField,
    TextAreaField,
)

from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.money import MAX_UNIT_PRICE
from marketplace.submissions.services import Claim, claim, new_token
from marketplace.text import clean_line, clean_text


def _keeping_none(clean):  # type: ignore[no-untyped-def]
    return lambda value: value if value is None else clean(value)


_CLEAN_LINE, _CLEAN_TEXT = _keeping_none(clean_line), _keeping_none(clean_text)


class Form(FlaskForm):
    """Every Loom form: text is cleaned on the way in (marketplace.text), whatever the field.

    One-line fields (names, titles, e-mail addresses) lose control characters and line breaks, so a
    name can never carry CR/LF into an e-mail subject; text areas keep their lines and tabs.
    Passwords are left exactly as typed.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                clean = _CLEAN_TEXT if issubclass(field_class, TextAreaField) else _CLEAN_LINE
                options = {**options, "filters": [clean, *unbound_field.kwargs.get("filters", ())]}
            return unbound_field.bind(form=form, **options)


class OneTimeForm(Form):
    """A form that creates something: it carries a one-time `submission` token (see marketplace.submissions)."""

    submission = HiddenField(default=new_token)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.submission.id = f"{type(self).__name__.lower()}-submission"  # pages with two such forms keep ids unique


def claim_submission(session: Session, form: OneTimeForm) -> Claim:
    """Claim the form's token for the signed-in person inside the use case's transaction."""
    return claim(session, form.submission.data, user_id=current_user.id)


def first_result(claim: Claim) -> Response:
    """Answer a repeated post: show what the first one made, create nothing."""
    flash("That was already sent; here is what it made. Nothing was created twice.", "info")
    return redirect(claim.earlier_url or "/")


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show the error on the form; refusals about who may act or what exists are not form errors."""
    if isinstance(error, (Forbidden, NotFound)):
        raise error
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def fill_in(field: Field, value: object) -> None:
    """Put a value the server worked out into a submitted field: a field shows what was typed (raw_data) over its data."""
    field.data = value
    field.raw_data = None
    field.errors = []


def render_form(template: str, form: FlaskForm, **context: object) -> tuple[str, int]:
    """Render a form page: 200 when first shown, 422 when a submission comes back with errors."""
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template(template, form=form, **context), status


def choices(pairs: Iterable[tuple[str, str]], *, optgroup: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


# ----- numbers, read strictly -------------------------------------------------------------------
# WTForms' own fields take "1e30", "Infinity", "NaN" and numbers too large for the database; these
# accept plain ASCII digits within bounds that every column and every total computed from them can hold.

MAX_WHOLE = 10_000_000  # units, capacity, artisans: 10 million
MAX_AMOUNT = MAX_UNIT_PRICE  # one unit price, cost or wage (marketplace.money)
_WHOLE = re.compile(r"[0-9]{1,9}")
_AMOUNT = re.compile(r"[0-9]{1,14}(\.[0-9]{0,4})?|\.[0-9]{1,4}")
_COORDINATE = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{0,12})?")


class WholeNumberField(IntegerField):
    """A count written with digits 0-9, from 0 to MAX_WHOLE; anything else is a form error, not a crash."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        if not _WHOLE.fullmatch(raw) or int(raw) > MAX_WHOLE:
            self.data = None
            raise ValueError(self.gettext(f"Give a whole number from 0 to {MAX_WHOLE:,}, in digits."))
        self.data = int(raw)


class AmountField(DecimalField):
    """An amount such as 12.50 (at most 4 decimals, below `maximum`, a unit price's bound unless given): no exponent, infinity or NaN."""

    def __init__(self, *args: object, maximum: Decimal = MAX_AMOUNT, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        if not _AMOUNT.fullmatch(raw) or Decimal(raw) >= self.maximum:
            self.data = None
            raise ValueError(self.gettext(f"Give an amount such as 12.50, below {self.maximum:,}."))
        self.data = Decimal(raw)


class CoordinateField(FloatField):
    """A latitude or longitude in decimal degrees, such as -1.2921."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        if not _COORDINATE.fullmatch(raw):
            self.data = None
            raise ValueError(self.gettext("Give decimal degrees such as -1.2921."))
        self.data = float(raw)
