"""Rate limits hold across processes: two gunicorn servers counting in one Redis allow the limit once, not once each."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from marketplace.cli import upgrade_database
from marketplace.secrets import new_key

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(folder: Path, database_url: str, storage: str, prefix: str) -> Iterator[str]:
    """Serve the app with gunicorn (one worker) on a free loopback port until the block ends; yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "LOOM_DATABASE_URL": database_url,
        "LOOM_SECRET_KEY": "shared-limits-secret",
        "LOOM_SECRETS_KEY": new_key(),
        "LOOM_SESSION_COOKIE_SECURE": "false",
        "LOOM_BASE_URL": f"http://127.0.0.1:{port}",
        "LOOM_MAIL_DIR": str(folder / "mail"),
        "LOOM_UPLOAD_DIR": str(folder / "uploads"),
        "LOOM_SEARCH_EMBEDDED_PATH": str(folder / "search.db"),
        "LOOM_RATELIMIT_STORAGE_URI": storage,
        "LOOM_RATELIMIT_KEY_PREFIX": prefix,
        "LOOM_RATE_LIMIT_SIGNUP": f"{LIMIT} per hour",
    }
    log_path = folder / f"gunicorn-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "marketplace:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if requests.get(f"{base}/login", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            else:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            yield base
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _sign_up_attempts(bases: list[str], attempts: int) -> list[int]:
    """Post the sign-up form `attempts` times, taking turns between the servers; return the status of each answer."""
    statuses = []
    for n in range(attempts):
        browser = requests.Session()
        base = bases[n % len(bases)]
        page = browser.get(f"{base}/signup", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        # Refused by the form (not an address), so nothing is created: the limit counts attempts, not accounts.
        statuses.append(
            browser.post(f"{base}/signup", data={"csrf_token": token, "email": "not-an-address"}, timeout=10).status_code
        )
    return statuses


def _serve_twice(tmp_path: Path, storage: str) -> list[int]:
    database_url = f"sqlite:///{tmp_path / 'loom.db'}"
    upgrade_database(database_url)
    prefix = f"loom-test-{uuid.uuid4().hex}"  # a fresh count in the shared store for each run
    with ExitStack() as servers:
        bases = [servers.enter_context(gunicorn(tmp_path, database_url, storage, prefix)) for _ in range(2)]
        return _sign_up_attempts(bases, 2 * LIMIT + 2)


def test_two_gunicorn_servers_counting_in_one_redis_allow_the_sign_up_limit_once_in_all(tmp_path: Path) -> None:
    redis_url = os.environ.get("LOOM_TEST_REDIS_URL")
    if not redis_url:
        pytest.fail('LOOM_TEST_REDIS_URL is not set: run the tests after `eval "$(dev/services up)"`, which starts Redis')

    statuses = _serve_twice(tmp_path, redis_url)

    assert statuses.count(422) == LIMIT, statuses  # five attempts in all, answered by whichever server
    assert statuses[LIMIT:] == [429] * (len(statuses) - LIMIT), statuses


def test_each_process_counting_in_its_own_memory_allows_the_limit_once_per_process(tmp_path: Path) -> None:
    """Why several processes need the shared store: with `memory://` each counts alone (the test above fails this way)."""
    statuses = _serve_twice(tmp_path, "memory://")

    assert statuses.count(422) == 2 * LIMIT, statuses
