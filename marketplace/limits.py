"""Rate limits on the doors people could hammer (Flask-Limiter), and which client address to believe.

Counted per signed-in user, or per address for anonymous requests, in the store named by
LOOM_RATELIMIT_STORAGE_URI: `memory://` for one process (`make run`), a shared store such as
`redis://127.0.0.1:6379` when several processes serve. Each limit is a setting (LOOM_RATE_LIMIT_*)
in Flask-Limiter's notation, e.g. "5 per hour; 20 per day".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix


def _who() -> str:
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr or 'unknown'}"


limiter = Limiter(key_func=_who)


@limiter.request_filter
def _counted_already() -> bool:
    """A request run again after a busy database (marketplace.web.LoomFlask) was counted on its first run."""
    return bool(g.get("loom_retrying"))


def retry_after() -> int:
    """Seconds until the limit the current request broke lets it through again (at least 1)."""
    current = limiter.current_limit
    return max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60


def limit(setting: str, *, methods: list[str] | None = None) -> Callable[[Any], Any]:
    """Decorate a view (or blueprint) with the limit named by config key RATE_LIMIT_<setting>."""
    return limiter.limit(lambda: current_app.config[f"RATE_LIMIT_{setting}"], methods=methods, key_func=_who)


class TrustedProxies:
    """ProxyFix for the number of proxies the operator configured (LOOM_TRUSTED_PROXIES, read per request).

    With 0 (the default) X-Forwarded-For and X-Forwarded-Proto are ignored: any client could write them.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        hops = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        fix = self.fixes.get(hops)
        if fix is None:
            fix = self.fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


def init_app(app: Flask) -> None:
    """Read client addresses through TRUSTED_PROXIES hops only, and attach the rate limiter to `app`."""
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]
    limiter.init_app(app)
