"""Small rules the rest stands on: hash chains, backoff, slugs, roles, the taxonomy, CSV grouping."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from flask import Flask

from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.config import Defaults
from marketplace.outbox.worker import HandlerRegistry, RetryPolicy, Worker
from marketplace.producers.forms import words
from marketplace.producers.importer import RecordError, read_csv
from marketplace.producers.taxonomy import CATEGORIES, LEAF_CATEGORIES, TOP_CATEGORIES
from marketplace.text import slugify
from marketplace.trace.chain import GENESIS, canonical_json, event_hash, first_broken_link


def test_canonical_json_ignores_key_order_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": "Sololá"}) == canonical_json({"a": "Sololá", "b": 1}) == '{"a":"Sololá","b":1}'


def test_a_changed_or_reordered_event_breaks_the_chain_where_it_happened() -> None:
    bodies = [{"n": 1}, {"n": 2}, {"n": 3}]
    chain, prev = [], GENESIS
    for body in bodies:
        digest = event_hash(prev, body)
        chain.append((prev, digest, body))
        prev = digest
    assert first_broken_link(chain) is None
    assert first_broken_link([chain[0], (chain[1][0], chain[1][1], {"n": 20}), chain[2]]) == 1
    assert first_broken_link([chain[0], chain[2], chain[1]]) == 1


def _default_worker() -> Worker:
    """The worker `loom worker` builds from an app left at its defaults (no database is opened)."""
    app = Flask(__name__)
    app.config.from_object(Defaults)
    app.extensions["loom.db"] = {"sessionmaker": None}
    app.extensions["loom.outbox"] = HandlerRegistry()
    return worker_for(app)


def test_the_worker_an_app_builds_by_default_waits_as_documented() -> None:
    worker = _default_worker()
    assert worker.lease_seconds == 5 * 60  # README, "Outbox retries": the lease moves the next attempt 5 minutes ahead
    rng = random.Random(1)
    for attempt, ceiling in DEFAULT_SCHEDULE.items():
        delay = worker.policy.delay(attempt, rng).total_seconds()
        assert ceiling * 0.8 <= delay <= ceiling, attempt
    assert worker.policy.max_attempts == 70
    shortest, longest = worker.policy.horizon()
    # README: "the dead letter comes 50–63 hours after the first failure": 30 s + 1 + 2 + … + 32 min + 62 × 1 h, less up to 20 %.
    longest_seconds = 30 + 60 + 120 + 240 + 480 + 960 + 1920 + 62 * 3600
    assert (shortest, longest) == (dt.timedelta(seconds=0.8 * longest_seconds), dt.timedelta(seconds=longest_seconds))
    assert round(shortest / dt.timedelta(hours=1)) == 50 and round(longest / dt.timedelta(hours=1)) == 63


# The default schedule (README, "Outbox retries"): failed attempt → the wait before the next one, in seconds.
DEFAULT_SCHEDULE = {1: 30, 2: 60, 3: 120, 4: 240, 5: 480, 6: 960, 7: 1920, 8: 3600, 9: 3600, 30: 3600, 69: 3600}


def test_the_default_retry_schedule_waits_as_documented() -> None:
    policy, config = RetryPolicy(), Defaults()
    configured = (config.OUTBOX_MAX_ATTEMPTS, config.OUTBOX_BACKOFF_SECONDS, config.OUTBOX_BACKOFF_MAX_SECONDS)
    assert (policy.max_attempts, policy.base_seconds, policy.max_seconds) == configured
    rng = random.Random(12)
    for attempt, ceiling in DEFAULT_SCHEDULE.items():
        waits = [policy.delay(attempt, rng).total_seconds() for _ in range(50)]
        assert all(ceiling * 0.8 <= w <= ceiling for w in waits), attempt
    assert policy.max_attempts == 70  # the 70th failure is the dead letter


def test_the_default_retries_outlast_a_two_day_outage() -> None:
    policy = RetryPolicy()
    shortest, longest = policy.horizon()
    assert dt.timedelta(hours=48) <= shortest and longest <= dt.timedelta(hours=72)
    rng = random.Random(3)
    for _ in range(20):  # any draw of the jitter, not only the bounds
        waited = sum((policy.delay(n, rng) for n in range(1, policy.max_attempts)), dt.timedelta())
        assert dt.timedelta(hours=48) <= waited <= dt.timedelta(hours=72)


def test_slugs_fold_accents_and_punctuation() -> None:
    assert slugify("Asociación de Tejedoras — Sololá!") == "asociacion-de-tejedoras-solola"
    assert slugify("???") == "group"


def test_roles_are_ordered() -> None:
    assert Role.OWNER.at_least(Role.ADMIN) and Role.ADMIN.at_least(Role.ADMIN) and not Role.MEMBER.at_least(Role.ADMIN)


def test_taxonomy_is_a_two_level_tree() -> None:
    assert len(TOP_CATEGORIES) >= 8 and len(LEAF_CATEGORIES) >= 40
    assert all(c.parent in CATEGORIES and CATEGORIES[c.parent].parent is None for c in LEAF_CATEGORIES)
    assert CATEGORIES["baskets.storage"].label == "Baskets › Storage & laundry baskets"


def test_comma_lists_are_trimmed_and_deduplicated() -> None:
    assert words(" sisal,  Cotton thread ,SISAL,, ") == ["sisal", "Cotton thread"]


def test_csv_rows_sharing_a_reference_make_one_group() -> None:
    text = (
        "external_ref,name,country,category,moq\n"
        "A,Group A,KE,baskets.storage,10\n"
        "B,Group B,GH,baskets.market,5\n"
        "A,Group A,KE,baskets.market,20\n"
    )
    records = list(read_csv(text))
    assert [(r.label, len(r.data["capabilities"])) for r in records] == [("rows 2, 4", 2), ("row 3", 1)]


def test_csv_with_an_unknown_column_is_refused_whole() -> None:
    with pytest.raises(RecordError, match="unknown column"):
        list(read_csv("external_ref,name,country,category,colour\n"))


def test_the_import_schema_document_lists_every_category_and_scheme() -> None:
    from pathlib import Path

    from marketplace.producers.taxonomy import CERTIFICATION_SCHEMES

    document = (Path(__file__).parents[2] / "docs" / "import-schema.md").read_text()
    missing = [code for code in [*CATEGORIES, *CERTIFICATION_SCHEMES] if f"`{code}`" not in document]
    assert missing == []


def test_buyers_find_furniture_pet_products_and_general_home_decor_in_the_two_level_tree() -> None:
    for code in (
        "furniture",
        "furniture.seating",
        "furniture.tables",
        "pets",
        "pets.beds",
        "pets.collars",
        "home.decor",
        "textiles.bedding",
        "toys.baby",
    ):
        assert code in CATEGORIES
    assert all(CATEGORIES[c.parent].parent is None for c in LEAF_CATEGORIES)  # still two levels
    from search.vocabulary import CATEGORY_WORDS

    assert [c.code for c in CATEGORIES.values() if c.code not in CATEGORY_WORDS] == []  # every category has its words
