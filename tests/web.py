"""Drive the web pages the way a browser does: read the form's CSRF token, then post."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1) or match.group(2)


def hidden_fields(client: FlaskClient, page: str) -> dict[str, str]:
    """GET `page` and return the hidden fields a browser would post with its (first) form: CSRF and submission tokens."""
    html = client.get(page).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {page}"
    fields = {"csrf_token": match.group(1) or match.group(2)}
    if submission := _SUBMISSION.search(html):
        fields["submission"] = submission.group(1)
    return fields


def submit(client: FlaskClient, page: str, data: dict[str, Any], *, action: str | None = None, **kwargs: Any) -> TestResponse:
    """GET `page`, take its hidden tokens as a browser would and POST `data` to `action` (the page itself by default)."""
    return client.post(action or page, data={**hidden_fields(client, page), **data}, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    response = submit(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)
