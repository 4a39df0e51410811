"""The import graph keeps the shape the design draws: arrows from the composition root to the adapters and on to the
core, never back; no circles between the marketplace's feature packages; blueprints that do not import each other.

The contracts live in pyproject.toml (`[tool.importlinter]`); `lint-imports` checks them from the command line too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports
from sqlalchemy.orm import Session

from marketplace.bootstrap import wire_subscribers
from marketplace.outbox import events

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    output = capsys.readouterr().out
    assert exit_code == 0, output
    assert "Contracts: 4 kept, 0 broken." in output


def test_an_event_published_before_start_up_is_refused_rather_than_lost() -> None:
    bus = events.EventBus()
    with pytest.raises(events.NotWired):
        bus.publish(Session(), events.InvoiceIssued(invoice=None))  # type: ignore[arg-type]


def test_start_up_subscribes_the_adapters_to_what_the_core_publishes() -> None:
    bus = events.EventBus()
    wire_subscribers(bus)
    wire_subscribers(bus)  # a second app in the same process wires the same subscribers, not twice as many

    def named(event_type: type[events.Event]) -> list[str]:
        return [f"{s.__module__}.{s.__name__}" for s in bus.subscribers(event_type)]

    assert named(events.OrderCancelled) == ["payments.subscribers.settle_cancelled_order", "erp_connector.subscribers.sync_order"]
    assert named(events.OrderConfirmed) == ["erp_connector.subscribers.sync_order"]
    assert named(events.OrderTraced) == ["erp_connector.subscribers.sync_trace", "marketplace.trace.subscribers.record_step"]
    assert named(events.InvoiceIssued) == ["erp_connector.subscribers.sync_invoice"]
    assert named(events.InvoicePaymentChanged) == ["erp_connector.subscribers.sync_payment"]
    assert named(events.GroupChanged) == ["search.subscribers.reindex_group"]
    assert named(events.OrganizationSignedUp) == ["marketplace.producers.services.open_group"]


def test_every_outbox_handler_factory_lives_in_a_handlers_module() -> None:
    """One name per idea: the function that builds an outbox handler (`make_*_handler`) is in `<package>/handlers.py`."""
    elsewhere = []
    for package in ("marketplace", "erp_connector", "payments", "search"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                factory = isinstance(node, ast.FunctionDef) and node.name.startswith("make_") and node.name.endswith("_handler")
                if factory and path.name != "handlers.py":
                    elsewhere.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert elsewhere == []


def test_the_import_graph_command_finds_no_package_pair_importing_each_other() -> None:
    """`python dev/import_graph.py --summary` (the note's before/after) reads the same graph the contracts hold to."""
    sys.path.insert(0, str(ROOT / "dev"))
    try:
        import import_graph
    finally:
        sys.path.remove(str(ROOT / "dev"))
    assert import_graph.mutual_pairs(import_graph.edges()) == []
    assert import_graph.mutual_pairs({("marketplace.a", "marketplace.b"), ("marketplace.b", "marketplace.a")}) == [
        ("marketplace.a", "marketplace.b")
    ]
