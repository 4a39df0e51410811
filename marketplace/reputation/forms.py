"""The review and reply forms."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace.forms import Form, OneTimeForm, choices
from marketplace.reputation.services import MAX_TEXT


class ReviewForm(OneTimeForm):
    rating = RadioField(
        "How did the order go?",
        choices=choices(
            [("5", "5 — excellent"), ("4", "4 — good"), ("3", "3 — acceptable"), ("2", "2 — poor"), ("1", "1 — very poor")]
        ),
        validators=[InputRequired("Choose from 1 to 5 stars.")],
    )
    text = TextAreaField("In your words (optional)", validators=[Length(max=MAX_TEXT)],
                         description="Quality, communication, delivery: what other buyers should know.")  # fmt: skip


class ReplyForm(Form):
    text = TextAreaField("Your answer", validators=[InputRequired("Write the answer."), Length(max=MAX_TEXT)],
                         description="Shown under the review on your profile. You can answer once.")  # fmt: skip
