"""The review and reply forms."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace.forms import Form, OneTimeForm, choices
from marketplace.i18n import lazy_gettext as _l
from marketplace.reputation.services import MAX_TEXT


def _stars(label: str, description: str = "") -> RadioField:
    return RadioField(
        label,
        choices=choices(
            [
                ("5", _l("5 — excellent")),
                ("4", _l("4 — good")),
                ("3", _l("3 — acceptable")),
                ("2", _l("2 — poor")),
                ("1", _l("1 — very poor")),
            ]
        ),
        validators=[InputRequired(_l("Choose from 1 to 5 stars."))],
        description=description,
    )


class ReviewForm(OneTimeForm):
    rating = _stars(_l("How did the order go, overall?"))
    quality = _stars(_l("Quality of the goods"), _l("As specified and well made?"))
    communication = _stars(_l("Communication"), _l("Answers, updates, problems raised early?"))
    on_time = _stars(_l("On time"), _l("Delivered as promised?"))
    text = TextAreaField(
        _l("In your words (optional)"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Quality, communication, delivery: what other buyers should know."),
    )


class ReplyForm(Form):
    text = TextAreaField(
        _l("Your answer"),
        validators=[InputRequired(_l("Write the answer.")), Length(max=MAX_TEXT)],
        description=_l("Shown under the review on your profile. You can answer once."),
    )
