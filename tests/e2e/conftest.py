"""A real server on 127.0.0.1 with demo data, and Debian's Chromium driven headless by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from marketplace import create_app
from marketplace.cli import upgrade_database
from marketplace.demo import seed_marketplace
from marketplace.devserver import make_dev_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app behind `live_url`, for tests that read what it wrote (the e-mails in its outbox)."""
    folder = tmp_path_factory.mktemp("loom-e2e")
    url = f"sqlite:///{folder / 'e2e.db'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "e2e-secret"})
    with app.app_context():
        from marketplace.db import db

        seed_marketplace(db.session, groups=12, seed=7, photos_folder=Path(app.config["UPLOAD_DIR"]))
        from search.indexing import rebuild

        rebuild(db.session, app.extensions["loom.search"])  # what `make run` does: search finds the demo groups
    server = make_dev_server("127.0.0.1", 0, app)  # as `loom serve` serves
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # links in e-mails and QR codes point at this server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    app.extensions["loom.db"]["engine"].dispose()


@pytest.fixture(scope="session")
def live_url(live_app: Flask) -> str:
    return str(live_app.config["BASE_URL"])


def page_width(page: Page) -> int:
    """The page's laid-out width in CSS pixels, once its stylesheets have loaded: `expect(...).to_be_visible()` can pass
    on the new page's DOM before its CSS arrives (a loaded machine, a POST's redirect), and an unstyled page is wider."""
    page.wait_for_load_state("load")
    return int(page.evaluate("document.documentElement.scrollWidth"))


def mailed_link(app: Flask, to: str, path: str) -> str:
    """The newest link to `path` in an e-mail the app queued for `to`."""
    import re

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from marketplace.outbox.models import OutboxMessage

    with Session(app.extensions["loom.db"]["engine"]) as session:
        bodies = [
            m.payload["body"]
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
            if m.payload.get("to") == to
        ]
    for body in bodies:
        if match := re.search(rf"https?://\S+{re.escape(path)}\S*", body):
            return match.group(0)
    raise AssertionError(f"no e-mail to {to} with a link to {path}")


# Screenshots of the main pages at phone size, kept after every e2e run for the closing note (gitignored);
# LOOM_TEST_SCREENSHOTS names another folder.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
_SAVED = pytest.StashKey[list[Path]]()


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path:
    """The folder this run's screenshots go to, emptied of an earlier run's; each saved one is listed at the end of the run."""
    folder = Path(os.environ.get("LOOM_TEST_SCREENSHOTS") or SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    pytestconfig.stash[_SAVED] = []
    return folder


def save_screenshot(config: pytest.Config, page: Page, path: Path) -> None:
    """Save the whole page as `path` (PNG) and list it in the run's summary."""
    page.screenshot(path=path, full_page=True)
    config.stash.setdefault(_SAVED, []).append(path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED, [])
    if saved:
        terminalreporter.section(f"{len(saved)} screenshots at 390 px")
        for path in saved:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("LOOM_TEST_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("No Chromium found: run the suite with `make test`, which installs Debian's chromium.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
