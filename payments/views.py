"""Invoices (to read, print and pay), the group's payouts, the operator's payout desk, Stripe's webhook."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal

import stripe
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.billing.models import Invoice, Payout, PayoutMethod, PayoutStatus
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import attach_error, first_result, one_time, repeated
from marketplace.guards import operator_only
from marketplace.problems import problem
from marketplace.producers.guards import group_admin
from marketplace.secrets import SecretBox
from payments import checkout, collecting, fees, group_refunds, payouts, refund_settlement, refunds, settlement
from payments.forms import (
    BankTransferForm,
    CollectingAccountForm,
    FeeStatementForm,
    ManualRefundForm,
    PartialRefundForm,
    PayoutDetailsForm,
    RecordPayoutForm,
    RefundSentForm,
    StatementReceivedForm,
    VoidStatementForm,
)
from payments.gateway import PaymentsNotConfigured, StripeUnavailable, gateway_from
from payments.models import CollectingAccount, PayoutAccount, StripeEvent
from payments.settings import Settings
from payments.webhooks import TOLERANCE_SECONDS, Context, MalformedEvent, process_event, read_event, reread, signed_in_the_future

blueprint = Blueprint("payments", __name__)


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


@blueprint.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int) -> str:
    membership = context.current_membership()
    invoice = checkout.invoice_for(db.session, membership, invoice_id)
    payout, account = collecting.payout_and_account(db.session, invoice)
    is_group = membership.organization_id == invoice.group.organization_id
    try:  # the group's own account, when its owners set one, else the marketplace's
        group_account = collecting.account_details(account, SecretBox(current_app.config["SECRETS_KEY"]))
    except ValueError:  # sealed under another key: say nothing rather than the wrong account
        group_account = {}
    return render_template(
        "payments/invoice.html",
        invoice=invoice,
        order=invoice.order,
        payout=payout if is_group else None,
        is_group=is_group,
        can_pay=checkout.can_pay(invoice, membership),
        payments_on=bool(current_app.config.get("STRIPE_SECRET_KEY")),
        group_account=group_account,
        bank_transfer="" if group_account is not None else current_app.config.get("BANK_TRANSFER_INSTRUCTIONS", ""),
        returned=request.args.get("returned") == "1",
        form=ActionForm(),
    )


@blueprint.post("/invoices/<int:invoice_id>/pay")
@login_required
def pay(invoice_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; press Pay again."), "error")
        return redirect(url_for("payments.invoice", invoice_id=invoice_id))
    membership = context.current_membership()
    try:
        url = checkout.start_checkout(
            db.session,
            membership,
            invoice_id,
            gateway=gateway_from(current_app.config),
            settings=_settings(),
            email=checkout.buyer_email(membership),
        )
    except PaymentsNotConfigured as error:
        flash(
            _("%(error)s Pay by bank transfer to the group's details on the invoice, or ask the Loom team.", error=error), "error"
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
    else:
        return redirect(url, code=303)  # Stripe's checkout page: the card form needs no JavaScript of ours
    return redirect(url_for("payments.invoice", invoice_id=invoice_id))


@blueprint.post("/payments/stripe/webhook")
def stripe_webhook() -> Response:
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return problem(503, "Webhooks are not configured", "Set LOOM_STRIPE_WEBHOOK_SECRET to this endpoint's signing secret.")
    payload = request.get_data()  # the raw bytes Stripe signed, before anything parses them
    try:
        # The signature alone: Loom reads the body itself (read_event), strictly, rather than as the library's Event.
        stripe.WebhookSignature.verify_header(payload, request.headers.get("Stripe-Signature", ""), secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        return problem(400, "Bad signature", "The Stripe-Signature header does not match this body, or its timestamp is too old.")
    except ValueError:
        return problem(400, "Not a Stripe event", "The body is not a JSON event.")
    if signed_in_the_future(request.headers.get("Stripe-Signature", ""), time.time()):
        return problem(400, "Bad signature", "The Stripe-Signature timestamp lies in the future beyond the tolerance.")
    try:
        event = read_event(payload)
    except MalformedEvent as error:
        return problem(400, "Not a Stripe event", str(error))
    try:
        event = reread(event, lambda: gateway_from(current_app.config))  # Stripe is asked before the transaction, not inside it
        outcome = process_event(db.session, event, Context(_settings()))
    except IntegrityError:
        if db.session.get(StripeEvent, event.get("id")) is None:
            raise  # not a second delivery: a real fault, which Stripe will deliver again
        outcome = "duplicate: delivered twice at once, processed once"
    except (StripeUnavailable, PaymentsNotConfigured) as error:
        return problem(503, "Try again later", f"Stripe could not be asked about this event: {error}")
    return jsonify(received=True, outcome=outcome)


# --- the group's payouts --------------------------------------------------------------------------------


def _payouts_page(
    group,
    details_form: PayoutDetailsForm | None = None,
    status: int = 200,  # type: ignore[no-untyped-def]
    collecting_form: CollectingAccountForm | None = None,
    refund_form: RefundSentForm | None = None,
):
    session = db.session
    account = session.get(PayoutAccount, group.id)
    settings = _settings()
    group_payouts = payouts.payouts_of(session, group.id)
    due = group_refunds.refunds_due(session, group.id)
    page = render_template(
        "payments/payouts.html",
        group=group,
        account=account,
        methods=PayoutMethod,
        statuses=PayoutStatus,
        collecting=session.get(CollectingAccount, group.id),
        collecting_form=collecting_form or CollectingAccountForm(formdata=None),
        method=account.method if account is not None else payouts.payout_method_for(group, settings),
        stripe_country=group.country.upper() in settings.payout_countries,
        payouts=group_payouts,
        fee_lines=fees.entries_of_payouts(session, [p.id for p in group_payouts]),
        fees_owed=fees.fees_owed(session, group.id),
        closed_statements=fees.closed_statements(session, group.id),
        bank_transfer=current_app.config.get("BANK_TRANSFER_INSTRUCTIONS", ""),
        refunds_due=due,
        buyer_reference=group_refunds.buyer_reference,
        refund_forms={
            r.id: refund_form if refund_form is not None and refund_form._prefix == f"r{r.id}-" else _refund_sent_form(r, group)
            for r in due
        },
        details_form=details_form or PayoutDetailsForm(),
        form=ActionForm(),
        payments_on=bool(current_app.config.get("STRIPE_SECRET_KEY")),
        rate_text=payouts.exchange_rate_text,
        fee_percent=settings.fee_percent,
    )
    return page, status


@blueprint.get("/manage/payouts", endpoint="payouts")
@group_admin
def group_payouts(group) -> str:  # type: ignore[no-untyped-def]
    return _payouts_page(group)


@blueprint.post("/manage/payouts/details")
@group_admin
def payout_details(group):  # type: ignore[no-untyped-def]
    form = PayoutDetailsForm()
    if not form.validate_on_submit():
        return _payouts_page(group, form, status=422)
    try:
        payouts.save_payout_details(
            db.session,
            group,
            context.current_membership(),
            method=PayoutMethod(form.method.data),
            provider=form.provider.data,
            account_name=form.account_name.data,
            number=form.number.data,
            box=SecretBox(current_app.config["SECRETS_KEY"]),
            base_url=current_app.config["BASE_URL"],
            hold=dt.timedelta(hours=float(current_app.config["PAYOUT_DETAILS_HOLD_HOURS"])),
        )
    except DomainError as error:
        attach_error(form, error)
        return _payouts_page(group, form, status=422)
    flash(_("Payout details saved. The Loom team sends your payouts there."), "success")
    return redirect(url_for("payments.payouts"))


@blueprint.post("/manage/payouts/collecting")
@group_admin
def collecting_account(group):  # type: ignore[no-untyped-def]
    """Set the group's own account that buyers pay its invoices into (owners only)."""
    form = CollectingAccountForm()
    if not form.validate_on_submit():
        return _payouts_page(group, collecting_form=form, status=422)
    try:
        collecting.save_collecting_account(
            db.session,
            group,
            context.current_membership(),
            bank=form.bank.data,
            account_name=form.account_name.data,
            number=form.number.data,
            other=form.other.data or "",
            box=SecretBox(current_app.config["SECRETS_KEY"]),
            base_url=current_app.config["BASE_URL"],
        )
    except DomainError as error:
        if error.status == 403:
            raise
        attach_error(form, error)
        return _payouts_page(group, collecting_form=form, status=422)
    flash(_("Saved. Your invoices now ask buyers to pay into this account; your owners were told by e-mail."), "success")
    return redirect(url_for("payments.payouts"))


@blueprint.post("/manage/payouts/collecting/remove")
@group_admin
def remove_collecting_account(group) -> Response:  # type: ignore[no-untyped-def]
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; press the button again."), "error")
        return redirect(url_for("payments.payouts"))
    try:
        collecting.remove_collecting_account(
            db.session, group, context.current_membership(), base_url=current_app.config["BASE_URL"]
        )
    except DomainError as error:
        if error.status == 403:
            raise
        flash(error.message, "error")
    else:
        flash(_("Your invoices show the marketplace's account again; Loom pays you out."), "success")
    return redirect(url_for("payments.payouts"))


@blueprint.route("/manage/payouts/stripe", methods=["GET", "POST"])
@group_admin
def stripe_onboarding(group) -> Response:  # type: ignore[no-untyped-def]
    if request.method == "POST" and not ActionForm().validate_on_submit():
        flash(_("The form expired; press the button again."), "error")
        return redirect(url_for("payments.payouts"))
    try:
        url = payouts.start_onboarding(
            db.session, group, context.current_membership(), gateway=gateway_from(current_app.config), settings=_settings()
        )
    except PaymentsNotConfigured as error:
        flash(_("%(error)s Give mobile-money or bank details instead.", error=error), "error")
    except DomainError as error:
        flash(error.message, "error")
    else:
        return redirect(url, code=303)
    return redirect(url_for("payments.payouts"))


@blueprint.get("/manage/payouts/stripe/return")
@group_admin
def stripe_return(group) -> Response:  # type: ignore[no-untyped-def]
    account = db.session.get(PayoutAccount, group.id)
    try:
        fresh = (
            gateway_from(current_app.config).account(account.stripe_account_id) if account and account.stripe_account_id else None
        )
        ready = False
        if fresh is not None:
            ready = payouts.refresh_account(db.session, group.id, fresh).ready
    except (PaymentsNotConfigured, StripeUnavailable):
        flash(_("Stripe did not answer just now; your account's status will update by itself shortly."), "info")
    else:
        flash(
            _("Your Stripe account is ready: payouts go to it.")
            if ready
            else _("Stripe still needs some details before it can pay you; use “Continue with Stripe” to finish."),
            "success" if ready else "info",
        )
    return redirect(url_for("payments.payouts"))


def _refund_sent_form(refund, group) -> RefundSentForm:  # type: ignore[no-untyped-def]
    return RefundSentForm(prefix=f"r{refund.id}-", formdata=None, amount=refund.amount, sent_on=group.organization.today())


@blueprint.post("/manage/payouts/refunds/<int:refund_id>/sent")
@group_admin
def group_refund_sent(group, refund_id: int):  # type: ignore[no-untyped-def]
    """The group marks a refund it owes a buyer (money paid into its own account) sent back."""
    form = RefundSentForm(prefix=f"r{refund_id}-")
    if form.validate_on_submit():
        try:
            sent = group_refunds.record_refund_sent(
                db.session,
                current_user.id,
                refund_id,
                membership=context.current_membership(),
                amount=form.amount.data,
                reference=form.reference.data,
                sent_on=form.sent_on.data,
                settings=_settings(),
                submission=one_time(form, url_for("payments.payouts", _anchor="refunds-due")),
            )
            if repeated(sent):
                return first_result(sent)
        except DomainError as error:
            if error.status == 404:
                raise
            attach_error(form, error)
        else:
            flash(_("Thank you: the refund is recorded as sent; the buyer is told and the invoice shows it."), "success")
            return redirect(url_for("payments.payouts", _anchor="refunds-due"))
    return _payouts_page(group, refund_form=form, status=422)


@blueprint.post("/manage/payouts/<int:payout_id>/confirm")
@login_required
def confirm_payout(payout_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            payouts.confirm_payout(db.session, context.current_membership(), payout_id)
        except DomainError as error:
            if error.status == 404:
                raise
            flash(error.message, "error")
        else:
            flash(_("Thank you: the payout is marked received."), "success")
    return redirect(url_for("payments.payouts"))


# --- the operator's payout desk ----------------------------------------------------------------------------


@blueprint.get("/operator/payouts")
@operator_only
def operator_payouts() -> str:
    session = db.session
    pending = session.scalars(
        select(Payout)
        .where(Payout.status == PayoutStatus.PENDING, Payout.method != PayoutMethod.STRIPE_TRANSFER)
        .order_by(Payout.id)
    ).all()
    to_recover = session.scalars(select(Payout).where(Payout.note.like("To recover%")).order_by(Payout.id)).all()
    accounts = {
        a.group_id: a
        for a in session.scalars(select(PayoutAccount).where(PayoutAccount.group_id.in_({p.group_id for p in pending})))
    }
    box = SecretBox(current_app.config["SECRETS_KEY"])
    details = {gid: box.open(a.details_secret).split("\n") for gid, a in accounts.items() if a.details_secret}
    events = session.scalars(select(StripeEvent).order_by(StripeEvent.received_at.desc()).limit(30)).all()
    owing = fees.groups_owing(session)
    due = group_refunds.refunds_due(session)
    return render_template(
        "payments/operator.html",
        pending=pending,
        fee_lines=fees.entries_of_payouts(session, [p.id for p in pending] + [p.id for p in to_recover]),
        owing=owing,
        buyer_reference=group_refunds.buyer_reference,
        refunds_due={
            r: RefundSentForm(
                prefix=f"r{r.id}-", formdata=None, amount=r.amount, sent_on=r.payment.invoice.group.organization.today()
            )
            for r in due
        },
        statement_forms={
            (g.id, o.currency): FeeStatementForm(prefix=f"g{g.id}{o.currency}-", formdata=None, currency=o.currency)
            for g, owed in owing
            for o in owed
            if o.open > 0
        },
        received_forms={
            s.id: StatementReceivedForm(prefix=f"s{s.id}-", formdata=None, amount=s.amount)
            for _g, owed in owing
            for o in owed
            for s in o.statements
        },
        void_forms={
            s.id: VoidStatementForm(prefix=f"v{s.id}-", formdata=None) for _g, owed in owing for o in owed for s in o.statements
        },
        closed_statements=fees.closed_statements(session),
        to_recover=to_recover,
        details=details,
        events=events,
        accounts=accounts,
        failed_refunds=refunds.failed_refunds(session),
        retry_form=ActionForm(),
        manual_refunds={r: ManualRefundForm(prefix=f"r{r.id}") for r in refunds.manual_refunds(session)},
        forms={
            p.id: RecordPayoutForm(
                prefix=f"p{p.id}",
                method=p.method.value,
                sent_currency=payouts.received_currency(p.invoice.group, p.currency),
                seen_amount=str(p.amount),
            )
            for p in pending
        },
    )


def _desk_action(form: FlaskForm, invalid: str, act: Callable[[Session], object], done: str) -> Response:
    """Run one operator action (a use case) from the payout desk, say how it went, and go back to the desk."""
    if not form.validate_on_submit():
        flash(invalid, "error")
        return redirect(url_for("payments.operator_payouts"))
    try:
        act(db.session)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("payments.operator_payouts"))


@blueprint.post("/operator/groups/<int:group_id>/lift-hold")
@operator_only
def lift_hold(group_id: int) -> Response:
    return _desk_action(
        ActionForm(),
        "The page was out of date; try again.",
        lambda session: payouts.lift_hold(session, group_id),
        "Hold lifted: the group's payouts can be sent to its new details.",
    )


@blueprint.post("/operator/refunds/<int:refund_id>/sent")
@operator_only
def record_manual_refund(refund_id: int) -> Response:
    form = ManualRefundForm(prefix=f"r{refund_id}")
    return _desk_action(
        form,
        "Give the bank's reference of the transfer back to the buyer.",
        lambda session: refund_settlement.record_manual_refund(
            session, current_user.id, refund_id, reference=form.reference.data, settings=_settings()
        ),
        "Refund recorded; the buyer is told and the invoice shows it.",
    )


def _desk_once(form: FlaskForm, act: Callable[[Session, object], object], done: str) -> Response:
    """Run one operator action with a one-time form from the payout desk: a repeated post makes nothing twice."""
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for errors in form.errors.values() for e in errors) or _("The page was out of date; try again."),
            "error",
        )
        return redirect(url_for("payments.operator_payouts"))
    try:
        result = act(db.session, one_time(form, url_for("payments.operator_payouts")))
        if repeated(result):
            return first_result(result)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("payments.operator_payouts"))


@blueprint.post("/operator/refunds/<int:refund_id>/group-sent")
@operator_only
def operator_refund_sent(refund_id: int) -> Response:
    """The operator marks a refund due from a group sent (the group told the Loom team it sent it)."""
    form = RefundSentForm(prefix=f"r{refund_id}-")
    return _desk_once(
        form,
        lambda session, once: group_refunds.record_refund_sent(
            session,
            current_user.id,
            refund_id,
            membership=None,
            amount=form.amount.data,
            reference=form.reference.data,
            sent_on=form.sent_on.data,
            settings=_settings(),
            submission=once,
        ),
        _("Refund recorded as sent; the buyer is told and the invoice shows it."),
    )


@blueprint.post("/operator/groups/<int:group_id>/fee-statement/<currency>")
@operator_only
def issue_fee_statement(group_id: int, currency: str) -> Response:
    """Bill a group the fees it owes in `currency` that no payout took."""
    form = FeeStatementForm(prefix=f"g{group_id}{currency}-")
    return _desk_once(
        form,
        lambda session, once: fees.issue_statement(
            session,
            current_user.id,
            group_id,
            currency.upper()[:3],
            instructions=current_app.config.get("BANK_TRANSFER_INSTRUCTIONS", ""),
            base_url=current_app.config["BASE_URL"],
            submission=once,
        ),
        _("Fee statement issued; the group is e-mailed how to pay it."),
    )


@blueprint.post("/operator/fee-statements/<int:statement_id>/received")
@operator_only
def fee_statement_received(statement_id: int) -> Response:
    """Mark a group's transfer for a fee statement received."""
    form = StatementReceivedForm(prefix=f"s{statement_id}-")
    return _desk_once(
        form,
        lambda session, once: fees.mark_statement_received(
            session,
            current_user.id,
            statement_id,
            amount=form.amount.data,
            reference=form.reference.data,
            received_on=form.received_on.data,
            base_url=current_app.config["BASE_URL"],
            submission=once,
        ),
        _("Statement marked paid; the group is thanked by e-mail."),
    )


@blueprint.post("/operator/fee-statements/<int:statement_id>/void")
@operator_only
def void_fee_statement(statement_id: int) -> Response:
    """Void an issued fee statement with a reason; its fees go back to the group's open balance."""
    form = VoidStatementForm(prefix=f"v{statement_id}-")
    return _desk_once(
        form,
        lambda session, once: fees.void_statement(
            session,
            current_user.id,
            statement_id,
            reason=form.reason.data,
            base_url=current_app.config["BASE_URL"],
            submission=once,
        ),
        _("Statement voided; its fees are open again and the group is told why."),
    )


@blueprint.post("/operator/refunds/<int:refund_id>/retry")
@operator_only
def retry_refund(refund_id: int) -> Response:
    return _desk_action(
        ActionForm(),
        "The page was out of date; try again.",
        lambda session: refunds.retry_refund(session, refund_id),
        "Refund asked again; it shows as refunded on the invoice once Stripe has made it.",
    )


@blueprint.get("/operator/invoices/<int:invoice_id>")
@blueprint.post("/operator/invoices/<int:invoice_id>/refund", endpoint="refund_part")
@operator_only
def operator_invoice(invoice_id: int) -> Response | tuple[str, int] | str:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        return render_template("error.html", status=404, title="Not found", detail="No such invoice."), 404
    form = PartialRefundForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            refunded = refunds.refund_part(
                db.session,
                current_user.id,
                invoice_id,
                amount=form.amount.data,
                reason=form.reason.data,
                settings=_settings(),
                submission=one_time(form, url_for("payments.operator_invoice", invoice_id=invoice_id)),
            )
            if repeated(refunded):
                return first_result(refunded)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Refund on its way to the buyer; the group's payout is adjusted once Stripe has made it."), "success")
            return redirect(url_for("payments.operator_invoice", invoice_id=invoice_id))
    return _operator_invoice_page(
        invoice, form=form, transfer_form=BankTransferForm(formdata=None), status=422 if request.method == "POST" else 200
    )


def _operator_invoice_page(
    invoice: Invoice, *, form: PartialRefundForm, transfer_form: BankTransferForm, status: int
) -> tuple[str, int]:
    refundable = sum((refunds.refundable(p) for p in invoice.payments if p.provider == "stripe"), Decimal(0))
    return render_template(
        "payments/operator_invoice.html",
        invoice=invoice,
        form=form,
        refundable=refundable,
        transfer_form=transfer_form,
        group_account=db.session.get(CollectingAccount, invoice.group_id),
    ), status


@blueprint.post("/operator/invoices/<int:invoice_id>/transfer")
@operator_only
def record_transfer(invoice_id: int) -> Response | tuple[str, int]:
    """Mark a bank transfer received; it settles the invoice as a Stripe payment would."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        return render_template("error.html", status=404, title="Not found", detail="No such invoice."), 404
    form = BankTransferForm()
    if form.validate_on_submit():
        try:
            recorded = settlement.record_bank_transfer(
                db.session,
                current_user.id,
                invoice_id,
                amount=form.amount.data,
                reference=form.reference.data,
                settings=_settings(),
                submission=one_time(form, url_for("payments.operator_invoice", invoice_id=invoice_id)),
            )
            if repeated(recorded):
                return first_result(recorded)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Transfer recorded: the invoice is paid, the buyer and the group are told."), "success")
            return redirect(url_for("payments.operator_invoice", invoice_id=invoice_id))
    db.session.refresh(invoice)
    return _operator_invoice_page(invoice, form=PartialRefundForm(formdata=None), transfer_form=form, status=422)


@blueprint.post("/operator/payouts/<int:payout_id>/record")
@operator_only
def record_payout(payout_id: int) -> Response:
    form = RecordPayoutForm(prefix=f"p{payout_id}")
    if not form.validate_on_submit():
        flash(
            " ".join(e for errors in form.errors.values() for e in errors if isinstance(e, str))
            if set(form.errors) - {"reference"}
            else _("Give the transfer's reference (the M-Pesa code or the bank's reference)."),
            "error",
        )
        return redirect(url_for("payments.operator_payouts"))
    try:
        payouts.record_payout(
            db.session,
            current_user,
            payout_id,
            method=PayoutMethod(form.method.data),
            reference=form.reference.data,
            note=form.note.data or "",
            base_url=current_app.config["BASE_URL"],
            sent_currency=form.sent_currency.data,
            exchange_rate=form.exchange_rate.data,
            seen_amount=form.seen(),
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Payout recorded; the group is asked to confirm receipt."), "success")
    return redirect(url_for("payments.operator_payouts"))
