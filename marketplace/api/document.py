"""The API's OpenAPI document (openapi.json), and what Loom enforces from it before a view reads a parameter.

Views read a parameter with `request.args.get`, which takes the first of repeated values and cannot tell an empty
value from an absent one. The document says which parameters are lists (OpenAPI 3.1, "Style Values": an array in
`form` style with `explode`, written `category=a&category=b`) and what each value may be; here, before the view:
- a parameter that is not such a list, given twice, is refused, not read as its first value;
- an empty value the parameter's schema refuses (a number, a date, an enum, a pattern or minLength an empty string
  fails, a `|`-delimited list with an empty entry) is refused, not read as "not given".
Both are a 400 naming the parameter (`DomainError.field`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
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


def refuses_empty(schema: Mapping[str, Any]) -> bool:
    """True when an empty string is not a value of this (query parameter's) schema: a number or boolean, a date, an enum
    without "", a pattern "" does not match, a minLength of 1 or more. (The subset of JSON Schema the document uses.)"""
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean") or schema.get("format") in ("date", "date-time"):
        return True
    if "enum" in schema and "" not in schema["enum"]:
        return True
    return schema.get("minLength", 0) > 0 or ("pattern" in schema and re.search(schema["pattern"], "") is None)


@dataclass(frozen=True)
class Rules:
    """What one operation's query parameters may not be: `once`, given more than once; `not_empty`, given empty;
    `no_empty_entry`, `|`-delimited lists whose entries may not be empty."""

    once: frozenset[str]
    not_empty: frozenset[str]
    no_empty_entry: frozenset[str]


@functools.cache
def rules() -> dict[str, Rules]:
    """{full path template: its GET's Rules}, for every path in the document.

    Keys are the site-relative path in the document's notation: "/api/v1/groups/{slug}", "/epcis/events".
    """
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    found: dict[str, Rules] = {}
    for path, item in document["paths"].items():
        root = "" if item.get("servers") else API_ROOT
        operation = item.get("get", {})
        query = [p for p in (*item.get("parameters", ()), *operation.get("parameters", ())) if p.get("in") == "query"]
        once, not_empty, no_empty_entry = set(), set(), set()
        for parameter in query:
            name, schema = parameter["name"], parameter.get("schema", {})
            if repeatable(parameter):  # category=a&category=b: each value one entry
                if refuses_empty(schema.get("items", {})):
                    not_empty.add(name)
                continue
            once.add(name)
            if schema.get("type") == "array":  # a|b in one value (pipeDelimited, the only delimited style the document uses)
                if schema.get("minItems", 0) > 0:
                    not_empty.add(name)
                if refuses_empty(schema.get("items", {})):
                    no_empty_entry.add(name)
            elif refuses_empty(schema):
                not_empty.add(name)
        found[root + path] = Rules(frozenset(once), frozenset(not_empty), frozenset(no_empty_entry))
    return found


def template_of(rule: str) -> str:
    """A Flask URL rule in the document's notation: "/api/v1/groups/<slug>" → "/api/v1/groups/{slug}"."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


NO_RULES = Rules(frozenset(), frozenset(), frozenset())


def refuse_what_the_document_refuses(args: MultiDict[str, str], rule: str) -> None:
    """Raise DomainError (400, `field` = the parameter) for a parameter given more than once that the document takes
    once, or given empty (or with an empty `|` entry) where its schema refuses an empty string.

    `rule` is the matched Flask URL rule (`request.url_rule.rule`); a rule the document does not describe passes.
    """
    found = rules().get(template_of(rule), NO_RULES)
    for name in args:
        values = args.getlist(name)
        if name in found.once and len(values) > 1:
            raise DomainError(_("%(name)s takes one value: give it once.", name=name), field=name)
        if name in found.not_empty and any(not value.strip() for value in values):
            raise DomainError(_("%(name)s is empty: give a value or leave the parameter out.", name=name), field=name)
        if name in found.no_empty_entry and any("" in value.split("|") for value in values):
            raise DomainError(_("%(name)s has an empty entry between its | separators.", name=name), field=name)
