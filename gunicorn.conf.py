"""Gunicorn settings read from the repository folder (`gunicorn 'marketplace:create_app()'` run here).

After a worker has loaded the app, every object it holds so far (the app, SQLAlchemy's mappers and
compiled statements, Jinja's templates, Babel's locale data: about 140,000 objects) is moved out of the
garbage collector's reach with `gc.freeze()`. They live as long as the worker anyway; without this
each full collection walks all of them in the middle of some request (tens of milliseconds on a busy
machine). Requests' own objects are still collected as usual.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Freeze what the freshly loaded worker holds, after one collection of its start-up garbage."""
    gc.collect()
    gc.freeze()
