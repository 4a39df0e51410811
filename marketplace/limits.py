"""Rate limits on the doors people could hammer (Flask-Limiter), and which client address to believe.

Counted per signed-in user, or per address for anonymous requests, in the store named by
LOOM_RATELIMIT_STORAGE_URI: `memory://` for one process (`make run`), a shared store such as
`redis://127.0.0.1:6379` when several processes serve. Each limit is a setting (LOOM_RATE_LIMIT_*)
in Flask-Limiter's notation, e.g. "5 per hour; 20 per day".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
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


# The views and blueprints `limit` decorated: the views by qualified name (as Flask-Limiter marks them, and as every
# decorator around them keeps it through functools.wraps), the blueprints by name.
_limited_views: set[str] = set()
_limited_blueprints: set[str] = set()
# Flask-Limiter's settings for limits on every route: with none of them, only the doors `limit` decorated have one.
APP_WIDE_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


@limiter.request_filter
def _no_limit_here() -> bool:
    """Tell whether no limit can apply to this request: a view `limit` did not decorate, in no blueprint it decorated,
    with no limit configured for every route.

    Flask-Limiter resolves every request's limits (the view's, its blueprints', the defaults, each evaluated) and finds
    none on most pages; this lets it stop at its request filters. A filtered request is counted by no limit.
    """
    if current_app.extensions.get("loom.app_wide_limits"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or _qualified_name(view) in _limited_views:
        return False
    return _limited_blueprints.isdisjoint(request.blueprints)


def _qualified_name(view: Callable[..., Any]) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def app_wide_limits(config: Mapping[str, Any]) -> bool:
    """Tell whether the settings give Flask-Limiter a limit for every route (a default, application or meta limit)."""
    return any(config.get(name) for name in APP_WIDE_SETTINGS)


def limit(setting: str, *, methods: list[str] | None = None) -> Callable[[Any], Any]:
    """Decorate a view (or blueprint) with the limit named by config key RATE_LIMIT_<setting>."""
    decorate = limiter.limit(lambda: current_app.config[f"RATE_LIMIT_{setting}"], methods=methods, key_func=_who)

    def limited(target: Any) -> Any:
        decorated = decorate(target)
        if isinstance(target, Blueprint):
            _limited_blueprints.add(target.name)
        else:
            _limited_views.add(_qualified_name(target))
        return decorated

    return limited


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
    app.extensions["loom.app_wide_limits"] = app_wide_limits(app.config)
    limiter.init_app(app)
