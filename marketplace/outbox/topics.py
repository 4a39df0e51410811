"""The outbox topics: each names one job for one consumer, written as `area.verb_object`."""
from __future__ import annotations

SEND_MAIL = "mail.send"

TOPICS: frozenset[str] = frozenset({SEND_MAIL})
