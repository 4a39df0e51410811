"""Print the import graph between Loom's packages, as `importer -> imported` lines (one per package pair).

    .venv/bin/python dev/import_graph.py            # marketplace's feature packages and the adapters
    .venv/bin/python dev/import_graph.py --modules  # every module-to-module import instead

Type-checking-only imports (`if TYPE_CHECKING:`) are left out, as `lint-imports` leaves them out. The contracts
the graph must keep are in pyproject.toml (`[tool.importlinter]`), checked by tests/unit/test_architecture.py.
"""

from __future__ import annotations

import sys

import grimp

ROOTS = ("marketplace", "erp_connector", "payments", "search")


def package_of(module: str) -> str:
    """Name the node a module belongs to: `marketplace.<child>` inside the core, else the top package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "marketplace" and len(parts) > 1 else parts[0]


def edges(*, modules: bool = False) -> set[tuple[str, str]]:
    """Return the (importer, imported) pairs between packages (or between modules with `modules`)."""
    graph = grimp.build_graph(*ROOTS, include_external_packages=False, exclude_type_checking_imports=True)
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            pair = (module, imported) if modules else (package_of(module), package_of(imported))
            if pair[0] != pair[1]:
                found.add(pair)
    return found


if __name__ == "__main__":
    for importer, imported in sorted(edges(modules="--modules" in sys.argv)):
        print(f"{importer} -> {imported}")
