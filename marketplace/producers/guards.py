"""View decorator for a producer group's own pages (/manage/…): the current organization's group, for its admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_login import login_required

from marketplace.accounts import context
from marketplace.db import db
from marketplace.producers import services as producers


def group_admin(view: Callable[..., Any]) -> Callable[..., Any]:
    """Call `view(group, ...)` with the current organization's group, for an admin (or owner) of it; else 403/404."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        group = producers.editable_group(db.session, context.current_membership(), changing=request.method not in ("GET", "HEAD"))
        return view(group, *args, **kwargs)

    return wrapper
