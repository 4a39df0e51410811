"""Forms for payout details and for recording a payout made outside Stripe."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.forms import AmountField, Form, OneTimeForm, choices
from marketplace.i18n import lazy_gettext as _l
from marketplace.money import MAX_TOTAL

METHODS = choices(
    [("mobile_money", _l("Mobile money (M-Pesa, MTN MoMo, Airtel Money…)")), ("bank_transfer", _l("Bank transfer"))]
)


class PayoutDetailsForm(Form):
    method = SelectField(_l("How should Loom pay you?"), choices=METHODS, default="mobile_money")
    provider = StringField(
        _l("Service or bank"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("For example M-Pesa, MTN MoMo, Equity Bank, Banco Industrial."),
    )
    account_name = StringField(_l("Name on the account"), validators=[DataRequired(), Length(max=120)])
    number = StringField(
        _l("Phone or account number"),
        validators=[DataRequired(), Length(min=6, max=40)],
        description=_l("Stored encrypted; pages show only its last four digits."),
    )


class ManualRefundForm(Form):
    reference = StringField(
        _l("Bank reference of the transfer back"),
        validators=[DataRequired(message=_l("Give the bank's reference.")), Length(max=100)],
    )


class RecordPayoutForm(Form):
    method = SelectField(_l("Sent by"), choices=METHODS)
    reference = StringField(
        _l("Reference"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("The M-Pesa confirmation code or the bank's transfer reference."),
    )
    note = StringField(_l("Note for the group"), validators=[Optional(), Length(max=300)])
    sent_currency = StringField(
        _l("Sent in (currency)"),
        validators=[Optional(), Length(min=3, max=3)],
        description=_l("The currency the group received, such as KES."),
    )
    exchange_rate = AmountField(
        _l("Exchange rate used"),
        places=4,
        validators=[Optional(), NumberRange(min=Decimal("0.0001"))],
        description=_l("Units of the sent currency for 1 unit of the order's currency; needed when they differ."),
    )
    seen_amount = HiddenField()  # the payout's amount on the page the operator sent money from

    def seen(self) -> Decimal | None:
        """Return the payout amount the page showed, or None when the post carried none (or garbage)."""
        try:
            return Decimal(self.seen_amount.data or "")
        except (InvalidOperation, ValueError):
            return None


class BankTransferForm(OneTimeForm):
    amount = AmountField(
        _l("Amount received"),
        maximum=MAX_TOTAL,
        validators=[InputRequired(message=_l("Give the amount that arrived."))],
        description=_l("In the invoice's currency, as the bank statement shows it."),
    )
    reference = StringField(
        _l("Bank reference"),
        validators=[DataRequired(message=_l("Give the bank's reference for the transfer.")), Length(max=100)],
    )


class PartialRefundForm(OneTimeForm):
    amount = AmountField(
        _l("Amount to give back"),
        maximum=MAX_TOTAL,
        validators=[InputRequired(message=_l("Give the amount to refund."))],
        description=_l("In the invoice's currency; at most what is still refundable."),
    )
    reason = StringField(
        _l("Why (the buyer and the group read it)"),
        validators=[DataRequired(message=_l("Say why the money goes back.")), Length(max=200)],
    )


class CollectingAccountForm(Form):
    bank = StringField(
        _l("Bank"),
        validators=[DataRequired(message=_l("Say which bank the account is at.")), Length(max=60)],
        description=_l("For example Equity Bank, KCB, Banco Industrial."),
    )
    # Its own ids: /manage/payouts shows it beside PayoutDetailsForm, whose fields have the same names.
    account_name = StringField(
        _l("Name on the account"), validators=[DataRequired(), Length(max=120)], id="collecting-account_name"
    )
    number = StringField(
        _l("Account number or IBAN"),
        id="collecting-number",
        validators=[DataRequired(), Length(min=6, max=40)],
        description=_l("Stored encrypted; only your invoices show it in full, to the buyer who pays them."),
    )
    other = StringField(_l("Branch, SWIFT/BIC or other instructions (optional)"), validators=[Optional(), Length(max=200)])


class _PerItemForm(OneTimeForm):
    """A one-time form shown once per item on a page (`prefix` per item): each keeps its own ids."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self._prefix:
            self.submission.id = f"{self._prefix}submission"


class RefundSentForm(_PerItemForm):
    amount = AmountField(
        _l("Amount sent back"),
        maximum=MAX_TOTAL,
        validators=[InputRequired(message=_l("Give the amount you sent."))],
        description=_l("In the invoice's currency, as your bank statement shows it."),
    )
    reference = StringField(
        _l("Bank reference of the transfer back"),
        validators=[DataRequired(message=_l("Give the bank's reference.")), Length(max=90)],
    )
    sent_on = DateField(_l("Sent on"), validators=[InputRequired(message=_l("Give the day it was sent."))])


class FeeStatementForm(_PerItemForm):
    currency = HiddenField()


class VoidStatementForm(_PerItemForm):
    reason = StringField(
        _l("Why void it"),
        validators=[DataRequired(message=_l("Say why the statement is voided.")), Length(max=300)],
    )


class StatementReceivedForm(_PerItemForm):
    amount = AmountField(
        _l("Amount received"), maximum=MAX_TOTAL, validators=[InputRequired(message=_l("Give the amount that arrived."))]
    )
    reference = StringField(
        _l("Bank reference"),
        validators=[DataRequired(message=_l("Give the bank's reference for the transfer.")), Length(max=100)],
    )
    received_on = DateField(_l("Arrived on"), validators=[InputRequired(message=_l("Give the day it arrived."))])
