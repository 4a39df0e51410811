"""Loom's marketplace: the Flask application that owns the database."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from marketplace import config as loom_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then LOOM_* environment variables, then the caller's overrides.

    `marketplace.bootstrap` then attaches the adapters (search index, event subscribers, outbox handlers).
    """
    from marketplace.web import LoomFlask

    app = LoomFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=(config or {}).get("INSTANCE_PATH") or str(ROOT / "instance"),
    )
    app.config.from_object(loom_config.Defaults)
    app.config.from_prefixed_env("LOOM")
    if config:
        app.config.update(config)
    loom_config.finish(app)

    from marketplace import web
    from marketplace.bootstrap import bootstrap
    from marketplace.db import db

    db.init_app(app)
    bootstrap(app)
    web.init_app(app)
    return app
