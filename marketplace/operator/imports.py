"""The operator's spreadsheet import: upload, preview with the rows that would be rejected, confirm, watch progress."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField

from marketplace.accounts.forms import ActionForm
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.forms import OneTimeForm, attach_error, choices, first_result, one_time, render_form, repeated
from marketplace.i18n import lazy_gettext as _l
from marketplace.operator.views import blueprint, operator_only
from marketplace.producers import imports
from marketplace.producers.models import ImportJob
from marketplace.producers.spreadsheets import NUMBER_LOCALES, reason_text
from marketplace.uploads import read_capped

REFRESH_SECONDS = 2


class ImportUploadForm(OneTimeForm):
    file = FileField(
        _l("Spreadsheet"),
        validators=[FileRequired(_l("Choose the file to import."))],
        description=_l("CSV (any delimiter, UTF-8 or Windows-1252), Excel .xlsx, or JSON, laid out as in the import schema."),
    )
    number_locale = SelectField(
        _l("How the file writes numbers"),
        choices=choices([("", _l("Find out from the file")), *((code, _l(name)) for code, name in NUMBER_LOCALES.items())]),
        default="",
    )


def _recent() -> list[ImportJob]:
    return list(db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(20)))


@blueprint.route("/imports", methods=["GET", "POST"])
@operator_only
def imports_page() -> Response | str | tuple[str, int]:
    """Upload a spreadsheet of groups for a preview (operators only); list the recent imports."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        try:
            data = read_capped(form.file.data.stream, current_app.config["UPLOAD_MAX_BYTES"])
            prepared = imports.prepare_import(
                form.file.data.filename or "",
                data,
                folder=Path(current_app.config["UPLOAD_DIR"]),
                number_locale=form.number_locale.data,
            )
            job = imports.stage_import(
                db.session,
                current_user.id,
                prepared,
                submission=one_time(form, lambda job: url_for("operator.import_job", job_id=job.id)),
            )
        except DomainError as error:
            attach_error(form, error if error.field else DomainError(error.message, field="file"))
        else:
            if repeated(job):
                return first_result(job)
            return redirect(url_for("operator.import_job", job_id=job.id))
    return render_form("operator/imports.html", form, jobs=_recent())


@blueprint.get("/imports/<int:job_id>")
@operator_only
def import_job(job_id: int) -> str:
    """Show an import's preview, progress (refreshing while it runs) or report."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    working = job.status in ("queued", "running")
    return render_template(
        "operator/import_job.html",
        job=job,
        action_form=ActionForm(),
        refresh=REFRESH_SECONDS if working else None,
        reason_text=reason_text,
    )


@blueprint.post("/imports/<int:job_id>/confirm")
@operator_only
def confirm_import(job_id: int) -> Response:
    """Queue a previewed import for the worker, then show its progress."""
    if ActionForm().validate_on_submit():
        imports.confirm_import(db.session, job_id)
    return redirect(url_for("operator.import_job", job_id=job_id))
