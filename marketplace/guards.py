"""View decorators shared by the blueprints: who may open a page, decided before the view runs.

A decorator that needs a feature package lives in that package (a group's admin pages: `marketplace.producers.guards`),
so this module imports none of them and any blueprint may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, abort, redirect
from flask_login import current_user, login_required


def operator_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let operators in, and answer 404 to everyone else (the desk's existence is nobody else's business)."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def moved_permanently(location: str) -> Response:
    """Answer 301 to a renamed group's old address, with `Cache-Control: no-store`.

    A browser keeps an uncached-by-header 301 forever; a group renamed A→B→A would then loop
    (ERR_TOO_MANY_REDIRECTS). `no-store` keeps the permanent status for search engines and clients
    while each visit asks again (RFC 9111 §5.2.2.5).
    """
    response = redirect(location, 301)
    response.headers["Cache-Control"] = "no-store"
    return response
