"""Reviewing an order (the buyer) and answering a review (the group)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from marketplace.accounts import context
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import attach_error, first_result, one_time, render_form, repeated
from marketplace.orders.services import order_for
from marketplace.reputation import services
from marketplace.reputation.forms import ReplyForm, ReviewForm
from marketplace.reputation.models import Review
from marketplace.reputation.record import track_record_html

blueprint = Blueprint("reviews", __name__)
blueprint.add_app_template_global(track_record_html, "track_record_html")  # a group's record: profile, search results


@blueprint.route("/orders/<int:order_id>/review", methods=["GET", "POST"])
@login_required
def review(order_id: int) -> Response | tuple[str, int]:
    membership = context.current_membership()
    order = order_for(db.session, membership, order_id)  # 404 for anyone else
    existing = services.review_of(db.session, order.id)
    form, reply_form = ReviewForm(), ReplyForm()
    is_buyer = membership.organization_id == order.buyer_id
    if is_buyer and existing is None and form.validate_on_submit():
        try:
            left = services.leave_review(
                db.session,
                membership,
                order_id,
                rating=int(form.rating.data),
                quality=int(form.quality.data),
                communication=int(form.communication.data),
                on_time=int(form.on_time.data),
                text=form.text.data or "",
                submission=one_time(form, url_for("reviews.review", order_id=order_id)),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if repeated(left):
                return first_result(left)
            flash("Thank you: your review is on the group's profile.", "success")
            return redirect(url_for("reviews.review", order_id=order_id))
    return render_form(
        "orders/review.html",
        form,
        order=order,
        review=existing,
        reply_form=reply_form,
        is_buyer=is_buyer,
        reviewable=order.status in services.REVIEWABLE,
    )


@blueprint.post("/reviews/<int:review_id>/reply")
@login_required
def reply(review_id: int) -> Response | tuple[str, int]:
    membership = context.current_membership()
    form = ReplyForm()
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    order_id = review.order_id
    if form.validate_on_submit():
        try:
            services.reply_to_review(db.session, membership, review_id, text=form.text.data or "")
        except DomainError as error:
            if error.status in (403, 404):
                raise
            attach_error(form, error)
        else:
            flash("Your answer is published under the review.", "success")
            return redirect(url_for("reviews.review", order_id=order_id))
    order = order_for(db.session, membership, order_id)
    page = render_template(
        "orders/review.html",
        form=ReviewForm(formdata=None),
        order=order,
        review=review,
        reply_form=form,
        is_buyer=False,
        reviewable=True,
    )
    return page, 422
