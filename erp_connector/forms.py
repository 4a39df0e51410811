"""The forms a group admin fills in to connect the group's own Odoo and map Loom's prices to its taxes."""
from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.forms import Form, choices
from marketplace.outbound import MAX_URL_LENGTH, OutboundPolicy, OutboundRefused, check_syntax


def outbound_address(_form: FlaskForm, field: Field) -> None:
    """Refuse, before anything is called, an address the operator's outbound policy would never allow."""
    try:
        check_syntax(field.data or "", OutboundPolicy.from_config(current_app.config))
    except OutboundRefused as error:
        raise ValidationError(error.message) from None


class OdooLinkForm(Form):
    url = URLField("Odoo address", validators=[DataRequired(), Length(max=MAX_URL_LENGTH), outbound_address],
                   description="The address you open Odoo at, without /web or /odoo at the end.")  # fmt: skip
    database = StringField("Database", validators=[DataRequired(), Length(max=120)], description="Shown on Odoo's database selector, or ask whoever set Odoo up.")
    login = StringField("Login", validators=[DataRequired(), Length(max=200)], description="The Odoo user Loom acts as: give it Sales and Invoicing rights.")
    api_key = PasswordField("API key", validators=[Optional(), Length(max=200)],
                            description="In Odoo: your avatar › My Profile › Account Security › New API Key. Leave empty to keep the saved key.")  # fmt: skip
    protocol = SelectField("Protocol", default="auto", choices=choices([
        ("auto", "Automatic (JSON-2 on Odoo 19+, JSON-RPC before)"), ("jsonrpc", "JSON-RPC"), ("xmlrpc", "XML-RPC"), ("json2", "JSON-2 (Odoo 19+)"),
    ]))  # fmt: skip


class TaxMappingForm(FlaskForm):
    """How Loom's prices map to the group's Odoo taxes; the choices are the sale taxes read from that Odoo."""

    tax = SelectField("Tax on Loom's sales in your Odoo", default="none",
                      description="Loom puts exactly this on every order and invoice line, as included in Loom's prices (buyers pay the price "
                                  "shown on Loom); Odoo's default tax is never applied.")  # fmt: skip
