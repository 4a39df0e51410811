"""The operator's desk: dead letters to retry, groups and certificates to verify."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length

from marketplace.accounts.forms import ActionForm
from marketplace.billing.models import Invoice
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import Form
from marketplace.guards import operator_only
from marketplace.i18n import lazy_gettext as _l
from marketplace.operator.letters import concerns_of
from marketplace.orders.models import Order
from marketplace.outbox import services as outbox
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from marketplace.producers import services as producers
from marketplace.producers.models import Certification, ProducerGroup
from marketplace.uploads import send_private

blueprint = Blueprint("operator", __name__, url_prefix="/operator")


class CertificationReviewForm(Form):
    """One per certification on the desk (prefixed by its id, so each page keeps its ids unique)."""

    note = StringField(_l("Note (how you checked it, or why it is rejected)"), validators=[Length(max=500)])


@blueprint.get("/")
@operator_only
def desk() -> str:
    session = db.session
    pending_certifications = session.scalars(
        select(Certification)
        .where(Certification.verified.is_(False), Certification.rejected_at.is_(None))
        .options(selectinload(Certification.group))
        .order_by(Certification.id)
        .limit(100)
    ).all()
    unverified_groups = session.scalars(
        select(ProducerGroup).where(ProducerGroup.verified.is_(False)).order_by(ProducerGroup.created_at).limit(100)
    ).all()
    return render_template(
        "operator/desk.html",
        counts=outbox.counts_by_status(session),
        dead_letters=(letters := outbox.dead_letters(session)),
        concerns=concerns_of(session, letters),
        pending_certifications=pending_certifications,
        reviewed_certifications=session.scalars(
            select(Certification)
            .where(or_(Certification.verified.is_(True), Certification.rejected_at.is_not(None)))
            .options(selectinload(Certification.group))
            .order_by(  # last reviewed first, so what was just reviewed can be undone
                func.coalesce(Certification.verified_at, Certification.rejected_at).desc().nulls_last(), Certification.id.desc()
            )
            .limit(20)
        ).all(),
        review_form=lambda cert: CertificationReviewForm(prefix=f"cert{cert.id}", formdata=None),
        unverified_groups=unverified_groups,
        action_form=ActionForm(),
    )


@blueprint.get("/orders/<int:order_id>")
@operator_only
def order(order_id: int) -> tuple[str, int] | str:
    """One order as the operator sees it: who, what state, its invoices and every outbox message about it."""
    session = db.session
    found = session.get(Order, order_id)
    if found is None:
        return render_template("error.html", status=404, title="Not found", detail="No such order."), 404
    invoices = session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)).all()
    keys = [(topic, str(order_id)) for topic in (topics.SYNC_ORDER, topics.SYNC_TRACE)]
    keys += [(topic, str(i.id)) for i in invoices for topic in (topics.SYNC_INVOICE, topics.SYNC_PAYMENT)]
    messages = session.scalars(
        select(OutboxMessage)
        .where(or_(*[(OutboxMessage.topic == t) & (OutboxMessage.key == k) for t, k in keys]))
        .order_by(OutboxMessage.id.desc())
        .limit(50)
    ).all()
    return render_template("operator/order.html", order=found, invoices=invoices, messages=messages, action_form=ActionForm())


@blueprint.post("/outbox/<int:message_id>/retry")
@operator_only
def retry(message_id: int) -> Response:
    if ActionForm().validate_on_submit():
        message = outbox.retry_dead_letter(db.session, message_id)
        flash(
            _(
                "Message %(message_id)s (%(message_topic)s) will be tried again by the worker.",
                message_id=message.id,
                message_topic=message.topic,
            ),
            "success",
        )
    return redirect(url_for("operator.desk"))


@blueprint.post("/certifications/<int:certification_id>/review")
@operator_only
def review_certification(certification_id: int) -> Response:
    """Verify (with evidence, or a note on how it was checked), reject with a reason the group reads, or undo either."""
    form = CertificationReviewForm(prefix=f"cert{certification_id}")
    decision = request.form.get("decision", "")
    if form.validate_on_submit() and decision in ("verify", "reject", "undo"):
        note = form.note.data or ""
        try:
            if decision == "reject":
                certification = producers.reject_certification(
                    db.session, current_user, certification_id, reason=note, base_url=current_app.config["BASE_URL"]
                )
            else:
                certification = producers.verify_certification(
                    db.session, current_user, certification_id, verified=decision == "verify", note=note
                )
        except DomainError as error:
            if error.status == 404:
                raise
            flash(error.message, "error")
        else:
            done = {"verify": "verified", "reject": "rejected; the group is told why", "undo": "back in the queue"}[decision]
            flash(_("Certification of %(group_name)s %(done)s.", group_name=certification.group.name, done=done), "success")
    return redirect(url_for("operator.desk"))


@blueprint.post("/groups/<int:group_id>/verify")
@operator_only
def verify_group(group_id: int) -> Response:
    if ActionForm().validate_on_submit():
        group = producers.verify_group(db.session, group_id, verified=True)
        flash(_("%(group_name)s is verified.", group_name=group.name), "success")
    return redirect(url_for("operator.desk"))


@blueprint.get("/certifications/<int:certification_id>/evidence")
@operator_only
def evidence(certification_id: int) -> Response:
    certification = db.session.get(Certification, certification_id)
    if certification is None or not certification.evidence_path:
        abort(404)
    return send_private(Path(current_app.config["UPLOAD_DIR"]), certification.evidence_path)
