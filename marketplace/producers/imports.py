"""Spreadsheet imports from the browser: upload and preview, confirm, then the worker imports with progress.

The upload is read and every record validated at once (no database writes), so the preview shows
the first groups as Loom understood them and every row that would be rejected. Confirming queues
the job on the outbox; the worker imports it in small batches, each committed with the count of
records processed, so the job's page (which reloads itself, no JavaScript) shows how far it is.
Importing is idempotent (groups are keyed by external_ref), so a retried job does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from marketplace.db import lock, utcnow
from marketplace.errors import DomainError
from marketplace.outbox import topics
from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.services import enqueue
from marketplace.producers.importer import ParsedFile, Problem, RecordError, import_groups, parse_upload, validate
from marketplace.producers.models import ImportJob
from marketplace.producers.spreadsheets import SpreadsheetError
from marketplace.producers.taxonomy import CATEGORIES
from marketplace.uploads import save_private

PREVIEW_ROWS = 20
SHOWN_PROBLEMS = 500  # the preview lists this many rejected records; the count is always complete
WEB_BATCH = 100  # records per committed batch (and progress step) when the worker imports an upload


def _problem(problem: Problem) -> dict[str, Any]:
    return {"where": problem.where, "column": problem.column, "reason": problem.reason}


def _preview(parsed: ParsedFile) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    problem_count = 0
    seen: set[str] = set()
    for record in parsed.records:
        try:
            clean = validate(record)
            if clean["external_ref"] in seen:
                raise RecordError(f"external_ref {clean['external_ref']!r} appears twice in the file", column="external_ref")
            seen.add(clean["external_ref"])
        except RecordError as error:
            problem_count += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(_problem(Problem(record.label, error.column, str(error))))
            continue
        if len(rows) < PREVIEW_ROWS:
            rows.append({
                "where": record.label,
                "external_ref": clean["external_ref"],
                "name": clean["name"],
                "country": clean["country"],
                "certifications": [c.get("name") or c["scheme"] for c in clean["certifications"]],
                "capabilities": [
                    {"category": CATEGORIES[c["category"]].label, "title": c.get("title", ""), "moq": c["moq"], "lead_time_days": c["lead_time_days"],
                     "price": f"{c['price_min']}–{c['price_max']} {c['currency']}", "weekly_capacity": c["weekly_capacity"]}
                    for c in clean["capabilities"]
                ],
            })  # fmt: skip
    return rows, problems, problem_count


def stage_import(
    session: Session, user_id: int, filename: str, data: bytes, *, folder: Path, number_locale: str | None = None
) -> ImportJob:
    """Read and validate an uploaded file (bytes) into a previewed ImportJob; nothing is imported yet.

    Raises DomainError (field "file") when the file as a whole cannot be read: wrong kind, missing
    columns, broken JSON, an unknown number format.
    """
    safe_name = Path(filename or "upload").name[:200]
    try:
        parsed = parse_upload(data, safe_name, number_locale=number_locale or None)
    except (RecordError, SpreadsheetError) as error:
        message = str(error)
        raise DomainError(message[:1].upper() + message[1:] + ".", field="file") from None
    rows, problems, problem_count = _preview(parsed)
    job = ImportJob(
        created_by_id=user_id,
        filename=safe_name,
        path=save_private(folder, "imports", Path(safe_name).suffix.lower(), data),
        number_locale=number_locale or None,
        total=len(parsed.records),
        report={"notes": parsed.notes, "preview": rows, "problems": problems, "problem_count": problem_count},
    )
    session.add(job)
    session.flush()
    return job


def confirm_import(session: Session, job_id: int) -> ImportJob:
    """Queue a previewed job for the worker; confirming twice queues it once."""
    job = lock(session, ImportJob, job_id, missing="That import no longer exists.")
    if job.status != "previewed":
        return job
    job.status = "queued"
    enqueue(session, topics.IMPORT_GROUPS, job.id)
    return job


def make_import_handler(upload_folder: Callable[[], Path]):  # type: ignore[no-untyped-def]
    """The outbox handler for `producers.import_groups`: import the job's file, committing each batch with its progress."""

    def run_import(session: Session, message: OutboxMessage) -> None:
        job = session.get(ImportJob, int(message.key))
        if job is None or job.status == "done":
            return
        job.status, job.processed = "running", 0
        session.commit()
        parsed = parse_upload((upload_folder() / job.path).read_bytes(), job.filename, number_locale=job.number_locale)

        def progress(count: int) -> None:
            job.processed += count  # committed with the batch it counts

        report = import_groups(session, parsed.records, progress=progress, batch_size=WEB_BATCH)
        job.status, job.finished_at = "done", utcnow()
        job.processed = job.total
        job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
        job.report = {**job.report, "problems": [_problem(p) for p in report.problems[:SHOWN_PROBLEMS]],
                      "problem_count": len(report.problems)}  # fmt: skip

    return run_import
