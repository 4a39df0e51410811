"""Forms for payout details and for recording a payout made outside Stripe."""
from __future__ import annotations

from decimal import Decimal

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.forms import AmountField, Form, OneTimeForm, choices
from marketplace.money import MAX_TOTAL

METHODS = choices([("mobile_money", "Mobile money (M-Pesa, MTN MoMo, Airtel Money…)"), ("bank_transfer", "Bank transfer")])


class PayoutDetailsForm(Form):
    method = SelectField("How should Loom pay you?", choices=METHODS, default="mobile_money")
    provider = StringField("Service or bank", validators=[DataRequired(), Length(max=60)],
                           description="For example M-Pesa, MTN MoMo, Equity Bank, Banco Industrial.")  # fmt: skip
    account_name = StringField("Name on the account", validators=[DataRequired(), Length(max=120)])
    number = StringField("Phone or account number", validators=[DataRequired(), Length(min=6, max=40)],
                         description="Stored encrypted; pages show only its last four digits.")  # fmt: skip


class ManualRefundForm(Form):
    reference = StringField("Bank reference of the transfer back", validators=[DataRequired(message="Give the bank's reference."), Length(max=100)])


class RecordPayoutForm(Form):
    method = SelectField("Sent by", choices=METHODS)
    reference = StringField("Reference", validators=[DataRequired(), Length(max=120)],
                            description="The M-Pesa confirmation code or the bank's transfer reference.")  # fmt: skip
    note = StringField("Note for the group", validators=[Optional(), Length(max=300)])
    sent_currency = StringField("Sent in (currency)", validators=[Optional(), Length(min=3, max=3)],
                                description="The currency the group received, such as KES.")  # fmt: skip
    exchange_rate = AmountField("Exchange rate used", places=4, validators=[Optional(), NumberRange(min=Decimal("0.0001"))],
                                description="Units of the sent currency for 1 unit of the order's currency; needed when they differ.")  # fmt: skip


class BankTransferForm(OneTimeForm):
    amount = AmountField("Amount received", maximum=MAX_TOTAL, validators=[InputRequired(message="Give the amount that arrived.")],
                          description="In the invoice's currency, as the bank statement shows it.")  # fmt: skip
    reference = StringField("Bank reference", validators=[DataRequired(message="Give the bank's reference for the transfer."), Length(max=100)])


class PartialRefundForm(OneTimeForm):
    amount = AmountField("Amount to give back", maximum=MAX_TOTAL, validators=[InputRequired(message="Give the amount to refund.")],
                          description="In the invoice's currency; at most what is still refundable.")  # fmt: skip
    reason = StringField("Why (the buyer and the group read it)", validators=[DataRequired(message="Say why the money goes back."), Length(max=200)])
