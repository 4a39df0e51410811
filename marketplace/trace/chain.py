"""The hash chain over an order's trace events: canonical JSON in, SHA-256 out."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Serialize with sorted keys, no spaces and UTF-8 as is, so equal content hashes equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(body)}".encode()).hexdigest()


def first_broken_link(events: Sequence[tuple[str, str, dict[str, Any]]]) -> int | None:
    """Check (prev_hash, hash, body) triples in chain order; return the index of the first bad one."""
    expected_prev = GENESIS
    for index, (prev_hash, digest, body) in enumerate(events):
        if prev_hash != expected_prev or event_hash(prev_hash, body) != digest:
            return index
        expected_prev = digest
    return None
