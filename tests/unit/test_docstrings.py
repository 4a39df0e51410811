"""Every public function of the services, adapters and query model says what it does (STYLE.md, "Words").

Scope: every module of marketplace/, erp_connector/, payments/ and search/ but views, forms and models; public means
a top-level function, or a method of a public class, whose name does not start with "_". Run this file's
`undocumented()` (or `python -m pytest tests/unit/test_docstrings.py`) to list what is missing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "erp_connector", "payments", "search")
SKIPPED = {"views.py", "forms.py", "models.py", "token_views.py"}


def public_functions(source: str) -> list[tuple[int, str, bool]]:
    """Return `(line, qualified name, has a docstring)` for each public function and method in `source`."""
    found: list[tuple[int, str, bool]] = []

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                found.append((node.lineno, prefix + node.name, ast.get_docstring(node) is not None))
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.")

    visit(ast.parse(source).body, "")
    return found


def undocumented() -> list[str]:
    """List 'path:line name' for each public function in scope without a docstring."""
    return [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name not in SKIPPED
        for line, name, documented in public_functions(path.read_text(encoding="utf-8"))
        if not documented
    ]


def test_every_public_function_of_services_adapters_and_the_query_model_has_a_docstring() -> None:
    assert undocumented() == []


def test_the_check_sees_a_missing_docstring() -> None:
    source = 'def shown(): pass\n\ndef _private(): pass\n\nclass Box:\n    def open(self):\n        """Open it."""\n'
    assert public_functions(source) == [(1, "shown", False), (6, "Box.open", True)]
