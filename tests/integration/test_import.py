"""Bulk onboarding from a federation's spreadsheet: good rows in, bad rows reported, re-import is a no-op."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.producers.importer import import_groups, read_file, read_json
from marketplace.producers.models import Capability, CapacityWindow, Certification, ProducerGroup

DATA = Path(__file__).parent.parent / "data"


def counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (ProducerGroup, Capability, Certification, CapacityWindow)
    )  # type: ignore[return-value]


def test_good_rows_are_imported_and_bad_rows_reported_with_row_and_reason(session: Session) -> None:
    report = import_groups(session, read_file(DATA / "federation-groups.csv"))

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert report.errors == [
        ("row 5", "moq must be at least 1"),
        ("row 6", "country 'XX' is not an ISO 3166 two-letter code"),
        ("row 7", "category 'baskets.imaginary' is not in the taxonomy (see docs/import-schema.md)"),
        ("row 8", "price_min is above price_max"),
    ]
    machakos = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "KWF-001"))
    assert machakos.slug == "machakos-sisal-weavers" and machakos.languages == ["Kamba", "Swahili"]
    assert sorted(c.category for c in machakos.capabilities) == ["baskets.market", "baskets.storage"]
    assert sorted(c.scheme for c in machakos.certifications) == ["fair-trade-federation", "wfto"]
    assert not any(c.verified for c in machakos.certifications) and not machakos.verified
    storage = next(c for c in machakos.capabilities if c.category == "baskets.storage")
    assert [(w.week_start, w.units_available) for w in storage.windows] == [
        (dt.date(2026, 12, 21), 0),
        (dt.date(2026, 12, 28), 0),
    ]


def test_importing_the_same_file_again_changes_nothing(session: Session) -> None:
    import_groups(session, read_file(DATA / "federation-groups.csv"))
    before = counts(session)
    versions = dict(session.execute(select(ProducerGroup.external_ref, ProducerGroup.version)).all())

    report = import_groups(session, read_file(DATA / "federation-groups.csv"))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert counts(session) == before
    assert dict(session.execute(select(ProducerGroup.external_ref, ProducerGroup.version)).all()) == versions


def test_a_corrected_file_updates_what_it_names(session: Session) -> None:
    import_groups(session, read_file(DATA / "federation-groups.csv"))
    document = [
        {
            "external_ref": "KWF-002",
            "name": "Kitui Honey Collective",
            "country": "KE",
            "artisan_count": 52,
            "capabilities": [
                {
                    "category": "food.honey",
                    "lead_time_days": 14,
                    "price_min": 5,
                    "price_max": 11,
                    "weekly_capacity": 450,
                    "moq": 200,
                }
            ],
        }
    ]
    report = import_groups(session, read_json(json.dumps(document)))

    assert (report.created, report.updated) == (0, 1)
    group = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == "KWF-002"))
    assert group.artisan_count == 52 and group.capabilities[0].weekly_capacity == 450
    assert [c.scheme for c in group.certifications] == ["organic"]  # left alone: imports never delete


def test_json_records_are_reported_by_their_position(session: Session) -> None:
    report = import_groups(session, read_json(json.dumps({"groups": [{"name": "No ref"}, "not an object"]})))
    assert report.errors == [("group 1", "external_ref is required"), ("group 2", "each group must be an object")]


def test_the_import_command_prints_a_summary_and_the_rejected_rows(app: Flask, tmp_path: Path) -> None:
    # The command commits, so it runs against a database of its own.
    from marketplace import create_app
    from marketplace.cli import main, upgrade_database

    url = f"sqlite:///{tmp_path / 'import.db'}"
    upgrade_database(url)
    own_app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    runner = CliRunner()

    first = runner.invoke(main, ["import", "groups", str(DATA / "federation-groups.csv")], obj=_script_info(own_app))
    second = runner.invoke(main, ["import", "groups", str(DATA / "federation-groups.csv")], obj=_script_info(own_app))

    assert "2 created, 0 updated, 0 unchanged, 4 rejected." in first.output
    assert "row 6, column country: country 'XX' is not an ISO 3166 two-letter code" in first.output
    assert "0 created, 0 updated, 2 unchanged, 4 rejected." in second.output
    own_app.extensions["loom.db"]["engine"].dispose()


def _script_info(app: Flask):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
