"""What every view does with a form: show a domain error next to the field it concerns."""
from __future__ import annotations

from collections.abc import Iterable

from flask import flash, redirect, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import Field, HiddenField, SelectChoice

from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.submissions.services import Claim, claim, new_token


class OneTimeForm(FlaskForm):
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
