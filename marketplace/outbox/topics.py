"""The outbox topics: each names one job for one consumer, written as `area.verb_object`."""
from __future__ import annotations

SEND_MAIL = "mail.send"
INDEX_GROUP = "search.index_group"  # key: producer group id; payload: {"version": n}

TOPICS: frozenset[str] = frozenset({SEND_MAIL, INDEX_GROUP})
