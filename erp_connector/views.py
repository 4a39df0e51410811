"""The group's Odoo page: connect and test, then see what synced, what waits and what failed."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from erp_connector.forms import OdooLinkForm
from erp_connector.services import check_connection, link_of, save_link
from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.db import db, transaction
from marketplace.forms import render_form
from marketplace.limits import limit
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import services as outbox
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.producers.models import ProducerGroup
from marketplace.producers.views import group_admin
from marketplace.secrets import SecretBox

blueprint = Blueprint("erp", __name__, url_prefix="/manage/odoo")


def _messages(group: ProducerGroup) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == topics.SYNC_ORDER, OutboxMessage.payload["group"].as_integer() == group.id)
            .order_by(OutboxMessage.id.desc())
            .limit(50)
        )
    )


@blueprint.route("/", methods=["GET", "POST"])
@group_admin
@limit("ODOO_TEST", methods=["POST"])
def link(group: ProducerGroup) -> Response | tuple[str, int]:
    current = link_of(db.session, group.id)
    form = OdooLinkForm(obj=current)
    check = None
    if form.validate_on_submit():
        api_key = form.api_key.data or ""
        if not api_key and current is None:
            form.api_key.errors = ["Give the API key the first time you connect."]
        else:
            box = SecretBox(current_app.config["SECRETS_KEY"])
            secret = api_key or box.open(current.api_key_encrypted)
            # Called outside any database transaction: a slow Odoo holds nothing of Loom's.
            check = check_connection(form.url.data, form.database.data, form.login.data, secret, form.protocol.data,
                                     policy=OutboundPolicy.from_config(current_app.config))  # fmt: skip
            if check.refused:
                form.url.errors = [check.message]
                return render_form("erp/link.html", form, group=group, link=current, messages=_messages(group), statuses=OutboxStatus,
                                   action_form=ActionForm(), check=None)  # fmt: skip
            with transaction() as session:
                save_link(session, context.current_membership(), group, url=form.url.data, database=form.database.data, login=form.login.data,
                          api_key=api_key, protocol=form.protocol.data, check=check, box=box)  # fmt: skip
            flash(check.message, "success" if check.ok else "error")
            return redirect(url_for("erp.link"))
    messages = _messages(group)
    return render_form("erp/link.html", form, group=group, link=current, messages=messages, statuses=OutboxStatus, action_form=ActionForm(), check=check)


@blueprint.post("/retry/<int:message_id>")
@group_admin
def retry(group: ProducerGroup, message_id: int) -> Response:
    if message_id not in {m.id for m in _messages(group)}:
        abort(404)
    with transaction() as session:
        outbox.retry_dead_letter(session, message_id)
    flash("The order will be sent to Odoo again in a moment.", "success")
    return redirect(url_for("erp.link"))
