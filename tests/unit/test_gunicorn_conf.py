"""gunicorn.conf.py, which gunicorn reads from the folder it is started in, freezes a loaded worker's objects."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_loaded_worker_is_frozen_out_of_full_collections() -> None:
    hooks = runpy.run_path(str(CONF))
    assert gc.get_freeze_count() == 0
    try:
        hooks["post_worker_init"](object())
        assert gc.get_freeze_count() > 1000  # the interpreter's and the test run's long-lived objects
    finally:
        gc.unfreeze()
