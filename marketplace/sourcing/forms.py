"""Forms for requests for quotation, quotes, accepting a quote, the pricing helper and messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.accounts import context
from marketplace.forms import AmountField, Form, OneTimeForm, WholeNumberField, choices
from marketplace.i18n import lazy_gettext as _l
from marketplace.producers.forms import category_select_choices
from marketplace.producers.taxonomy import CURRENCIES, country_choices
from marketplace.sourcing.incoterms import PLACE_LENGTH, incoterm_choices


class RfqForm(OneTimeForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200)], description=_l("e.g. 2,000 sisal storage baskets for spring")
    )
    spec = TextAreaField(
        _l("What you need"),
        validators=[DataRequired(_l("Describe what you need: sizes, colours, materials, packing.")), Length(max=5000)],
        description=_l("Sizes, colours, materials, packing, labels, samples."),
    )
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose a category."))])
    quantity = WholeNumberField(_l("Quantity (units)"), validators=[InputRequired(), NumberRange(min=1)])
    target_unit_price = AmountField(_l("Target unit price (optional)"), places=2, validators=[Optional(), NumberRange(min=0)])
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES), default="USD")
    needed_by = DateField(_l("Needed by"), validators=[DataRequired(_l("Give the date you need the goods by."))])
    destination_country = SelectField(_l("Deliver to"), validators=[DataRequired(_l("Choose the destination country."))])
    incoterm = SelectField(
        _l("Delivery terms (Incoterms® 2020)"),
        default="FCA",
        description=_l("Who pays for the journey, and where the goods become yours."),
    )
    incoterm_place = StringField(
        _l("Named place (optional)"),
        validators=[Optional(), Length(max=PLACE_LENGTH)],
        description=_l("The town, port or warehouse the terms refer to, e.g. Rotterdam."),
    )
    attachments = MultipleFileField(
        _l("Drawings, photos or spec sheets"), description=_l("PDF, JPEG, PNG or WebP; up to 3 files of 5 MB each.")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice("", _("Choose a category…")), *category_select_choices()]  # no silent default
        self.incoterm.choices = choices(incoterm_choices())
        self.destination_country.choices = choices([("", _("Choose…")), *country_choices()])

    def values(self) -> dict[str, object]:
        return {
            "title": self.title.data.strip(),
            "spec": (self.spec.data or "").strip(),
            "category": self.category.data,
            "quantity": self.quantity.data,
            "target_unit_price": self.target_unit_price.data,
            "currency": self.currency.data,
            "needed_by": self.needed_by.data,
            "destination_country": self.destination_country.data,
            "incoterm": self.incoterm.data,
            "incoterm_place": (self.incoterm_place.data or "").strip(),
        }


class QuoteForm(OneTimeForm):
    unit_price = AmountField(_l("Unit price"), places=2, validators=[InputRequired(), NumberRange(min=Decimal("0.01"))])
    quantity = WholeNumberField(_l("Quantity (units)"), validators=[InputRequired(), NumberRange(min=1)])
    lead_time_days = WholeNumberField(_l("Lead time (days)"), validators=[InputRequired(), NumberRange(0, 730)])
    valid_until = DateField(
        _l("Valid until"), validators=[DataRequired()], default=lambda: context.today() + dt.timedelta(days=30)
    )
    notes = TextAreaField(_l("Notes for the buyer"), validators=[Length(max=5000)])
    incoterm = SelectField(
        _l("Delivery terms you quote (Incoterms® 2020)"),
        description=_l("The buyer's terms are chosen; you may offer others, with the place they refer to."),
        validate_choice=False,  # checked by submit_quote; a post without it keeps the buyer's terms
    )
    incoterm_place = StringField(
        _l("Named place"),
        validators=[Optional(), Length(max=PLACE_LENGTH)],
        description=_l("The town, port or warehouse your price holds to, e.g. Mombasa."),
    )
    # The pricing helper: filled to suggest a price, never stored.
    materials_cost = AmountField(_l("Materials per unit"), places=2, validators=[Optional(), NumberRange(min=0)])
    hours = AmountField(_l("Artisan hours per unit"), places=2, validators=[Optional(), NumberRange(min=0)])
    hourly_wage = AmountField(_l("Fair hourly wage"), places=2, validators=[Optional(), NumberRange(min=0)])
    overhead_percent = AmountField(
        _l("Overhead (%)"), places=1, validators=[Optional(), NumberRange(0, 200)], default=Decimal("15")
    )
    margin_percent = AmountField(
        _l("Group margin (%)"), places=1, validators=[Optional(), NumberRange(0, 200)], default=Decimal("20")
    )
    exchange_rate = AmountField(_l("Exchange rate"), places=4, validators=[Optional(), NumberRange(min=Decimal("0.0001"))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.incoterm.choices = choices(incoterm_choices())

    def label_units(self, *, working_currency: str, quote_currency: str) -> None:
        """Name every number's unit: the helper works in the group's currency, the quote is in the RFQ's."""
        self.unit_price.label.text = _("Unit price (%(currency)s)", currency=quote_currency)
        self.materials_cost.label.text = _("Materials per unit (%(currency)s)", currency=working_currency)
        self.hours.label.text = _("Artisan hours per unit (hours)")
        self.hourly_wage.label.text = _("Fair hourly wage (%(currency)s per hour)", currency=working_currency)
        self.overhead_percent.label.text = _("Overhead (% of materials and pay)")
        self.margin_percent.label.text = _("Group margin (% on top)")
        self.exchange_rate.label.text = _(
            "%(working)s for 1 %(quoted)s (the rate you use)", working=working_currency, quoted=quote_currency
        )

    def values(self) -> dict[str, object]:
        return {
            "unit_price": self.unit_price.data,
            "quantity": self.quantity.data,
            "lead_time_days": self.lead_time_days.data,
            "valid_until": self.valid_until.data,
            "notes": (self.notes.data or "").strip(),
            "incoterm": self.incoterm.data or None,
            "incoterm_place": (self.incoterm_place.data or "").strip(),
        }


class MessageForm(OneTimeForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write something first.")), Length(max=5000)])


class GroupChoice(Form):
    """Which group's thread the buyer is reading on an RFQ page."""

    group = SelectField(_l("Conversation with"), coerce=int)
