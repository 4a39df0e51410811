"""Orders, for both parties: the timeline, the next steps each may take, progress and invoices."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.accounts.models import OrganizationKind, Role
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import attach_error, first_result, one_time, render_form, repeated
from marketplace.i18n import label
from marketplace.i18n import lazy_gettext as _l
from marketplace.orders import services
from marketplace.orders.forms import AcceptForm, MoveForm, ProgressForm
from marketplace.orders.models import OrderStatus
from marketplace.producers.commitments import capacity_fit
from marketplace.queryargs import encode_id_cursor, id_cursor
from marketplace.sourcing import services as sourcing
from marketplace.sourcing.models import Quote, QuoteStatus
from marketplace.sourcing.terms import terms_for
from marketplace.uploads import send_private, store_image

blueprint = Blueprint("orders", __name__)
# The stepper on the order page: the road an order takes when all goes well.
STEPS = (
    (OrderStatus.CONFIRMED, _l("Confirmed")),
    (OrderStatus.IN_PRODUCTION, _l("Being made")),
    (OrderStatus.READY, _l("Ready")),
    (OrderStatus.SHIPPED, _l("Shipped")),
    (OrderStatus.DELIVERED, _l("Received")),
    (OrderStatus.CLOSED, _l("Closed")),
)


@blueprint.get("/orders")
@login_required
def orders() -> str:
    membership = context.current_membership()
    orders, last = services.orders_of(
        db.session, membership, after=id_cursor(request.args, "after"), per_page=current_app.config["LIST_PAGE_SIZE"]
    )
    next_after = encode_id_cursor(last) if last else None
    return render_template("orders/list.html", orders=orders, membership=membership, next_after=next_after)


# ----- accepting a quote makes the order -----------------------------------------------------------


@blueprint.get("/quotes/<int:quote_id>/accept")
@login_required
def confirm_accept(quote_id: int) -> str:
    """Before an order is made: what it costs now (the deposit), what happens next, and one button to confirm."""
    membership = context.current_membership()
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        abort(404)
    rfq = sourcing.buyer_rfq(db.session, membership, quote.rfq_id)  # 404 unless the buyer's own
    capability = next((c for c in quote.group.capabilities if c.category == rfq.category), None)
    return render_template(
        "orders/accept.html",
        rfq=rfq,
        quote=quote,
        terms=terms_for(db.session, quote, current_app.config["DEPOSIT_PERCENT"]),
        status=sourcing.effective_status(quote),
        can_accept=membership.role.at_least(Role.ADMIN),
        action_form=ActionForm(),
        others=sum(1 for q in rfq.quotes if q.id != quote.id and sourcing.effective_status(q) == QuoteStatus.SUBMITTED),
        fit=capacity_fit(capability, quote.quantity, rfq.needed_by, quote.group.organization.today()) if capability else None,
    )


@blueprint.post("/quotes/<int:quote_id>/accept")
@login_required
def accept(quote_id: int) -> Response:
    form = AcceptForm()
    form.validate_on_submit()
    try:
        order = services.accept_quote(
            db.session,
            context.current_membership(),
            quote_id,
            deposit_percent=current_app.config["DEPOSIT_PERCENT"],
            base_url=current_app.config["BASE_URL"],
            seen=form.seen(),
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        quote = db.session.get(Quote, quote_id)
        return redirect(url_for("sourcing.rfq", rfq_id=quote.rfq_id) if quote else url_for("sourcing.rfqs"))
    flash(
        _(
            "Order %(order_number)s is confirmed. The deposit invoice is ready; the other groups were told.",
            order_number=order.number,
        ),
        "success",
    )
    return redirect(url_for("orders.order", order_id=order.id))


@blueprint.get("/orders/<int:order_id>")
@login_required
def order(order_id: int) -> str:
    return _order_page(order_id, None)[0]


def _order_page(order_id: int, progress_form: ProgressForm | None) -> tuple[str, int]:
    """Render the order; a progress form that came back with errors keeps what was typed (422).

    The progress form is the group's alone: a buyer's page builds none (its one-time token, its fields).
    """
    membership = context.current_membership()
    order, invoices = services.order_page(db.session, membership, order_id)
    is_group = membership.organization.kind == OrganizationKind.PRODUCER
    if progress_form is None and is_group:
        progress_form = ProgressForm(formdata=None)
    move_form = MoveForm(expected=order.status.value)
    return render_form(
        "orders/order.html",
        progress_form if progress_form is not None else move_form,
        order=order,
        membership=membership,
        moves=services.allowed_moves(order, membership),
        invoices=invoices,
        move_form=move_form,
        progress_form=progress_form,
        is_group=is_group,
        statuses=OrderStatus,
        steps=STEPS,
        payments_on=bool(current_app.config.get("STRIPE_SECRET_KEY")),
    )


@blueprint.post("/orders/<int:order_id>/move/<status>")
@login_required
def move(order_id: int, status: str) -> Response:
    try:
        target = OrderStatus(status)
    except ValueError:
        flash(_("That is not an order status."), "error")
        return redirect(url_for("orders.order", order_id=order_id))
    form = MoveForm()
    form.validate_on_submit()
    expected = OrderStatus(form.expected.data) if form.expected.data in set(OrderStatus) else None
    try:
        services.move(
            db.session,
            context.current_membership(),
            order_id,
            target,
            note=form.note.data or "",
            today=context.today(),
            base_url=current_app.config["BASE_URL"],
            expected=expected,
            carrier=form.carrier.data or "",
            tracking_number=form.tracking_number.data or "",
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
    else:
        flash(_("Order marked %(status)s.", status=label(target)), "success")
    return redirect(url_for("orders.order", order_id=order_id))


@blueprint.post("/orders/<int:order_id>/progress")
@login_required
def progress(order_id: int) -> Response | tuple[str, int]:
    form = ProgressForm()
    membership = context.current_membership()
    services.order_for(db.session, membership, order_id)  # 404 before anything is stored
    if not form.validate_on_submit():
        return _order_page(order_id, form)
    try:
        photo_path = None
        photo = form.photo.data
        if photo and photo.filename:
            stored = store_image(
                photo.stream,
                folder=Path(current_app.config["UPLOAD_DIR"]),
                subfolder=f"orders/{order_id}",
                max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
            )
            photo_path = stored.path
        posted = services.post_progress(
            db.session,
            membership,
            order_id,
            percent=form.percent.data,
            note=form.note.data or "",
            photo_path=photo_path,
            base_url=current_app.config["BASE_URL"],
            reason=form.reason.data or "",
            submission=one_time(form, url_for("orders.order", order_id=order_id)),
        )
        if repeated(posted):
            return first_result(posted)
    except DomainError as error:
        attach_error(
            form, error if error.field else DomainError(error.message, field="photo" if photo_path is None and photo else None)
        )
        return _order_page(order_id, form)
    else:
        flash(_("Progress posted; the buyer sees it on the order's timeline."), "success")
    return redirect(url_for("orders.order", order_id=order_id))


@blueprint.get("/orders/<int:order_id>/progress/<int:update_id>/photo")
@login_required
def progress_photo(order_id: int, update_id: int) -> Response:
    """A progress photo, for the order's two parties only (orders are private)."""
    order = services.order_for(db.session, context.current_membership(), order_id)
    update = next((u for u in order.progress if u.id == update_id and u.photo_path), None)
    if update is None:
        abort(404)
    return send_private(Path(current_app.config["UPLOAD_DIR"]), update.photo_path)
