"""Public pages about producer groups (the home page, the directory, their media), and the pages a group uses to manage
its own listing. A group's profile, which shows its reviews and a buyer's drafts too, is discovery's
(`marketplace.discovery.views`)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from marketplace.accounts import context
from marketplace.accounts.forms import ActionForm
from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import attach_error, first_result, one_time, render_form, repeated
from marketplace.i18n import current_locale
from marketplace.producers import services
from marketplace.producers.cards import card_html
from marketplace.producers.counts import shown_counts
from marketplace.producers.covers import cover_picture, what_it_makes
from marketplace.producers.forms import (
    CapabilityForm,
    CertificationForm,
    PhotoForm,
    ProductForm,
    ProfileForm,
    capacity_form,
)
from marketplace.producers.guards import group_admin
from marketplace.producers.models import Capability, Certification, ProducerGroup, Product
from marketplace.producers.taxonomy import CATEGORIES, TOP_CATEGORIES, country_choices
from marketplace.queryargs import encode_listing_cursor, listing_cursor, whole_number
from marketplace.uploads import public_relative, send_private, send_public, store_document, store_image

blueprint = Blueprint("producers", __name__)
blueprint.add_app_template_global(what_it_makes, "what_it_makes")  # the placeholder cover says what a group makes
blueprint.add_app_template_global(cover_picture, "cover_picture")  # a card's photo or placeholder
blueprint.add_app_template_global(card_html, "card_html")  # a group's card on the home page and the directory
manage = Blueprint("manage", __name__, url_prefix="/manage")

CALENDAR_WEEKS = 16


# ----- public pages ------------------------------------------------------------------------------


@blueprint.get("/")
def home() -> str:
    first = services.first_groups(db.session, 6)  # with the kept counts: one row per category, whatever the number of groups
    total, category_counts = shown_counts(first.counts)
    return render_template(
        "home.html",
        groups=first.cards,
        total=total,
        top_categories=TOP_CATEGORIES,
        category_counts=category_counts,
    )


@blueprint.get("/groups")
def directory() -> str:
    country = request.args.get("country", "").upper() or None
    category = request.args.get("category") or None
    if category and category not in CATEGORIES:
        category = None
    page = whole_number(request.args, "page", low=1, high=100_000, default=1)
    after = listing_cursor(request.args, "after")  # the next pages follow the cursor, however deep
    per_page = current_app.config["PAGE_SIZE"]
    read = services.directory_page(db.session, country=country, category=category, page=page, per_page=per_page, after=after)
    groups, total = read.cards, read.total or 0
    next_after = (
        encode_listing_cursor(services.listing_key(groups[-1])) if len(groups) == per_page and page * per_page < total else None
    )
    # The country filter offers the countries with listed groups of the category, each with its count (as a shop's
    # facets do), and the chosen one even without any: not every country there is, which no filter would find.
    countries = [
        (code, name, read.countries.get(code, 0)) for code, name in country_choices() if code in read.countries or code == country
    ]
    return render_template(
        "producers/directory.html",
        groups=groups,
        total=total,
        page=page,
        per_page=per_page,
        next_after=next_after,
        country=country,
        category=category,
        countries=countries,
        category_options=_category_options(category),
    )


def _category_options(category: str | None) -> Markup:
    """The directory's category filter's options, `category` selected (templates/producers/_filters.html): rendered
    once per language and choice, as they change only with the taxonomy and the catalogs. Its eighty options, rendered on
    every request, were a quarter of the directory's CPU time (issue 19). Not kept while templates reload (development)."""
    kept: dict[tuple[str, str | None], Markup] = current_app.extensions.setdefault("loom.category_options", {})
    key = (current_locale(), category)
    options = kept.get(key)
    if options is None:
        options = get_template_attribute("producers/_filters.html", "category_options")(category, TOP_CATEGORIES)
        if not current_app.jinja_env.auto_reload:
            kept[key] = options
    return options


@blueprint.get("/media/<path:path>")
def media(path: str) -> Response:
    # Only the photos groups publish: the path is normalised and rooted at the public folder, and must be
    # a photo on record. Certificates, RFQ attachments and progress photos have authorised routes.
    if public_relative(path) is None or not services.is_public_photo(db.session, path):
        abort(404)
    return send_public(_folder(), path)


# ----- the group's own pages ---------------------------------------------------------------------


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


@manage.get("/start")
@login_required
def start() -> Response:
    """Where a group's person starts after signing in: its RFQ inbox, or its listing page while it lists nothing yet."""
    group = services.group_of(db.session, context.current_membership())  # 404 for a buyer
    return redirect(url_for("sourcing.inbox") if group.capabilities else url_for("manage.dashboard"))


@manage.get("/")
@login_required
def dashboard() -> str:
    membership = context.current_membership()
    group = services.group_of(db.session, membership)
    return render_template(
        "manage/dashboard.html", group=group, can_edit=membership.role.at_least(Role.ADMIN), action_form=ActionForm()
    )


@manage.route("/profile", methods=["GET", "POST"])
@group_admin
def edit_profile(group: ProducerGroup) -> Response | tuple[str, int]:
    form = ProfileForm(obj=group)
    if request.method == "GET":
        form.languages.data = ", ".join(group.languages)
        form.time_zone.data = group.organization.time_zone or ""
    if form.validate_on_submit():
        try:
            changed = services.update_profile(db.session, group, form.values())
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Profile saved.") if changed else "Nothing changed.", "success")
            return redirect(url_for("manage.dashboard"))
    return render_form("manage/profile.html", form, group=group)


@manage.route("/capabilities/new", methods=["GET", "POST"])
@group_admin
def new_capability(group: ProducerGroup) -> Response | tuple[str, int]:
    form = CapabilityForm()
    if form.validate_on_submit():
        try:
            capability = services.add_capability(
                db.session,
                group,
                form.values(),
                submission=one_time(form, lambda made: url_for("manage.capacity", capability_id=made.id)),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if repeated(capability):
                return first_result(capability)
            flash(_("Capability added. Now check its capacity calendar."), "success")
            return redirect(url_for("manage.capacity", capability_id=capability.id))
    return render_form("manage/capability.html", form, group=group, capability=None)


def _capability(group: ProducerGroup, capability_id: int) -> Capability:
    capability = next((c for c in group.capabilities if c.id == capability_id), None)
    if capability is None:
        abort(404)
    return capability


@manage.route("/capabilities/<int:capability_id>", methods=["GET", "POST"])
@group_admin
def edit_capability(group: ProducerGroup, capability_id: int) -> Response | tuple[str, int]:
    capability = _capability(group, capability_id)
    form = CapabilityForm(obj=capability)
    if request.method == "GET":
        form.materials.data = ", ".join(capability.materials)
        form.techniques.data = ", ".join(capability.techniques)
    if form.validate_on_submit():
        try:
            services.update_capability(db.session, group, capability_id, form.values())
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Capability saved."), "success")
            return redirect(url_for("manage.dashboard"))
    return render_form("manage/capability.html", form, group=group, capability=capability, action_form=ActionForm())


@manage.post("/capabilities/<int:capability_id>/delete")
@group_admin
def delete_capability(group: ProducerGroup, capability_id: int) -> Response:
    services.remove_capability(db.session, group, capability_id)
    flash(_("Capability removed."), "info")
    return redirect(url_for("manage.dashboard"))


@manage.route("/capabilities/<int:capability_id>/capacity", methods=["GET", "POST"])
@group_admin
def capacity(group: ProducerGroup, capability_id: int) -> Response | tuple[str, int]:
    capability = _capability(group, capability_id)
    weeks = services.capacity_calendar(capability, context.today(), CALENDAR_WEEKS)
    form = capacity_form([w.week_start for w in weeks])(
        data={f"week_{w.week_start:%Y%m%d}": w.available for w in weeks} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            services.set_capacity(db.session, group, capability_id, form.units_by_week())
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Capacity calendar saved."), "success")
            return redirect(url_for("manage.capacity", capability_id=capability_id))
    rows = [(w, form[f"week_{w.week_start:%Y%m%d}"]) for w in weeks]
    scale = max([capability.weekly_capacity, 1, *(max(w.available, w.committed) for w in weeks)])
    return render_form("manage/capacity.html", form, group=group, capability=capability, rows=rows, scale=scale)


@manage.route("/certifications", methods=["GET", "POST"])
@group_admin
def certifications(group: ProducerGroup) -> Response | tuple[str, int]:
    form = CertificationForm()
    if form.validate_on_submit():
        try:
            evidence = None
            if form.evidence.data:
                evidence = store_document(
                    form.evidence.data.stream,
                    folder=_folder(),
                    subfolder=f"evidence/{group.id}",
                    max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                )
            added = services.add_certification(
                db.session,
                group,
                scheme=form.scheme.data,
                reference=form.reference.data or "",
                valid_until=form.valid_until.data,
                evidence=evidence,
                name=form.name.data or "",
                submission=one_time(form, url_for("manage.certifications")),
            )
        except DomainError as error:
            attach_error(form, error if error.field else DomainError(error.message, field="evidence"))
        else:
            if repeated(added):
                return first_result(added)
            flash(_("Certification added. An operator will check the evidence."), "success")
            return redirect(url_for("manage.certifications"))
    return render_form("manage/certifications.html", form, group=group, action_form=ActionForm())


@manage.post("/certifications/<int:certification_id>/delete")
@group_admin
def delete_certification(group: ProducerGroup, certification_id: int) -> Response:
    services.remove_certification(db.session, group, certification_id)
    flash(_("Certification removed."), "info")
    return redirect(url_for("manage.certifications"))


@manage.get("/certifications/<int:certification_id>/evidence")
@group_admin
def certification_evidence(group: ProducerGroup, certification_id: int) -> Response:
    certification = db.session.get(Certification, certification_id)
    if certification is None or certification.group_id != group.id or not certification.evidence_path:
        abort(404)
    return send_private(_folder(), certification.evidence_path, as_attachment=False)


@manage.get("/products")
@group_admin
def products(group: ProducerGroup) -> str:
    return render_template("manage/products.html", group=group, action_form=ActionForm())


def _product(group: ProducerGroup, product_id: int) -> Product:
    product = next((p for p in group.products if p.id == product_id), None)
    if product is None:
        abort(404)
    return product


@manage.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@manage.route("/products/<int:product_id>", methods=["GET", "POST"])
@group_admin
def edit_product(group: ProducerGroup, product_id: int | None) -> Response | tuple[str, int]:
    product = _product(group, product_id) if product_id is not None else None
    form = ProductForm(obj=product)
    if request.method == "GET" and product is not None:
        form.materials.data = ", ".join(product.materials)
        for index, tier in enumerate(product.price_tiers[:3], start=1):
            form[f"tier{index}_quantity"].data = tier.min_quantity
            form[f"tier{index}_price"].data = tier.unit_price
    warnings = services.tier_warnings(form.tiers(), form.moq.data) if form.is_submitted() else []
    if form.validate_on_submit() and not (warnings and "confirmed" not in request.form):
        try:
            saved = services.save_product(
                db.session,
                group,
                form.values(),
                form.tiers(),
                product_id=product_id,
                submission=one_time(form, url_for("manage.products")),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            if repeated(saved):
                return first_result(saved)
            flash(_("Product saved."), "success")
            return redirect(url_for("manage.products"))
    return render_form("manage/product.html", form, group=group, product=product, warnings=warnings)


@manage.post("/products/<int:product_id>/delete")
@group_admin
def delete_product(group: ProducerGroup, product_id: int) -> Response:
    services.remove_product(db.session, group, product_id)
    flash(_("Product removed."), "info")
    return redirect(url_for("manage.products"))


@manage.route("/photos", methods=["GET", "POST"])
@group_admin
def photos(group: ProducerGroup) -> Response | tuple[str, int]:
    form = PhotoForm(products=[(p.id, p.title) for p in group.products])
    if form.validate_on_submit():
        try:
            stored = store_image(
                form.photo.data.stream,
                folder=_folder(),
                subfolder=f"photos/{group.id}",
                max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
            )
            added = services.add_photo(
                db.session,
                group,
                stored,
                caption=form.caption.data or "",
                product_id=form.product_id,
                submission=one_time(form, url_for("manage.photos")),
            )
        except DomainError as error:
            attach_error(form, DomainError(error.message, field="photo"))
        else:
            if repeated(added):
                return first_result(added)
            flash(_("Photo added."), "success")
            return redirect(url_for("manage.photos"))
    return render_form("manage/photos.html", form, group=group, action_form=ActionForm())


@manage.post("/photos/<int:photo_id>/delete")
@group_admin
def delete_photo(group: ProducerGroup, photo_id: int) -> Response:
    photo = services.remove_photo(db.session, group, photo_id)
    (_folder() / photo.path).unlink(missing_ok=True)
    flash(_("Photo removed."), "info")
    return redirect(url_for("manage.photos"))
