"""Trace pages: the EPCIS download for both parties, and the public product story with its QR code and hang tags."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.accounts import context
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.orders.models import Order
from marketplace.orders.services import order_for
from marketplace.producers.taxonomy import CATEGORIES, country_name
from marketplace.trace import story as stories
from marketplace.trace.chain import verify_document
from marketplace.trace.epcis import epcis_document
from marketplace.trace.forms import StoryForm
from marketplace.trace.services import chain_of, first_altered
from marketplace.uploads import send_private

blueprint = Blueprint("trace", __name__)


def _document_response(document: dict, filename: str) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.get("/orders/<int:order_id>/trace.epcis.json")
@login_required
def order_document(order_id: int) -> Response:
    order = order_for(db.session, context.current_membership(), order_id)
    return _document_response(epcis_document(chain_of(db.session, order.id), with_notes=True), f"{order.number}-trace.epcis.json")


@blueprint.post("/orders/<int:order_id>/story/<answer>")
@login_required
def story_consent(order_id: int, answer: str) -> Response:
    if answer not in ("publish", "withdraw"):
        abort(404)
    form = StoryForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("orders.order", order_id=order_id, _anchor="story"))
    try:
        stories.set_story_consent(
            db.session, context.current_membership(), order_id, agree=answer == "publish", photo_ids=form.photo_ids.data
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
    else:
        flash(
            _("You agree to publish the product story.")
            if answer == "publish"
            else _("You no longer agree to publish the product story."),
            "success",
        )
    return redirect(url_for("orders.order", order_id=order_id, _anchor="story"))


def order_trace(order: Order) -> dict[str, Any]:
    """Return what the order page's trace and story sections show, from the order's chain read once.

    Keys: `trace` (the events, in order), `chain_broken_at` (the first altered sequence number, or None),
    `plain_trace` (the steps in plain words, in the group's time zone), `story` (the ProductStory or None) and
    `story_form`. The order page (orders/order.html) calls it as the template global `order_trace`, so the
    orders package, which trace builds on, does not import trace.
    """
    events, story = stories.chain_and_story(db.session, order.id)
    return {
        "trace": events,
        "chain_broken_at": first_altered(events),
        "plain_trace": stories.plain_steps(events, order.group.organization.zone),
        "story": story,
        "story_form": StoryForm(),
    }


blueprint.add_app_template_global(order_trace, "order_trace")


def story_url(public_id: str) -> str:
    """Return the story's absolute address, as printed in its QR code."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}{url_for('trace.story', public_id=public_id)}"


@blueprint.get("/stories/<public_id>")
def story(public_id: str) -> str:
    story, order = stories.published_story(db.session, public_id)
    group = order.group
    crafts = sorted(
        {
            CATEGORIES[c.category].label
            for c in group.capabilities
            if c.category in CATEGORIES and any(line.capability_id == c.id for line in order.lines)
        }
    )
    return render_template(
        "trace/story.html",
        story=story,
        order=order,
        group=group,
        crafts=crafts,
        country=country_name(group.country),
        steps=stories.plain_steps(chain_of(db.session, order.id), group.organization.zone),
        photos=stories.story_photos(db.session, story),
        url=story_url(public_id),
    )


@blueprint.get("/stories/<public_id>/photos/<int:update_id>")
def story_photo(public_id: str, update_id: int) -> Response:
    """A progress photo the group chose for its published story; 404 for any other, or once either party withdraws."""
    story, __ = stories.published_story(db.session, public_id)
    update = next((u for u in stories.story_photos(db.session, story) if u.id == update_id), None)
    if update is None:
        abort(404)
    # Not cached anywhere: a withdrawn story takes its photos with it at once.
    return send_private(Path(current_app.config["UPLOAD_DIR"]), update.photo_path)


@blueprint.get("/stories/<public_id>/trace.epcis.json")
def story_document(public_id: str) -> Response:
    __, order = stories.published_story(db.session, public_id)
    # The public view: no notes (they may name artisans); every event still recomputes to its hash ID.
    return _document_response(epcis_document(chain_of(db.session, order.id)), f"story-{public_id}.epcis.json")


@blueprint.get("/stories/<public_id>/verify")
def story_verify(public_id: str) -> str:
    story, order = stories.published_story(db.session, public_id)
    document = epcis_document(chain_of(db.session, order.id))
    return render_template(
        "trace/verify.html",
        story=story,
        group=order.group,
        events=document["epcisBody"]["eventList"],
        problems=verify_document(document),
    )


def _qr(public_id: str) -> segno.QRCode:
    stories.published_story(db.session, public_id)  # 404 unless published
    return segno.make_qr(story_url(public_id), error="m")


@blueprint.get("/stories/<public_id>/qr.svg")
def story_qr_svg(public_id: str) -> Response:
    out = io.BytesIO()
    _qr(public_id).save(out, kind="svg", scale=4, border=4, title="QR code for this product story")
    return Response(out.getvalue(), mimetype="image/svg+xml")


@blueprint.get("/stories/<public_id>/qr.png")
def story_qr_png(public_id: str) -> Response:
    out = io.BytesIO()
    _qr(public_id).save(out, kind="png", scale=8, border=4)
    return Response(out.getvalue(), mimetype="image/png")


@blueprint.get("/stories/<public_id>/tags")
def story_tags(public_id: str) -> str:
    story, order = stories.published_story(db.session, public_id)
    qr = segno.make_qr(story_url(public_id), error="m").svg_inline(scale=3, border=2, title=_("Scan for this product's story"))
    count = min(sum(line.quantity for line in order.lines), 24)  # one printed sheet; print it again for more
    return render_template(
        "trace/tags.html",
        story=story,
        group=order.group,
        qr=qr,
        count=count,
        url=story_url(public_id),
        country=country_name(order.group.country),
    )
