"""Forms for making an order from a quote, moving it along and reporting its progress."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from marketplace.forms import AmountField, Form, OneTimeForm, WholeNumberField
from marketplace.i18n import lazy_gettext as _l
from marketplace.sourcing.models import QuoteSeen


class AcceptForm(Form):
    """Accepting a quote carries what the page showed of it, so a quote revised since then is not accepted blind."""

    revision = WholeNumberField(widget=HiddenInput(), validators=[Optional()])
    unit_price = AmountField(widget=HiddenInput(), validators=[Optional()])
    quantity = WholeNumberField(widget=HiddenInput(), validators=[Optional()])
    ship_by = DateField(widget=HiddenInput(), validators=[Optional()])  # the later date promised beyond capacity

    def seen(self) -> QuoteSeen | None:
        if self.revision.data is None:
            return None  # not posted from a Loom page: nothing to compare
        return QuoteSeen(
            revision=self.revision.data, unit_price=self.unit_price.data, quantity=self.quantity.data, ship_by=self.ship_by.data
        )


class MoveForm(Form):
    note = StringField(_l("Note (required to cancel)"), validators=[Length(max=500)])
    carrier = StringField(
        _l("Carrier"), validators=[Length(max=80)], description=_l("e.g. DHL Express, Maersk, or the buyer's forwarder")
    )
    tracking_number = StringField(_l("Tracking number (if there is one)"), validators=[Length(max=80)])
    expected = HiddenField()  # the status the page showed; a move from any other is refused


class ProgressForm(OneTimeForm):
    percent = WholeNumberField(
        _l("Done (%)"), validators=[InputRequired(_l("Give the progress as a percentage from 0 to 100.")), NumberRange(0, 100)]
    )
    note = StringField(_l("What happened"), validators=[Length(max=500)])
    reason = StringField(
        _l("Why it is lower than before"),
        validators=[Length(max=500)],
        description=_l("Only when the percentage goes down, e.g. a batch failed the quality check."),
    )
    photo = FileField(_l("Photo (optional)"), description=_l("JPEG, PNG or WebP, up to 5 MB"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.note.id = self.note.label.field_id = "progress-note"  # the page also has a note for cancelling
