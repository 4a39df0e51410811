"""Requests for quotation: the buyer's pages (/rfqs) and the producer group's inbox (/manage/rfqs)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select, true
from werkzeug.wrappers import Response

from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.errors import Conflict, DomainError
from marketplace.forms import attach_error, choices, fill_in, first_result, one_time, render_form, repeated
from marketplace.limits import limit
from marketplace.producers import services as producers
from marketplace.producers.commitments import capacity_fit
from marketplace.producers.models import ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES
from marketplace.queryargs import encode_id_cursor, id_cursor, iso_date, whole_number
from marketplace.redirects import local_path
from marketplace.sourcing import services
from marketplace.sourcing.forms import GroupChoice, MessageForm, QuoteForm, RfqForm
from marketplace.sourcing.models import QuoteStatus, Rfq, RfqStatus
from marketplace.sourcing.pricing import (
    REFERENCE_RATES_DATE,
    PriceSuggestion,
    fair_wage,
    fair_wage_usd,
    reference_rate,
    suggest_price,
    working_currency,
)
from marketplace.sourcing.terms import terms_for
from marketplace.uploads import send_private, store_document

blueprint = Blueprint("sourcing", __name__)
MAX_ATTACHMENTS = 3


def _base_url() -> str:
    return current_app.config["BASE_URL"]


# ----- the buyer's side --------------------------------------------------------------------------


@blueprint.route("/rfqs/new", methods=["GET", "POST"])
@login_required
@limit("RFQS", methods=["POST"])
def new_rfq() -> Response | tuple[str, int]:
    return _rfq_form(None)


@blueprint.route("/rfqs/<int:rfq_id>/edit", methods=["GET", "POST"])
@login_required
def edit_rfq(rfq_id: int) -> Response | tuple[str, int]:
    rfq = services.buyer_rfq(db.session, context.current_membership(), rfq_id)
    if rfq.status != RfqStatus.DRAFT:
        flash(_("This request was already sent; it can no longer be edited."), "info")
        return redirect(url_for("sourcing.rfq", rfq_id=rfq_id))
    return _rfq_form(rfq)


def _carried_over(form: RfqForm, groups: list[ProducerGroup]) -> str | None:
    """Fill the new request from what the buyer said in search or on a profile; return a hint when the category must be chosen."""
    category = request.args.get("category", "")
    if category in CATEGORIES and CATEGORIES[category].parent:
        form.category.data = category
    else:
        # A top category from search ("baskets"), or none from a profile: what the chosen groups make there, if that is one thing.
        made = {
            c.category
            for g in groups
            for c in g.capabilities
            if category not in CATEGORIES or CATEGORIES[c.category].parent == category
        }
        if len(made) == 1:
            form.category.data = made.pop()
        elif category in CATEGORIES:
            return _("You looked for %(category)s: choose which kind.", category=CATEGORIES[category].label)
    if units := whole_number(request.args, "units", low=1, high=10_000_000):
        form.quantity.data = units
    form.needed_by.data = iso_date(request.args, "by")
    form.title.data = request.args.get("q", "")
    return None


def _rfq_form(draft: Rfq | None) -> Response | tuple[str, int]:
    """The request form, new or a draft: chosen groups come as `group` slugs (search ticks, profile links, the form's own
    boxes)."""
    membership = services.require_buyer(context.current_membership())
    slugs = list(dict.fromkeys(request.values.getlist("group")))[: services.MAX_RECIPIENTS + 1]  # one more, to be refused
    if draft is not None and request.method == "GET":
        slugs = [*dict.fromkeys([r.group.slug for r in draft.recipients] + slugs)]
    groups = (
        list(
            db.session.scalars(
                select(ProducerGroup)
                .where(ProducerGroup.slug.in_(slugs), ProducerGroup.listed == true())
                .order_by(ProducerGroup.name)
            )
        )
        if slugs
        else []
    )
    form = RfqForm(obj=draft if request.method == "GET" else None)
    hint = None
    if request.method == "GET" and draft is None:
        hint = _carried_over(form, groups)
        form.destination_country.data = membership.organization.country
    today = context.today()
    sending = "send" in request.form or "confirmed" in request.form
    warnings = services.sending_warnings(
        groups, category=form.category.data, quantity=form.quantity.data, needed_by=form.needed_by.data, today=today
    )
    refreshing = "refresh" in request.form  # show groups for the category chosen, save nothing
    if not refreshing and form.validate_on_submit() and not (sending and warnings and "confirmed" not in request.form):
        try:
            files = [f for f in form.attachments.data or [] if f and f.filename]
            if len(files) + (len(draft.attachments) if draft else 0) > MAX_ATTACHMENTS:
                raise DomainError(
                    _("Attach at most %(MAX_ATTACHMENTS)s files.", MAX_ATTACHMENTS=MAX_ATTACHMENTS), field="attachments"
                )
            stored = [
                (
                    f.filename,
                    store_document(
                        f.stream,
                        folder=Path(current_app.config["UPLOAD_DIR"]),
                        subfolder=f"rfqs/{membership.organization_id}",
                        max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                    ),
                )
                for f in files
            ]
            common = {
                "values": form.values(),
                "group_ids": [g.id for g in groups],
                "send": sending,
                "base_url": _base_url(),
                "today": today,
                "attachments": stored,
                "submission": one_time(form, lambda made: url_for("sourcing.rfq", rfq_id=made.id)),
            }
            if draft is None:
                rfq = services.create_rfq(db.session, membership, **common)
            else:
                rfq = services.update_draft(db.session, membership, draft.id, **common)
            if repeated(rfq):
                return first_result(rfq)
        except DomainError as error:
            attach_error(form, error if error.field else DomainError(error.message, field="attachments"))
        else:
            flash(
                _("Request sent. Groups usually answer within a few days; you will get an e-mail for each quote.")
                if rfq.status == RfqStatus.OPEN
                else "Draft saved. Add groups and send it when you are ready.",
                "success",
            )
            return redirect(url_for("sourcing.rfq", rfq_id=rfq.id))
    suggested = (
        services.groups_making(db.session, form.category.data, exclude=[g.id for g in groups])
        if form.category.data in CATEGORIES
        else []
    )
    return render_form(
        "sourcing/new.html",
        form,
        groups=groups,
        draft=draft,
        hint=hint,
        warnings=warnings if sending or refreshing or request.method == "GET" else [],
        asked_to_confirm=sending and bool(warnings) and form.is_submitted() and not form.errors,
        suggested=suggested,
    )


@blueprint.post("/rfqs/drafts/groups")
@login_required
def add_to_draft() -> Response:
    """Add a group to a draft from search results or a profile (`target` = "<rfq id>:<group slug>"), then go back (`next`)."""
    back = local_path(request.form.get("next")) or url_for("sourcing.rfqs")
    rfq_id, _, slug = (request.form.get("target") or "").partition(":")
    if not ActionForm().validate_on_submit() or not rfq_id.isascii() or not rfq_id.isdigit() or not slug or int(rfq_id) >= 2**31:
        flash("That did not go through; please try again.", "error")
        return redirect(back, 303)
    try:
        rfq, group, added = services.add_to_draft(db.session, context.current_membership(), int(rfq_id), slug[:200])
        title, name = rfq.title, group.name
    except (DomainError, Conflict) as error:
        flash(error.message, "error")
    else:
        flash(f"{name} {'added to' if added else 'is already in'} your draft “{title}”.", "success" if added else "info")
    return redirect(back, 303)


@blueprint.get("/rfqs")
@login_required
def rfqs() -> str:
    membership = services.require_buyer(context.current_membership())
    rfqs, last = services.buyer_rfqs(
        db.session, membership, after=id_cursor(request.args, "after"), per_page=current_app.config["LIST_PAGE_SIZE"]
    )
    next_after = encode_id_cursor(last) if last else None
    return render_template("sourcing/list.html", rfqs=rfqs, next_after=next_after, today=context.today())


@blueprint.get("/rfqs/<int:rfq_id>")
@login_required
def rfq(rfq_id: int) -> str:
    membership = context.current_membership()
    rfq = services.buyer_rfq(db.session, membership, rfq_id)
    today = context.today()
    recipients = [r.group for r in rfq.recipients]
    chooser = GroupChoice(formdata=None)
    chooser.group.choices = choices((str(g.id), g.name) for g in recipients)
    shown = whole_number(request.args, "group", low=1, high=2**31 - 1) or (recipients[0].id if recipients else None)
    shown_group = next((g for g in recipients if g.id == shown), None)
    return render_template(
        "sourcing/rfq.html",
        rfq=rfq,
        today=today,
        rows=services.compare(
            rfq.quotes, today, {q.id: terms_for(db.session, q, current_app.config["DEPOSIT_PERCENT"]) for q in rfq.quotes}
        ),
        thread=services.thread(db.session, rfq.id, shown_group.id) if shown_group else [],
        shown_group=shown_group,
        recipients=recipients,
        chooser=chooser,
        message_form=MessageForm(),
        action_form=ActionForm(),
        can_accept=membership.role.at_least(Role.ADMIN),
        statuses=QuoteStatus,
    )


@blueprint.get("/rfqs/<int:rfq_id>/attachments/<int:attachment_id>")
@login_required
def buyer_attachment(rfq_id: int, attachment_id: int) -> Response:
    rfq = services.buyer_rfq(db.session, context.current_membership(), rfq_id)
    return _send(services.attachment_of(rfq, attachment_id))


@blueprint.get("/manage/rfqs/<int:rfq_id>/attachments/<int:attachment_id>")
@login_required
def group_attachment(rfq_id: int, attachment_id: int) -> Response:
    group = producers.group_of(db.session, context.current_membership())
    return _send(services.attachment_of(services.group_rfq(db.session, group, rfq_id), attachment_id))


def _send(attachment) -> Response:  # type: ignore[no-untyped-def]
    return send_private(
        Path(current_app.config["UPLOAD_DIR"]),
        attachment.path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@blueprint.post("/rfqs/<int:rfq_id>/send")
@login_required
def send(rfq_id: int) -> Response:
    services.send_rfq(db.session, context.current_membership(), rfq_id, base_url=_base_url())
    flash(_("Request sent."), "success")
    return redirect(url_for("sourcing.rfq", rfq_id=rfq_id))


@blueprint.post("/rfqs/<int:rfq_id>/cancel")
@login_required
def cancel(rfq_id: int) -> Response:
    services.cancel_rfq(db.session, context.current_membership(), rfq_id, base_url=_base_url())
    flash(_("Request cancelled; the groups were told."), "info")
    return redirect(url_for("sourcing.rfq", rfq_id=rfq_id))


@blueprint.post("/rfqs/<int:rfq_id>/close")
@login_required
def close(rfq_id: int) -> Response:
    services.close_rfq(db.session, context.current_membership(), rfq_id, base_url=_base_url())
    flash(_("Request closed without an order; the groups were thanked."), "info")
    return redirect(url_for("sourcing.rfq", rfq_id=rfq_id))


@blueprint.post("/rfqs/<int:rfq_id>/messages/<int:group_id>")
@login_required
@limit("MESSAGES")
def buyer_message(rfq_id: int, group_id: int) -> Response | tuple[str, int]:
    membership = context.current_membership()
    rfq = services.buyer_rfq(db.session, membership, rfq_id)
    group = next((r.group for r in rfq.recipients if r.group_id == group_id), None)
    if group is None:
        abort(404)
    form = MessageForm()
    thread = url_for("sourcing.rfq", rfq_id=rfq_id, group=group_id) + "#thread"
    if form.validate_on_submit():
        posted = services.post_message(
            db.session,
            membership,
            rfq=rfq,
            group=group,
            body=form.body.data,
            base_url=_base_url(),
            submission=one_time(form, thread),
        )
        if repeated(posted):
            return first_result(posted)
        flash(_("Message sent to %(group_name)s.", group_name=group.name), "success")
    else:
        flash(_("Write something before sending."), "error")
    return redirect(thread)


# ----- the producer group's side -----------------------------------------------------------------


@blueprint.get("/manage/rfqs")
@login_required
def inbox() -> str:
    group = producers.group_of(db.session, context.current_membership())
    rows, last = services.inbox(
        db.session, group, after=id_cursor(request.args, "after"), per_page=current_app.config["LIST_PAGE_SIZE"]
    )
    next_after = encode_id_cursor(last) if last else None
    return render_template("sourcing/inbox.html", group=group, rows=rows, next_after=next_after, today=context.today())


@blueprint.route("/manage/rfqs/<int:rfq_id>", methods=["GET", "POST"])
@login_required
def answer(rfq_id: int) -> Response | tuple[str, int]:
    membership = context.current_membership()
    group = producers.group_of(db.session, membership)
    rfq = services.group_rfq(db.session, group, rfq_id)
    today = context.today()
    quote = services.own_quote(db.session, group, rfq_id)
    form = QuoteForm(obj=quote)
    working = working_currency(group, rfq.category)
    form.label_units(working_currency=working, quote_currency=rfq.currency)
    if request.method == "GET":
        if quote is None:
            form.quantity.data = rfq.quantity
            form.incoterm.data, form.incoterm_place.data = rfq.incoterm, rfq.incoterm_place  # the buyer's, to keep or change
            capability = next((c for c in group.capabilities if c.category == rfq.category), None)
            form.lead_time_days.data = capability.lead_time_days if capability else None
        form.hourly_wage.data = fair_wage(group.country, working)  # None (left empty) without a reference rate
        if working != rfq.currency:
            form.exchange_rate.data = reference_rate(working, rfq.currency)
    suggestion = None
    if form.is_submitted() and "suggest" in request.form:
        suggestion = _suggest(form, group, working, rfq.currency)
    warnings = (
        services.quote_warnings(group, rfq, quantity=form.quantity.data, today=today)
        if form.is_submitted() and not suggestion
        else []
    )
    if (
        suggestion is None
        and "suggest" not in request.form
        and form.validate_on_submit()
        and not (warnings and "confirmed" not in request.form)
    ):
        try:
            quote = services.submit_quote(
                db.session,
                membership,
                group,
                rfq_id,
                values=form.values(),
                today=today,
                base_url=_base_url(),
                submission=one_time(form, url_for("sourcing.answer", rfq_id=rfq_id)),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if repeated(quote):
                return first_result(quote)
            flash(_("Quote sent. The buyer gets an e-mail; you can revise it until they decide."), "success")
            return redirect(url_for("sourcing.answer", rfq_id=rfq_id))
    capability = next((c for c in group.capabilities if c.category == rfq.category), None)
    quantity = form.quantity.data or rfq.quantity
    fit = capacity_fit(capability, quantity, rfq.needed_by, today) if capability else None
    page, status = render_form(
        "sourcing/answer.html",
        form,
        group=group,
        rfq=rfq,
        quote=quote,
        today=today,
        capability=capability,
        fit=fit,
        quantity=quantity,
        suggestion=suggestion,
        working_currency=working,
        warnings=warnings,
        fair_wage=fair_wage(group.country, working),
        fair_wage_usd=fair_wage_usd(group.country),
        reference_rate=reference_rate(working, rfq.currency),
        reference_rates_date=REFERENCE_RATES_DATE,
        thread=services.thread(db.session, rfq.id, group.id),
        message_form=MessageForm(),
        action_form=ActionForm(),
        quote_status=services.effective_status(quote) if quote else None,
        can_quote=membership.role.at_least(Role.ADMIN),
    )
    return page, (200 if suggestion else status)


def _suggest(form: QuoteForm, group: ProducerGroup, working: str, quote_currency: str) -> PriceSuggestion | None:
    """Work out the pricing helper's suggestion and fill it into the unit price; errors go beside the fields."""
    form.validate()
    for name in ("unit_price", "quantity", "lead_time_days", "valid_until"):
        form[name].errors = []  # the quote itself is not being sent yet
    missing = [
        (form.materials_cost, _("Give the materials cost per unit in %(currency)s.", currency=working)),
        (form.hours, _("Give the artisan hours per unit.")),
        (form.hourly_wage, _("Give a fair hourly wage in %(currency)s.", currency=working)),
    ]
    if working != quote_currency:
        missing.append(
            (
                form.exchange_rate,
                _("Give the rate you use: how many %(working)s make 1 %(quoted)s.", working=working, quoted=quote_currency),
            )
        )
    for field, message in missing:
        if field.data is None and not field.errors:
            field.errors.append(message)
    helper = (form.materials_cost, form.hours, form.hourly_wage, form.overhead_percent, form.margin_percent, form.exchange_rate)
    if any(field.errors for field in helper):
        return None  # each shown beside its field; no suggestion from numbers that did not read
    suggestion = suggest_price(
        materials=form.materials_cost.data,
        hours=form.hours.data,
        hourly_wage=form.hourly_wage.data,
        overhead_percent=form.overhead_percent.data or Decimal(0),
        margin_percent=form.margin_percent.data or Decimal(0),
        currency=working,
        quote_currency=quote_currency,
        exchange_rate=form.exchange_rate.data,
        share_floor_percent=group.artisan_share_floor,
    )
    fill_in(form.unit_price, suggestion.quoted_unit_price)
    return suggestion


@blueprint.post("/manage/rfqs/<int:rfq_id>/withdraw")
@login_required
def withdraw(rfq_id: int) -> Response:
    membership = context.current_membership()
    group = producers.group_of(db.session, membership)
    services.withdraw_quote(db.session, membership, group, rfq_id, base_url=_base_url())
    flash(_("Quote withdrawn; the buyer was told."), "info")
    return redirect(url_for("sourcing.answer", rfq_id=rfq_id))


@blueprint.post("/manage/rfqs/<int:rfq_id>/messages")
@login_required
@limit("MESSAGES")
def group_message(rfq_id: int) -> Response:
    membership = context.current_membership()
    group = producers.group_of(db.session, membership)
    rfq = services.group_rfq(db.session, group, rfq_id)
    form = MessageForm()
    thread = url_for("sourcing.answer", rfq_id=rfq_id) + "#thread"
    if form.validate_on_submit():
        posted = services.post_message(
            db.session,
            membership,
            rfq=rfq,
            group=group,
            body=form.body.data,
            base_url=_base_url(),
            submission=one_time(form, thread),
        )
        if repeated(posted):
            return first_result(posted)
        flash(_("Message sent to the buyer."), "success")
    else:
        flash(_("Write something before sending."), "error")
    return redirect(thread)
