"""The `loom` command: database, demo data, imports, the outbox worker and a local server."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import create_engine, func, select

from marketplace import ROOT, create_app
from marketplace.db import db, utcnow
from marketplace.devserver import make_dev_server

if TYPE_CHECKING:
    from search.indexing import DailyRebuild

MIGRATIONS = ROOT / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    """Return an Alembic configuration for Loom's migrations on the database at `url`."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade_database` did: the revision found (None on a new, empty database), the one reached, the count applied."""

    before: str | None
    after: str | None
    applied: int

    def __str__(self) -> str:
        if self.before is None and self.applied:
            return f"New database: {self.applied} migrations applied, the schema is at {self.after}."
        if self.applied:
            return f"Database upgraded from {self.before} to {self.after}: {self.applied} migrations applied."
        return f"Database already up to date (schema {self.after}); nothing to apply."


def _current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade_database(url: str, revision: str = "head") -> Upgrade:
    """Migrate the database at `url` to `revision` (the newest by default); return what was applied."""
    config = alembic_config(url)
    before = _current_revision(url)
    alembic_command.upgrade(config, revision)
    after = _current_revision(url)
    script = ScriptDirectory.from_config(config)
    applied = 0 if after == before else sum(1 for _ in script.iterate_revisions(after, before or "base"))
    return Upgrade(before, after, applied)


class Progress:
    """Report progress through `length` items: a bar on a terminal, otherwise a line at each quarter.

    Piped into a file or shown by `make` in a log, a bar would print only its label; these lines read as progress there:
    "Producer groups: 18 of 72", … "Producer groups: 72 of 72, done." Counts only, no timings.
    """

    def __init__(self, label: str, length: int) -> None:
        self.label, self.length, self.done, self.said = label, length, 0, 0
        self.bar = click.progressbar(length=length, label=label, show_pos=True) if _is_terminal() else None

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.__enter__()
        else:
            click.echo(f"{self.label}: 0 of {self.length}")
        return self

    def update(self, steps: int) -> None:
        """Count `steps` more items done."""
        self.done += steps
        if self.bar is not None:
            self.bar.update(steps)
            return
        quarter = self.done * 4 // max(self.length, 1)
        if quarter > self.said and self.done < self.length:
            self.said = quarter
            click.echo(f"{self.label}: {self.done} of {self.length}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        elif exc[0] is None:
            click.echo(f"{self.label}: {self.done} of {self.length}, done.")


def _is_terminal() -> bool:
    return sys.stdout.isatty()


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Loom: a marketplace for artisan producer groups."""


@main.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    click.echo(upgrade_database(current_app.config["DATABASE_URL"], revision))


@db_group.command("recount")
@with_appcontext
def db_recount() -> None:
    """Rebuild the directory's kept listing and counts (each listed group's rows per category, in listing order; how many
    groups are listed, per category, per country) from the groups.

    Loom keeps them as groups change; a database written without Loom's hooks (a bulk load by hand, a restore of some
    tables) can lack them, and the home page, a category's directory and the API list then show none. O(groups), in one
    transaction.
    """
    from marketplace.producers.counts import recount_everything

    listed, by_category = recount_everything(db.session)
    click.echo(f"Counted {listed:,} listed producer groups in {len(by_category)} categories.")


@main.command("seed-demo")
@click.option("--groups", "group_count", default=72, show_default=True, help="How many producer groups to make.")
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same marketplace.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has producer groups.")
@click.option("--logins/--no-logins", default=True, help="Print the demo sign-ins (`loom serve` prints them too).")
@with_appcontext
def seed_demo(group_count: int, seed: int, if_empty: bool, logins: bool) -> None:
    """Fill the database with a realistic demo marketplace."""
    from marketplace.demo import seed_marketplace
    from marketplace.producers.models import ProducerGroup

    if if_empty and db.session.scalar(select(func.count()).select_from(ProducerGroup)):
        click.echo("The database already has producer groups; leaving it as it is.")
        return
    with Progress("Producer groups", group_count) as bar:
        summary = seed_marketplace(
            db.session,
            groups=group_count,
            seed=seed,
            progress=bar.update,
            secrets_key=current_app.config["SECRETS_KEY"],
            photos_folder=Path(current_app.config["UPLOAD_DIR"]),  # drawn pictures, stored as uploads are
        )
    click.echo(summary if logins else str(summary).splitlines()[0])


@main.group("import")
def import_group() -> None:
    """Bulk-load data from files."""


@import_group.command("groups")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--numbers",
    "number_locale",
    default=None,
    help="How the file writes numbers: en (1,234.50), es or de (1.234,50), fr (1 234,50); detected if left out.",
)
@with_appcontext
def import_groups_command(path: Path, number_locale: str | None) -> None:
    """Import producer groups from a CSV, .xlsx or JSON file (schema: docs/import-schema.md)."""
    from marketplace.producers.importer import RecordError, import_groups, parse_upload

    try:
        parsed = parse_upload(path.read_bytes(), path.name, number_locale=number_locale)
    except (RecordError, ValueError) as error:
        raise click.ClickException(f"{path.name}: {error}") from None
    for note in parsed.notes:
        click.echo(f"Note: {note}", err=True)
    records = parsed.records
    with Progress(f"Importing {path.name}", len(records)) as bar:
        report = import_groups(db.session, records, progress=bar.update)
    click.echo(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, {len(report.errors)} rejected."
    )
    for problem in report.problems:
        click.echo(f"  {problem.where}{f', column {problem.column}' if problem.column else ''}: {problem.reason}", err=True)
    if report.errors:
        raise SystemExit(1 if report.imported == 0 else 0)


@main.group("trace")
def trace_group() -> None:
    """Check traceability records."""


@trace_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def trace_verify(path: Path) -> None:
    """Recompute every event hash ID and the chain of an EPCIS trace document; exit 1 if anything was altered."""
    import json

    from marketplace.trace.chain import verify_document

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        problems = verify_document(document)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path.name}: {error}") from None
    count = len(document["epcisBody"]["eventList"])
    for problem in problems:
        click.echo(f"  {problem.message}", err=True)
    faults = [p for p in problems if not p.withheld]
    if faults:
        raise click.ClickException(f"{path.name}: the trace does not hold ({len(faults)} problem(s) in {count} events).")
    if problems:  # a public copy of an older chain: every link holds, some events cannot be proved without their notes
        click.echo(
            f"{path.name}: {count} events; every link checked, {len(problems)} event(s) cannot be checked without their "
            "private notes."
        )
    else:
        click.echo(f"{path.name}: {count} events; every event hash ID recomputed and every link checked: the trace is intact.")


@trace_group.command("seal-stories")
@with_appcontext
def trace_seal_stories() -> None:
    """Seal the older noted events of every published product story, so its public copy verifies (once, after upgrading)."""
    from marketplace.trace.story import seal_published_stories

    count = seal_published_stories(db.session)
    click.echo(f"{count} published product stories got a seal.")


@main.group("search")
def search_group() -> None:
    """Manage the search index."""


@search_group.command("rebuild")
@with_appcontext
def search_rebuild() -> None:
    """Rebuild the search index from the database and switch to it at once (no downtime)."""
    from search.indexing import group_count, rebuild

    index = current_app.extensions["loom.search"]
    total = group_count(db.session)
    started = time.perf_counter()
    with Progress(f"Indexing into {index.name}", total) as bar:
        count = rebuild(db.session, index, progress=bar.update)
    elapsed = time.perf_counter() - started
    click.echo(
        f"{count} producer groups indexed in {elapsed:.1f} s ({count / max(elapsed, 1e-9):,.0f} groups/s) on the "
        f"{index.name} backend."
    )


def _daily_rebuild(app: Flask) -> DailyRebuild:
    """The search index's daily rebuild, for `loom worker` and `loom serve` (see search.indexing.DailyRebuild)."""
    from search.indexing import DailyRebuild

    return DailyRebuild(app.extensions["loom.db"]["sessionmaker"], lambda: app.extensions["loom.search"])


@main.command("worker")
@click.option("--once", is_flag=True, help="Drain what is due, then stop.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds to wait when nothing is due.")
@with_appcontext
def worker_command(once: bool, poll: float) -> None:
    """Deliver outbox messages: e-mail, search index updates, Odoo sync."""
    from marketplace.bootstrap import worker_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    worker = worker_for()
    daily = _daily_rebuild(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        summary = worker.drain()
        click.echo(f"{summary.done} delivered, {summary.retried} to retry, {summary.dead} dead letters.")
        rebuilt = daily.run_once()
        if rebuilt is not None:
            click.echo(f"Search index rebuilt for today: {rebuilt} producer groups.")
        return
    stop = threading.Event()
    threading.Thread(target=daily.run_forever, args=(stop,), name="search-daily-rebuild", daemon=True).start()
    click.echo("Worker running; Ctrl+C stops it.")
    try:
        worker.run_forever(poll_seconds=poll)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")
    finally:
        stop.set()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the marketplace with an outbox worker beside it (for one machine and demos)."""
    from marketplace.bootstrap import worker_for

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def work() -> None:
        with app.app_context():
            worker_for(app).run_forever(poll_seconds=1.0, stop=stop)

    # make_server, not run_simple: run_simple ends the output with Werkzeug's development-server banner; here the
    # last lines are the address and, on a demo database, how to sign in.
    server = make_dev_server(host, port, app)
    threading.Thread(target=work, name="outbox-worker", daemon=True).start()
    threading.Thread(target=_daily_rebuild(app).run_forever, args=(stop,), name="search-daily-rebuild", daemon=True).start()
    for line in ready_lines(app, host, server.server_port):
        click.echo(line)
    try:
        server.serve_forever()  # Ctrl+C ends it quietly
    finally:
        server.server_close()
        stop.set()
        time.sleep(0.1)


def ready_lines(app: Flask, host: str, port: int) -> list[str]:
    """Return what `loom serve` prints once it listens: the demo's sign-ins (when the database has them), then the address."""
    from marketplace.demo import demo_logins, sign_in_lines

    with app.extensions["loom.db"]["sessionmaker"]() as session:  # a read of its own, closed before serving
        logins = demo_logins(session)
    lines = [] if logins is None else sign_in_lines(logins)
    return [*lines, f"Loom is ready at http://{host}:{port}/  (Ctrl+C stops it)"]


@main.group("uploads")
def uploads_group() -> None:
    """Uploaded files."""


@uploads_group.command("sweep")
@click.option(
    "--older-than",
    "older_than",
    default=None,
    type=click.IntRange(min=60),
    help="Seconds; default STAGED_MAX_AGE_SECONDS (an hour).",
)
@with_appcontext
def uploads_sweep(older_than: int | None) -> None:
    """Delete `*.staged` uploads left by requests that died before their transaction ended."""
    from marketplace.uploads import sweep_staged

    config = current_app.config
    age = dt.timedelta(seconds=older_than or config["STAGED_MAX_AGE_SECONDS"])
    removed = sweep_staged(Path(config["UPLOAD_DIR"]), older_than=age)
    click.echo(f"{len(removed)} abandoned staged upload(s) older than {int(age.total_seconds())} s removed.")


@main.command("create-operator")
@click.argument("email")
@click.option("--name", default="Operator", show_default=True)
@click.password_option()
@with_appcontext
def create_operator(email: str, name: str, password: str) -> None:
    """Create an operator account (or make an existing account an operator)."""
    from marketplace.accounts.services import make_operator

    make_operator(db.session, email=email, name=name, password=password)
    click.echo(f"{email} is an operator.")


@main.group("payments")
def payments_group() -> None:
    """Payments through Stripe."""


@payments_group.command("reconcile")
@click.option("--days", default=7, show_default=True, help="How far back to look at payments and transfers.")
@with_appcontext
def payments_reconcile(days: int) -> None:
    """Re-read recent payments, refunds, transfers and Connect accounts from Stripe and repair what lost webhooks left behind."""
    import datetime as dt

    from payments.gateway import PaymentsNotConfigured, gateway_from
    from payments.reconcile import reconcile, reconcile_count
    from payments.settings import Settings

    try:
        gateway = gateway_from(current_app.config)
    except PaymentsNotConfigured as error:
        raise click.ClickException(str(error)) from None
    since = utcnow() - dt.timedelta(days=days)
    with Progress("Asking Stripe", reconcile_count(db.session, since=since)) as bar:
        report = reconcile(
            db.session, gateway, since=since, settings=Settings.from_config(current_app.config), progress=bar.update
        )
    click.echo(str(report))
    if report.unreachable:
        raise SystemExit(1)
