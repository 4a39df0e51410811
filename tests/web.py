"""Drive the web pages the way a browser does: read the form's CSRF token, then post."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1) or match.group(2)


def submit(client: FlaskClient, page: str, data: dict[str, Any], *, action: str | None = None, **kwargs: Any) -> TestResponse:
    """GET `page`, take its CSRF token and POST `data` to `action` (the page itself by default)."""
    token = csrf_token(client, page)
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    response = submit(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)
