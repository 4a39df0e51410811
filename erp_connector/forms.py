"""The forms a group admin fills in to connect the group's own Odoo and map Loom's prices to its taxes."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import PasswordInput

from marketplace.forms import Form, choices
from marketplace.i18n import lazy_gettext as _l
from marketplace.outbound import MAX_URL_LENGTH, OutboundPolicy, OutboundRefused, check_syntax


def outbound_address(_form: FlaskForm, field: Field) -> None:
    """Refuse, before anything is called, an address the operator's outbound policy would never allow."""
    try:
        check_syntax(field.data or "", OutboundPolicy.from_config(current_app.config))
    except OutboundRefused as error:
        raise ValidationError(error.message) from None


class OdooLinkForm(Form):
    url = URLField(
        _l("Odoo address"),
        validators=[DataRequired(), Length(max=MAX_URL_LENGTH), outbound_address],
        description=_l("The address you open Odoo at, without /web or /odoo at the end."),
    )
    database = StringField(
        _l("Database"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("Shown on Odoo's database selector, or ask whoever set Odoo up."),
    )
    login = StringField(
        _l("Login"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("The Odoo user Loom acts as: give it Sales and Invoicing rights."),
    )
    # Shown again only on a re-render of the admin's own submission (the saved key is never read back): a refused
    # address does not make them fetch a new key from Odoo.
    api_key = PasswordField(
        _l("API key"),
        validators=[Optional(), Length(max=200)],
        widget=PasswordInput(hide_value=False),
        description=_l("In Odoo: your avatar › My Profile › Account Security › New API Key. Leave empty to keep the saved key."),
    )
    protocol = SelectField(
        _l("Protocol"),
        default="auto",
        choices=choices(
            [
                ("auto", _l("Automatic (JSON-2 on Odoo 19+, JSON-RPC before)")),
                ("jsonrpc", "JSON-RPC"),
                ("xmlrpc", "XML-RPC"),
                ("json2", "JSON-2 (Odoo 19+)"),
            ]
        ),
    )


class TaxMappingForm(FlaskForm):
    """How Loom's prices map to the group's Odoo taxes; the choices are the sale taxes read from that Odoo."""

    tax = SelectField(
        _l("Tax on Loom's sales in your Odoo"),
        default="none",
        description=_l(
            "Loom puts exactly this on every order and invoice line, as included in Loom's prices (buyers pay the price "
            "shown on Loom); Odoo's default tax is never applied."
        ),
    )
