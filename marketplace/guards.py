"""View decorators shared by the blueprints: who may open a page, decided before the view runs.

A decorator that needs a feature package lives in that package (a group's admin pages: `marketplace.producers.guards`),
so this module imports none of them and any blueprint may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
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
