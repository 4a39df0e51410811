"""The page where an organization's admins create and revoke API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from marketplace.accounts import context
from marketplace.api import tokens
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import Form, OneTimeForm, first_result, one_time, repeated
from marketplace.i18n import lazy_gettext as _l

blueprint = Blueprint("api_tokens", __name__)


class TokenForm(OneTimeForm):
    name = StringField(
        _l("Program using it"),
        validators=[DataRequired(_l("Name the program.")), Length(max=100)],
        description=_l("e.g. our ERP, our product-information system"),
    )


@blueprint.route("/api-tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> str | Response:
    membership = context.current_membership()
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            made = tokens.create_token(
                db.session, membership, form.name.data, submission=one_time(form, url_for("api_tokens.api_tokens"))
            )
        except DomainError as error:
            if error.status == 404:
                raise
            flash(error.message, "error")
        else:
            if repeated(made):  # a double tap: the first post made the token (its secret was shown to that post only)
                return first_result(made)
            __, secret = made
            form = TokenForm(formdata=None)  # a fresh one-time token for the next program's token
    if membership is None:
        return redirect(url_for("orders.orders"))
    return render_template("api/tokens.html", form=form, secret=secret, tokens=tokens.tokens_of(db.session, membership))


@blueprint.post("/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    form = Form()
    if form.validate_on_submit():
        try:
            tokens.revoke_token(db.session, context.current_membership(), token_id)
        except DomainError as error:
            if error.status == 404:
                raise
            flash(error.message, "error")
        else:
            flash(_("Token revoked: programs using it are refused from now on."), "success")
    return redirect(url_for("api_tokens.api_tokens"))
