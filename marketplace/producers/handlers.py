"""The producers package's outbox handler: what the worker runs for `producers.import_groups` messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.outbox.models import OutboxMessage
from marketplace.producers.importer import import_groups, parse_upload
from marketplace.producers.imports import SHOWN_PROBLEMS, problem_row
from marketplace.producers.models import ImportJob

WEB_BATCH = 100  # records per committed batch (and progress step) when the worker imports an upload


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
        job.report = {
            **job.report,
            "problems": [problem_row(p) for p in report.problems[:SHOWN_PROBLEMS]],
            "problem_count": len(report.problems),
        }

    return run_import
