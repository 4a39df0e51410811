"""The floor of bench/web.py: the least a Flask page can do, served by the same gunicorn as Loom."""

from __future__ import annotations

from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = "<!doctype html><html lang=en><title>{{ title }}</title><p>{{ text }}</p></html>"


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path: str) -> str:
    return render_template_string(PAGE, title="Floor", text=path or "home")
