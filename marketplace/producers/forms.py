"""Forms a producer group uses to keep its listing current; all work on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    Field,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.clock import time_zone_names
from marketplace.forms import AmountField, CoordinateField, Form, OneTimeForm, WholeNumberField, choices
from marketplace.i18n import lazy_date
from marketplace.i18n import lazy_gettext as _l
from marketplace.producers.taxonomy import CERTIFICATION_SCHEMES, CURRENCIES, OTHER_CLAIM, category_choices, country_choices
from marketplace.text import clean_line, word_list

MAX_LIST_FIELD_LENGTH = 2000  # characters of a comma-separated list field, before it is split


def words(value: str | None) -> list[str]:
    """Split a comma-separated field into clean, de-duplicated entries (already checked by `word_list_check`)."""
    return word_list(value)


def word_list_check(_form: FlaskForm, field: Field) -> None:
    """Refuse a list field with too many or too long entries, with the reason next to it."""
    try:
        word_list(field.data)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _word_list_field(label: str, description: str) -> StringField:
    return StringField(label, validators=[Length(max=MAX_LIST_FIELD_LENGTH), word_list_check], description=description)


def category_select_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name, optgroup=top) for code, name, top in category_choices()]


def _category_field(label: str | None = None) -> SelectField:
    return SelectField(label or _l("Category"), validators=[DataRequired(_l("Choose a category."))])


def _currency_field() -> SelectField:
    return SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES), default="USD")


class ProfileForm(Form):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=200)])
    story = TextAreaField(
        _l("Your story"),
        validators=[Length(max=5000)],
        description=_l("Who you are, where your artisans work, what makes your craft yours. Buyers read this first."),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()])
    region = StringField(_l("Region or county"), validators=[Length(max=120)])
    city = StringField(_l("Town or city"), validators=[Length(max=120)])
    latitude = CoordinateField(
        _l("Latitude"), validators=[Optional(), NumberRange(-90, 90)], description=_l("For distance search, e.g. -1.2921")
    )
    longitude = CoordinateField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)], description=_l("e.g. 36.8219"))
    artisan_count = WholeNumberField(_l("Number of artisans"), validators=[InputRequired(), NumberRange(min=0)])
    women_share = WholeNumberField(_l("Women among them (%)"), validators=[Optional(), NumberRange(0, 100)], default=0)
    youth_share = WholeNumberField(
        _l("Young people (under 35) among them (%)"), validators=[Optional(), NumberRange(0, 100)], default=0
    )
    languages = _word_list_field(_l("Languages you work in"), _l("Separate with commas, e.g. Swahili, English"))
    response_time_hours = WholeNumberField(_l("Usual reply time (hours)"), validators=[Optional(), NumberRange(1, 24 * 14)])
    currency = SelectField(
        _l("Currency you price in"),
        description=_l("The pricing helper works in it; quotes are converted to the buyer's currency at the rate you type."),
    )
    artisan_share_floor = WholeNumberField(
        _l("Lowest artisans' share of a price (%)"),
        validators=[Optional(), NumberRange(0, 100)],
        default=25,
        description=_l("The pricing helper warns when the artisans' pay is a smaller part of a price than this."),
    )
    time_zone = SelectField(
        _l("Time zone"),
        validate_choice=False,
        description=_l("Invoices are dated and weeks start in this zone. Leave it on your country's unless you work elsewhere."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices(country_choices())
        self.currency.choices = choices([("", _("The currency of your capabilities")), *((c, c) for c in CURRENCIES)])
        self.currency.data = self.currency.data or ""  # none chosen: the capabilities' currency
        self.time_zone.choices = [
            SelectChoice("", _("My country's time zone")),  # IANA's names are the same in every language
            *(SelectChoice(name, name.replace("_", " "), {"translate": "no"}) for name in time_zone_names()),
        ]

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not in a field validator: Optional() ends a field's checks when it is empty.
        if (
            not self.latitude.errors
            and not self.longitude.errors
            and (self.latitude.data is None) != (self.longitude.data is None)
        ):
            self.longitude.errors.append("Give both latitude and longitude, or leave both empty.")
            return False
        return valid

    def values(self) -> dict[str, object]:
        floor = {} if self.artisan_share_floor.data is None else {"artisan_share_floor": self.artisan_share_floor.data}
        return floor | {
            "name": self.name.data.strip(),
            "story": (self.story.data or "").strip(),
            "country": self.country.data,
            "region": (self.region.data or "").strip(),
            "city": (self.city.data or "").strip(),
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            "artisan_count": self.artisan_count.data,
            "women_share": self.women_share.data or 0,
            "youth_share": self.youth_share.data or 0,
            "languages": words(self.languages.data),
            "response_time_hours": self.response_time_hours.data,
            "currency": self.currency.data or None,
            "time_zone": self.time_zone.data or None,
        }


class CapabilityForm(OneTimeForm):
    category = _category_field()
    title = StringField(
        _l("Title (optional)"),
        validators=[Length(max=120)],
        description=_l("Your own name for it, as buyers would say it, e.g. Sisal market baskets, 30 cm"),
    )
    materials = _word_list_field(_l("Materials"), _l("Separate with commas, e.g. sisal, recycled brass, cotton"))
    techniques = _word_list_field(_l("Techniques"), _l("e.g. coiling, backstrap weaving, lost-wax casting"))
    moq = WholeNumberField(_l("Minimum order (units)"), validators=[InputRequired(), NumberRange(min=1)], default=1)
    lead_time_days = WholeNumberField(_l("Lead time (days)"), validators=[InputRequired(), NumberRange(0, 730)])
    price_min = AmountField(_l("Lowest unit price"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    price_max = AmountField(_l("Highest unit price"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    currency = _currency_field()
    weekly_capacity = WholeNumberField(
        _l("Units you can make in a usual week"),
        validators=[InputRequired(), NumberRange(min=0)],
        description=_l("Change particular weeks (harvest, holidays) in the capacity calendar."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_select_choices()

    def validate_price_max(self, field: Field) -> None:
        if self.price_min.data is not None and field.data is not None and field.data < self.price_min.data:
            raise ValidationError(_("The highest price cannot be below the lowest."))

    def values(self) -> dict[str, object]:
        return {
            "category": self.category.data,
            "title": clean_line(self.title.data),
            "materials": [m.lower() for m in words(self.materials.data)],
            "techniques": [t.lower() for t in words(self.techniques.data)],
            "moq": self.moq.data,
            "lead_time_days": self.lead_time_days.data,
            "price_min": self.price_min.data,
            "price_max": self.price_max.data,
            "currency": self.currency.data,
            "weekly_capacity": self.weekly_capacity.data,
        }


def capacity_form(weeks: list[dt.date]) -> type[FlaskForm]:
    """A form with one units field per week shown, named by the week's Monday."""

    class CapacityForm(Form):
        fill_units = WholeNumberField(_l("Units"), validators=[Optional(), NumberRange(min=0)])
        fill_from = DateField(_l("From the week of"), validators=[Optional()])
        fill_to = DateField(_l("to the week of"), validators=[Optional()])
        holiday = SubmitField(_l("Close these weeks (0 units)"))

        def validate_fill_from(self, field: Field) -> None:
            if self.holiday.data and field.data is None:
                raise ValidationError(_("Give the first day of the holiday."))

        def validate_fill_to(self, field: Field) -> None:
            if field.data and self.fill_from.data and field.data < self.fill_from.data:
                raise ValidationError(_("The last day cannot be before the first."))

        def units_by_week(self) -> dict[dt.date, int]:
            """Map each Monday shown to its units; a range (or the holiday button, meaning 0) overrides the weeks it touches."""
            units = {monday: getattr(self, f"week_{monday:%Y%m%d}").data for monday in weeks}
            fill = 0 if self.holiday.data else self.fill_units.data
            if fill is not None:
                start = self.fill_from.data or weeks[0]
                end = self.fill_to.data or (start if self.holiday.data else weeks[-1])
                for monday in weeks:
                    if start - dt.timedelta(days=6) <= monday <= end:
                        units[monday] = fill
            return units

    for monday in weeks:
        setattr(
            CapacityForm,
            f"week_{monday:%Y%m%d}",
            WholeNumberField(
                lazy_date(monday), validators=[InputRequired(_l("Enter a number (0 for none).")), NumberRange(min=0)]
            ),
        )
    return CapacityForm


class CertificationForm(OneTimeForm):
    scheme = SelectField(
        _l("Certification"),
        # Schemes keep their official names (none has one in Loom's languages): marked so no one translates them.
        choices=[
            *(SelectChoice(s.code, s.name, {"translate": "no"}) for s in CERTIFICATION_SCHEMES.values()),
            SelectChoice(OTHER_CLAIM, _l("Other (name it below)")),
        ],
    )
    name = StringField(
        _l("Name, if “Other”"),
        validators=[Length(max=120)],
        description=_l("Shown to buyers as self-declared and unverified; it never counts as verified in search filters."),
    )
    reference = StringField(_l("Certificate or member number"), validators=[Length(max=120)])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    evidence = FileField(
        _l("Certificate (PDF or photo)"), description=_l("An operator checks it before the badge shows as verified.")
    )


class ProductForm(OneTimeForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)], description=_l("Your own product code"))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    category = _category_field()
    materials = _word_list_field(_l("Materials"), _l("Separate with commas"))
    moq = WholeNumberField(_l("Minimum order (units)"), validators=[InputRequired(), NumberRange(min=1)], default=1)
    lead_time_days = WholeNumberField(_l("Lead time (days)"), validators=[InputRequired(), NumberRange(0, 730)])
    currency = _currency_field()
    tier1_quantity = WholeNumberField(_l("From (units)"), validators=[InputRequired(), NumberRange(min=1)], default=1)
    tier1_price = AmountField(_l("Unit price"), places=2, validators=[InputRequired(), NumberRange(min=Decimal("0.01"))])
    tier2_quantity = WholeNumberField(_l("From (units)"), validators=[Optional(), NumberRange(min=1)])
    tier2_price = AmountField(_l("Unit price"), places=2, validators=[Optional(), NumberRange(min=Decimal("0.01"))])
    tier3_quantity = WholeNumberField(_l("From (units)"), validators=[Optional(), NumberRange(min=1)])
    tier3_price = AmountField(_l("Unit price"), places=2, validators=[Optional(), NumberRange(min=Decimal("0.01"))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_select_choices()

    def tiers(self) -> list[tuple[int, Decimal]]:
        pairs = [
            (self.tier1_quantity, self.tier1_price),
            (self.tier2_quantity, self.tier2_price),
            (self.tier3_quantity, self.tier3_price),
        ]
        return [(q.data, p.data) for q, p in pairs if q.data is not None and p.data is not None]

    def validate_tier3_price(self, _field: Field) -> None:
        for quantity, price in ((self.tier2_quantity, self.tier2_price), (self.tier3_quantity, self.tier3_price)):
            if (quantity.data is None) != (price.data is None):
                raise ValidationError(_("Give both the quantity and the price of each extra tier, or neither."))

    def values(self) -> dict[str, object]:
        return {
            "sku": self.sku.data.strip(),
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip(),
            "category": self.category.data,
            "materials": [m.lower() for m in words(self.materials.data)],
            "moq": self.moq.data,
            "lead_time_days": self.lead_time_days.data,
            "currency": self.currency.data,
        }


class PhotoForm(OneTimeForm):
    photo = FileField(
        _l("Photo"), validators=[FileRequired(_l("Choose a photo to upload."))], description=_l("JPEG, PNG or WebP, up to 5 MB")
    )
    caption = StringField(_l("Caption"), validators=[Length(max=200)])
    product = SelectField(_l("Show it with"), default="")

    def __init__(self, *args: object, products: list[tuple[int, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.product.choices = [
            SelectChoice("", _("The group's gallery")),
            *(SelectChoice(str(pid), _("Product: %(title)s", title=title), {"dir": "auto"}) for pid, title in products),
        ]

    @property
    def product_id(self) -> int | None:
        return int(self.product.data) if self.product.data else None
