"""The operator's desk: dead letters to retry, groups and certificates to verify."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from marketplace.accounts.forms import ActionForm
from marketplace.db import db, transaction
from marketplace.outbox import services as outbox
from marketplace.producers import services as producers
from marketplace.producers.models import Certification, ProducerGroup
from marketplace.uploads import send_private

blueprint = Blueprint("operator", __name__, url_prefix="/operator")


def operator_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(404)  # the desk's existence is nobody else's business
        return view(*args, **kwargs)

    return wrapper


@blueprint.get("/")
@operator_only
def desk() -> str:
    session = db.session
    pending_certifications = session.scalars(
        select(Certification)
        .where(Certification.verified.is_(False))
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
        dead_letters=outbox.dead_letters(session),
        pending_certifications=pending_certifications,
        unverified_groups=unverified_groups,
        action_form=ActionForm(),
    )


@blueprint.post("/outbox/<int:message_id>/retry")
@operator_only
def retry(message_id: int) -> Response:
    if ActionForm().validate_on_submit():
        with transaction() as session:
            message = outbox.retry_dead_letter(session, message_id)
        flash(f"Message {message.id} ({message.topic}) will be tried again by the worker.", "success")
    return redirect(url_for("operator.desk"))


@blueprint.post("/certifications/<int:certification_id>/verify")
@operator_only
def verify_certification(certification_id: int) -> Response:
    if ActionForm().validate_on_submit():
        with transaction() as session:
            certification = producers.verify_certification(session, current_user, certification_id, verified=True)
        flash(f"Certification of {certification.group.name} verified.", "success")
    return redirect(url_for("operator.desk"))


@blueprint.post("/groups/<int:group_id>/verify")
@operator_only
def verify_group(group_id: int) -> Response:
    if ActionForm().validate_on_submit():
        with transaction() as session:
            group = producers.verify_group(session, group_id, verified=True)
        flash(f"{group.name} is verified.", "success")
    return redirect(url_for("operator.desk"))


@blueprint.get("/certifications/<int:certification_id>/evidence")
@operator_only
def evidence(certification_id: int) -> Response:
    certification = db.session.get(Certification, certification_id)
    if certification is None or not certification.evidence_path:
        abort(404)
    return send_private(Path(current_app.config["UPLOAD_DIR"]), certification.evidence_path)
