"""What every view does with a form: show a domain error next to the field it concerns; the number fields all forms use."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeGuard

from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from flask import flash, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
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
from marketplace.i18n import current_locale, translate, translate_plural
from marketplace.i18n import format_number as format_decimal
from marketplace.money import MAX_UNIT_PRICE
from marketplace.submissions.services import Claim, OneTimeSubmission, new_token
from marketplace.text import clean_line, clean_text


def _keeping_none(clean):  # type: ignore[no-untyped-def]
    return lambda value: value if value is None else clean(value)


_CLEAN_LINE, _CLEAN_TEXT = _keeping_none(clean_line), _keeping_none(clean_text)


class CatalogTranslations:
    """Give WTForms its own messages ("This field is required.") from Loom's catalogs, in the request's language.

    WTForms ships no Swahili, Hindi or Amharic, and its Spanish and French would not follow Loom's glossary: its
    messages are listed in `marketplace.form_messages` and translated with the rest. Values are put in by WTForms
    after translating (`message % {"min": 2}`), so nothing is formatted here.
    """

    def gettext(self, string: str) -> str:
        return translate(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translate_plural(singular, plural, n)


CATALOG_TRANSLATIONS = CatalogTranslations()
HIDDEN_FIELD_TYPES = {"HiddenField", "CSRFTokenField"}


class Form(FlaskForm):
    """Every Loom form: text is cleaned on the way in (marketplace.text), whatever the field.

    One-line fields (names, titles, e-mail addresses) lose control characters and line breaks, so a
    name can never carry CR/LF into an e-mail subject; text areas keep their lines and tabs.
    Passwords are left exactly as typed. WTForms' own messages come from Loom's catalogs (CatalogTranslations).
    Hidden fields (the CSRF token, one-time tokens) render without an id: nothing points at them, and a page with
    several forms would otherwise repeat `id="csrf_token"` once a form.
    """

    class Meta:
        def get_translations(self, form):  # type: ignore[no-untyped-def]
            return CATALOG_TRANSLATIONS

        def render_field(self, field, render_kw):  # type: ignore[no-untyped-def]
            if field.type in HIDDEN_FIELD_TYPES:
                render_kw = {"id": False, **render_kw}  # WTForms leaves out an attribute given False
            return super().render_field(field, render_kw)

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


def one_time(form: OneTimeForm, result_url: str | Callable[[Any], str]) -> OneTimeSubmission:
    """Give the form's one-time token to a use case (`submission=`): it claims it in its own transaction.

    `result_url` is where the first post's result is shown: a URL, or a function of the use case's result.
    """
    return OneTimeSubmission(form.submission.data, current_user.id, result_url)


def repeated(result: object) -> TypeGuard[Claim]:
    """Tell whether a use case given `submission=` answered a repeated post (its result is the earlier post's claim)."""
    return isinstance(result, Claim)


def first_result(claim: Claim) -> Response:
    """Answer a repeated post: show what the first one made, create nothing."""
    flash(_("That was already sent; here is what it made. Nothing was created twice."), "info")
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
# accept digits within bounds that every column and every total computed from them can hold, written
# either the reader's way (CLDR grouping and decimal signs through Babel: "1 200,50" in French,
# "1.200,50" in Spanish, "1,200.50" in English) or plainly ("1200.50"), never with an exponent or sign.

MAX_WHOLE = 10_000_000  # units, capacity, artisans: 10 million
MAX_AMOUNT = MAX_UNIT_PRICE  # one unit price, cost or wage (marketplace.money)
_WHOLE = re.compile(r"[0-9]{1,9}")
_AMOUNT = re.compile(r"[0-9]{1,14}(\.[0-9]{0,4})?|\.[0-9]{1,4}")
_COORDINATE = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{0,12})?")
_SPACES = " \u00a0\u202f"
_DIGITS_AND_SEPARATORS = re.compile(r"[0-9][0-9 .,'\u00a0\u202f\u2019]{0,24}")


def read_number(raw: str, plain: re.Pattern[str]) -> Decimal | None:
    """Return the number `raw` says in the request's locale, or plainly as `plain` allows; None when it is not one.

    The locale's reading comes first, so "1.200" is twelve hundred in Spanish; a plain reading such as
    "12.50" still works in French, whose decimal sign is a comma.
    """
    if _DIGITS_AND_SEPARATORS.fullmatch(raw):
        locale = current_locale()
        group = get_group_symbol(locale)
        if group in _SPACES:  # people type a plain space where CLDR groups with a (narrow) no-break space
            raw = re.sub(f"[{_SPACES}]", group, raw)
        try:
            value = parse_decimal(raw, locale=locale, strict=True)
        except NumberFormatError:
            value = None
        if value is not None and value.is_finite():
            return value
    return Decimal(raw) if plain.fullmatch(raw) else None


class WholeNumberField(IntegerField):
    """A count written with digits 0-9 (grouped the reader's way or not), from 0 to MAX_WHOLE; else a form error, not a crash."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = read_number(valuelist[0].strip(), _WHOLE)
        if value is None or value != value.to_integral_value() or not 0 <= value <= MAX_WHOLE:
            self.data = None
            raise ValueError(_("Give a whole number from 0 to %(maximum)s, in digits.", maximum=format_decimal(MAX_WHOLE)))
        self.data = int(value)


class AmountField(DecimalField):
    """An amount such as 12.50 (at most 4 decimals, below `maximum`, a unit price's bound unless given): no exponent, infinity or
    NaN."""

    def __init__(self, *args: object, maximum: Decimal = MAX_AMOUNT, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = read_number(valuelist[0].strip(), _AMOUNT)
        if value is None or value < 0 or value >= self.maximum or value.as_tuple().exponent < -4:  # type: ignore[operator]
            self.data = None
            raise ValueError(
                _(
                    "Give an amount such as %(example)s, below %(maximum)s.",
                    example=format_decimal(Decimal("12.50"), "#,##0.00"),
                    maximum=format_decimal(self.maximum),
                )
            )
        self.data = value


class CoordinateField(FloatField):
    """A latitude or longitude in decimal degrees, such as -1.2921."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        if not _COORDINATE.fullmatch(raw):
            self.data = None
            raise ValueError(_("Give decimal degrees such as -1.2921."))
        self.data = float(raw)
