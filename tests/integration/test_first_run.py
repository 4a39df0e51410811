"""`make run` on a brand-new database: what each step prints when its output is not a terminal (make, a log, CI)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from flask.cli import ScriptInfo

from marketplace import ROOT, create_app
from marketplace.cli import Progress, main, ready_lines

MIGRATIONS = len(list((ROOT / "migrations" / "versions").glob("[0-9]*.py")))


def _own_app(tmp_path: Path):  # noqa: ANN202 - a Flask app on a database file of its own (the commands commit)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})


def test_a_new_database_says_it_was_made_and_how_many_migrations_ran_then_that_nothing_was_left(tmp_path: Path) -> None:
    app = _own_app(tmp_path)
    info = ScriptInfo(create_app=lambda: app)

    first = CliRunner().invoke(main, ["db", "upgrade"], obj=info)
    again = CliRunner().invoke(main, ["db", "upgrade"], obj=info)

    assert first.exit_code == 0, first.output
    assert first.output.strip().startswith(f"New database: {MIGRATIONS} migrations applied, the schema is at ")
    assert "Database is at head" not in first.output
    assert again.output.strip().startswith("Database already up to date (schema ")
    app.extensions["loom.db"]["engine"].dispose()


def test_seeding_prints_progress_lines_and_serving_ends_with_the_logins_and_the_address(tmp_path: Path) -> None:
    app = _own_app(tmp_path)
    info = ScriptInfo(create_app=lambda: app)
    assert CliRunner().invoke(main, ["db", "upgrade"], obj=info).exit_code == 0
    assert ready_lines(app, "127.0.0.1", 5000) == ["Loom is ready at http://127.0.0.1:5000/  (Ctrl+C stops it)"]

    seeded = CliRunner().invoke(main, ["seed-demo", "--groups", "24", "--if-empty", "--no-logins"], obj=info)

    assert seeded.exit_code == 0, seeded.output
    lines = seeded.output.splitlines()
    assert lines[0] == "Producer groups: 0 of 24"  # CliRunner's output is not a terminal: lines, not a bar's label alone
    assert "Producer groups: 24 of 24, done." in lines
    assert lines[-1].startswith("Demo marketplace: 24 producer groups, 4 buyers")
    assert "Sign in" not in seeded.output  # `loom serve` prints them last
    ready = ready_lines(app, "127.0.0.1", 5000)
    assert ready[-1] == "Loom is ready at http://127.0.0.1:5000/  (Ctrl+C stops it)"
    assert ready[0] == "Sign in with the password 'loom-demo-password' as:"
    shown = " ".join(ready)
    assert {"buyer@demo.loom", "producer@demo.loom", "operator@demo.loom"} <= set(shown.split())
    coordinators = re.findall(r"\S+\.\d+@demo\.loom", shown)  # the per-group logins, as the README documents them
    assert coordinators
    app.extensions["loom.db"]["engine"].dispose()


def test_progress_off_a_terminal_prints_a_line_at_each_quarter(capsys) -> None:  # noqa: ANN001
    with Progress("Indexing", 8) as progress:
        for _ in range(8):
            progress.update(1)

    assert capsys.readouterr().out.splitlines() == [
        "Indexing: 0 of 8",
        "Indexing: 2 of 8",
        "Indexing: 4 of 8",
        "Indexing: 6 of 8",
        "Indexing: 8 of 8, done.",
    ]
