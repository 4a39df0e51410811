"""The group's Odoo page: connect and test, choose how prices map to taxes, then see what synced, what waits and what failed."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from erp_connector.amounts import NO_TAX
from erp_connector.client import OdooCallError
from erp_connector.connection import check_connection
from erp_connector.forms import OdooLinkForm, TaxMappingForm
from erp_connector.links import link_of, record_check, save_link
from erp_connector.sale_taxes import sale_taxes, save_tax_mapping
from erp_connector.sync import mapping_for
from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import attach_error, choices, render_form
from marketplace.i18n import lazy_gettext as _l
from marketplace.limits import limit
from marketplace.operator.letters import concerns_of
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import services as outbox
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.producers.guards import group_admin
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox

blueprint = Blueprint("erp", __name__, url_prefix="/manage/odoo")

ERP_TOPICS = {
    topics.SYNC_ORDER: "Order",
    topics.SYNC_INVOICE: "Invoice",
    topics.SYNC_PAYMENT: "Payment",
    topics.SYNC_TRACE: "Trace",
    topics.SYNC_FEE: _l("Loom's fee (vendor bill)"),
}


def _messages(group: ProducerGroup) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic.in_(ERP_TOPICS), OutboxMessage.payload["group"].as_integer() == group.id)
            .order_by(OutboxMessage.id.desc())
            .limit(50)
        )
    )


def _box() -> SecretBox:
    return SecretBox(current_app.config["SECRETS_KEY"])


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
            box = _box()
            secret = api_key or box.open(current.api_key_encrypted)
            # Called outside any database transaction: a slow Odoo holds nothing of Loom's.
            check = check_connection(
                form.url.data,
                form.database.data,
                form.login.data,
                secret,
                form.protocol.data,
                policy=OutboundPolicy.from_config(current_app.config),
            )
            if check.refused:
                form.url.errors = [check.message]
                messages = _messages(group)
                return render_form(
                    "erp/link.html",
                    form,
                    group=group,
                    link=current,
                    messages=messages,
                    statuses=OutboxStatus,
                    action_form=ActionForm(),
                    check=None,
                    mapping=mapping_for(db.session, group.id) if current else NO_TAX,
                    topic_names=ERP_TOPICS,
                    concerns=concerns_of(db.session, messages),
                    plain_error=plain_error,
                )
            save_link(
                db.session,
                context.current_membership(),
                group,
                url=form.url.data,
                database=form.database.data,
                login=form.login.data,
                api_key=api_key,
                protocol=form.protocol.data,
                check=check,
                box=box,
            )
            flash(check.message, "success" if check.ok else "error")
            return redirect(url_for("erp.link"))
    messages = _messages(group)
    mapping = mapping_for(db.session, group.id) if current else NO_TAX
    return render_form(
        "erp/link.html",
        form,
        group=group,
        link=current,
        messages=messages,
        statuses=OutboxStatus,
        action_form=ActionForm(),
        check=check,
        mapping=mapping,
        topic_names=ERP_TOPICS,
        concerns=concerns_of(db.session, messages),
        plain_error=plain_error,
    )


def plain_error(text: str | None) -> str:
    """A worker's last error as the group reads it: without the exception's class name ("PermanentError: Odoo refused it" → "Odoo
    refused it")."""
    return re.sub(r"^[A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Refused|Unavailable): ", "", text or "")


@blueprint.post("/test")
@group_admin
@limit("ODOO_TEST")
def test_again(group: ProducerGroup) -> Response:
    current = link_of(db.session, group.id)
    if current is None or not ActionForm().validate_on_submit():
        abort(404 if current is None else 400)
    check = check_connection(
        current.url,
        current.database,
        current.login,
        _box().open(current.api_key_encrypted),
        current.protocol,
        policy=OutboundPolicy.from_config(current_app.config),
    )
    record_check(db.session, context.current_membership(), group, check)
    flash(check.message, "success" if check.ok else "error")
    return redirect(url_for("erp.link"))


@blueprint.route("/taxes", methods=["GET", "POST"])
@group_admin
def taxes(group: ProducerGroup) -> Response | tuple[str, int]:
    current = link_of(db.session, group.id)
    if current is None:
        return redirect(url_for("erp.link"))
    form = TaxMappingForm(data={"tax": str(current.tax_id) if current.tax_id else "none"})
    try:
        offered = sale_taxes(
            current, _box(), policy=OutboundPolicy.from_config(current_app.config)
        )  # read outside any transaction
        unreachable = None
    except OdooCallError as error:
        offered, unreachable = [], f"Loom could not read your Odoo's taxes: {error}"
    form.tax.choices = choices(
        [("none", "No tax: Loom's prices go to Odoo as they are"), *((str(t.id), t.label) for t in offered)]
    )
    if form.validate_on_submit():
        try:
            save_tax_mapping(db.session, context.current_membership(), group, tax=form.tax.data, taxes=offered)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Saved. Orders and invoices sent to Odoo from now on carry this tax."), "success")
            return redirect(url_for("erp.link"))
    return render_form("erp/taxes.html", form, group=group, link=current, unreachable=unreachable)


@blueprint.post("/retry/<int:message_id>")
@group_admin
def retry(group: ProducerGroup, message_id: int) -> Response:
    if message_id not in {m.id for m in _messages(group)}:
        abort(404)
    outbox.retry_dead_letter(db.session, message_id)
    flash(_("It will be sent to Odoo again in a moment."), "success")
    return redirect(url_for("erp.link"))
