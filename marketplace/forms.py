"""What every view does with a form: show a domain error next to the field it concerns."""
from __future__ import annotations

from collections.abc import Iterable

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from marketplace.errors import DomainError, Forbidden, NotFound


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show the error on the form; refusals about who may act or what exists are not form errors."""
    if isinstance(error, (Forbidden, NotFound)):
        raise error
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def render_form(template: str, form: FlaskForm, **context: object) -> tuple[str, int]:
    """Render a form page: 200 when first shown, 422 when a submission comes back with errors."""
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template(template, form=form, **context), status


def choices(pairs: Iterable[tuple[str, str]], *, optgroup: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]
