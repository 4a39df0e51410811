"""RFC 9457 problem+json answers, for the JSON API and the webhooks (the blueprints import this, not the app's wiring)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def problem(status: int, title: object, detail: object = "", **extra: Any) -> Response:
    """Build an RFC 9457 problem+json response: HTTP `status`, a short `title`, an optional `detail` (plain or lazily translated
    strings), any `extra` members."""
    body = {"type": "about:blank", "title": str(title), "status": status, **({"detail": str(detail)} if detail else {}), **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
