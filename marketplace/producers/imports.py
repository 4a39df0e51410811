"""Spreadsheet imports from the browser: upload and preview, confirm, then the worker imports with progress.

The upload is read and every record validated at once (no database writes), so the preview shows
the first groups as Loom understood them and every row that would be rejected. Confirming queues
the job on the outbox; the worker imports it in small batches, each committed with the count of
records processed, so the job's page (which reloads itself, no JavaScript) shows how far it is.
Importing is idempotent (groups are keyed by external_ref), so a retried job does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from marketplace.db import lock, use_case
from marketplace.errors import DomainError
from marketplace.i18n import N_
from marketplace.outbox import topics
from marketplace.outbox.services import enqueue
from marketplace.producers.importer import ParsedFile, Problem, RecordError, parse_upload, validate
from marketplace.producers.models import ImportJob
from marketplace.producers.spreadsheets import SpreadsheetError, reason_text
from marketplace.producers.taxonomy import CATEGORIES
from marketplace.uploads import save_private

PREVIEW_ROWS = 20
SHOWN_PROBLEMS = 500  # the preview lists this many rejected records; the count is always complete


def problem_row(problem: Problem) -> dict[str, Any]:
    """Return a rejected record as the job's report keeps it: `{where, column, reason}` in English, with
    `where_data`/`reason_data` (spreadsheets.Reason data) for pages in each reader's language."""
    return {"where": problem.where, "column": problem.column, "reason": problem.reason, **(problem.details or {})}


def _preview(parsed: ParsedFile) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    problem_count = 0
    seen: set[str] = set()
    for record in parsed.records:
        try:
            clean = validate(record)
            if clean["external_ref"] in seen:
                raise RecordError(
                    N_("external_ref %(value)s appears twice in the file"),
                    column="external_ref",
                    value=repr(clean["external_ref"]),
                )
            seen.add(clean["external_ref"])
        except RecordError as error:
            problem_count += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(problem_row(record.problem(error)))
            continue
        if len(rows) < PREVIEW_ROWS:
            rows.append(
                {
                    "where": record.label,
                    "where_data": record.place,
                    "external_ref": clean["external_ref"],
                    "name": clean["name"],
                    "country": clean["country"],
                    "certifications": [c.get("name") or c["scheme"] for c in clean["certifications"]],
                    "capabilities": [
                        {
                            "category": CATEGORIES[c["category"]].english_label,
                            "code": c["category"],
                            "title": c.get("title", ""),
                            "moq": c["moq"],
                            "lead_time_days": c["lead_time_days"],
                            "price": f"{c['price_min']}–{c['price_max']} {c['currency']}",
                            "weekly_capacity": c["weekly_capacity"],
                        }
                        for c in clean["capabilities"]
                    ],
                }
            )
    return rows, problems, problem_count


@dataclass(frozen=True)
class PreparedImport:
    """An upload read, validated and previewed, its file staged (`uploads.save_private`): what `stage_import` records."""

    filename: str
    path: str
    number_locale: str | None
    total: int
    report: dict[str, Any]


def prepare_import(filename: str, data: bytes, *, folder: Path, number_locale: str | None = None) -> PreparedImport:
    """Read and validate an uploaded file (bytes) and stage it on disk; nothing is written to the database.

    Call it before the write transaction that records the job (`stage_import`): parsing a large
    spreadsheet takes seconds, and a write transaction holds SQLite's one write lock meanwhile. The
    staged file is kept only if that transaction commits. Raises DomainError (field "file") when the
    file as a whole cannot be read: wrong kind, missing columns, broken JSON, an unknown number format.
    """
    safe_name = Path(filename or "upload").name[:200]
    try:
        parsed = parse_upload(data, safe_name, number_locale=number_locale or None)
    except (RecordError, SpreadsheetError) as error:
        message = reason_text(error.reason()) if isinstance(error, RecordError) else str(error)
        raise DomainError(message[:1].upper() + message[1:] + ".", field="file") from None
    rows, problems, problem_count = _preview(parsed)
    return PreparedImport(
        filename=safe_name,
        path=save_private(folder, "imports", Path(safe_name).suffix.lower(), data),
        number_locale=number_locale or None,
        total=len(parsed.records),
        report={
            "notes": [note.data() for note in parsed.notes],
            "preview": rows,
            "problems": problems,
            "problem_count": problem_count,
        },
    )


@use_case
def stage_import(session: Session, user_id: int, prepared: PreparedImport) -> ImportJob:
    """Record a prepared upload (`prepare_import`) as a previewed ImportJob; nothing is imported yet."""
    job = ImportJob(
        created_by_id=user_id,
        filename=prepared.filename,
        path=prepared.path,
        number_locale=prepared.number_locale,
        total=prepared.total,
        report=prepared.report,
    )
    session.add(job)
    session.flush()
    return job


@use_case
def confirm_import(session: Session, job_id: int) -> ImportJob:
    """Queue a previewed job for the worker; confirming twice queues it once."""
    job = lock(session, ImportJob, job_id, missing="That import no longer exists.")
    if job.status != "previewed":
        return job
    job.status = "queued"
    enqueue(session, topics.IMPORT_GROUPS, job.id)
    return job
