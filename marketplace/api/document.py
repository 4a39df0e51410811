"""The API's OpenAPI document (openapi.json), and what Loom enforces from it before a view reads a parameter.

Views read a parameter with `request.args.get`, which takes the first of repeated values. The document says which
parameters are lists (OpenAPI 3.1, "Style Values": an array in `form` style with `explode`, written
`category=a&category=b`); any other parameter given twice is refused here with a 400, not read as its first value.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from marketplace.errors import DomainError

OPENAPI = Path(__file__).with_name("openapi.json")
API_ROOT = "/api/v1"  # where the document's paths sit, unless a path names its own server (the EPCIS interface: the root)
_RULE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")  # Flask's <int:order_id> or <slug>


def repeatable(parameter: Mapping[str, Any]) -> bool:
    """True when a query parameter may be given more than once: an array in `form` style (the default) with `explode`
    (the default for `form`). `pipeDelimited` and `spaceDelimited` arrays are one value holding the list."""
    return (
        parameter.get("schema", {}).get("type") == "array"
        and parameter.get("style", "form") == "form"
        and parameter.get("explode", True)
    )


@functools.cache
def single_valued() -> dict[str, frozenset[str]]:
    """{full path template: the query parameters it takes at most once}, for every GET in the document.

    Keys are the site-relative path in the document's notation: "/api/v1/groups/{slug}", "/epcis/events".
    """
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    found: dict[str, frozenset[str]] = {}
    for path, item in document["paths"].items():
        root = "" if item.get("servers") else API_ROOT
        operation = item.get("get", {})
        parameters = [*item.get("parameters", ()), *operation.get("parameters", ())]
        found[root + path] = frozenset(p["name"] for p in parameters if p.get("in") == "query" and not repeatable(p))
    return found


def template_of(rule: str) -> str:
    """A Flask URL rule in the document's notation: "/api/v1/groups/<slug>" → "/api/v1/groups/{slug}"."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


def refuse_repeated(args: MultiDict[str, str], rule: str) -> None:
    """Raise DomainError (400, `field` = the parameter) when a parameter the document takes once is given more than once.

    `rule` is the matched Flask URL rule (`request.url_rule.rule`); a rule the document does not describe passes.
    """
    once = single_valued().get(template_of(rule), frozenset())
    for name in args:
        if name in once and len(args.getlist(name)) > 1:
            raise DomainError(_("%(name)s takes one value: give it once.", name=name), field=name)
