"""One transaction style: each use case's service owns its transaction; views validate, call, redirect.

A service function that changes data is decorated with `marketplace.db.use_case` (or, for a process that
calls Stripe or Odoo between its steps, opens its short `write_transaction`s itself) on the session it is
given. Entry points — the blueprints' views, the CLI — never open, commit or roll back a transaction, and
only they (with the web layer's helpers) reach for the request-bound `db.session` or Flask's `g`.
See docs/decisions/services-own-their-transactions.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "erp_connector", "payments", "search")
# Calls that open, end or claim inside a transaction: the service's business, never an entry point's.
TRANSACTION_CALLS = {"transaction", "write_transaction", "run_write", "begin_write", "claim", "claim_submission"}
SESSION_ENDINGS = {"commit", "rollback", "begin", "begin_nested"}
# Modules that may hold the request's session (`db.session`) or Flask's `g`: entry points and the web layer's helpers.
REQUEST_BOUND = {
    "marketplace/__init__.py",
    "marketplace/web.py",
    "marketplace/cli.py",
    "marketplace/db.py",
    "marketplace/guards.py",
    "marketplace/limits.py",
    "marketplace/uploads.py",
    "marketplace/accounts/context.py",
    "marketplace/producers/guards.py",
    "marketplace/i18n.py",  # the request's language: remembers its catalog on g (issue 19), reads no db.session
    "marketplace/pagecache.py",  # request hooks: read the public generation on the request's session, before the view
}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _route_decorators(tree: ast.Module) -> bool:
    """Tell whether a module serves requests: a function decorated `@<blueprint>.get/post/route/...`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in {"get", "post", "put", "delete", "patch", "route"}:
                    return True
    return False


def entry_points() -> list[Path]:
    """Every module that serves requests (a blueprint's views, wherever they live) and the CLI."""
    return [p for p in _modules() if _route_decorators(_tree(p)) or p.relative_to(ROOT).as_posix() == "marketplace/cli.py"]


def transaction_handling(path: Path) -> list[str]:
    """Where `path` opens, claims, commits or rolls back a transaction itself: 'line: call' for each."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
        is_session_ending = isinstance(node.func, ast.Attribute) and name in SESSION_ENDINGS and not node.args
        if name in TRANSACTION_CALLS or is_session_ending:
            found.append((node.lineno, f"{node.lineno}: {name}()"))
    return [text for _line, text in sorted(found)]


def request_bound_names(path: Path) -> list[str]:
    """The request-bound names `path` imports: `db` (the app context's session) from marketplace.db, `g` from flask."""
    names = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and (node.module, node.level) in (("marketplace.db", 0), ("flask", 0)):
            names += [
                f"{node.module}.{a.name}"
                for a in node.names
                if (node.module, a.name) in {("marketplace.db", "db"), ("flask", "g")}
            ]
    return names


def test_the_entry_points_are_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in entry_points()}
    assert {
        "marketplace/sourcing/views.py",
        "marketplace/operator/imports.py",
        "marketplace/api/token_views.py",
        "payments/views.py",
        "erp_connector/views.py",
        "marketplace/cli.py",
    } <= found


@pytest.mark.parametrize("path", entry_points(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_views_and_the_cli_leave_transactions_to_the_services(path: Path) -> None:
    assert transaction_handling(path) == [], (
        f"{path.relative_to(ROOT)} handles a transaction itself; call a service decorated with "
        "marketplace.db.use_case instead (a one-time form passes submission=marketplace.forms.one_time(form, url))"
    )


def test_only_entry_points_reach_for_the_request_session() -> None:
    served = {p.relative_to(ROOT).as_posix() for p in entry_points()} | REQUEST_BOUND
    offenders = {
        p.relative_to(ROOT).as_posix(): names
        for p in _modules()
        if p.relative_to(ROOT).as_posix() not in served and (names := request_bound_names(p))
    }
    assert offenders == {}, "services take the session as their first argument; they never read db.session or g"


def test_the_check_sees_a_view_that_opens_its_own_transaction(tmp_path: Path) -> None:
    view = tmp_path / "views.py"
    view.write_text(
        "@blueprint.post('/x')\ndef x():\n    with transaction() as session:\n        services.do(session)\n"
        "    db.session.commit()\n    once = claim_submission(db.session, form)\n",
        encoding="utf-8",
    )
    assert _route_decorators(_tree(view))
    assert transaction_handling(view) == ["3: transaction()", "5: commit()", "6: claim_submission()"]
