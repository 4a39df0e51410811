"""Print the import graph between Loom's packages, as `importer -> imported` lines (one per package pair).

    .venv/bin/python dev/import_graph.py                # marketplace's feature packages and the adapters
    .venv/bin/python dev/import_graph.py --modules      # every module-to-module import instead
    .venv/bin/python dev/import_graph.py --summary      # edge counts and the package pairs that import each other
    .venv/bin/python dev/import_graph.py --summary --at feb1120   # the same for another commit (git archive)

Type-checking-only imports (`if TYPE_CHECKING:`) are left out, as `lint-imports` leaves them out. The contracts
the graph must keep are in pyproject.toml (`[tool.importlinter]`), checked by tests/unit/test_architecture.py.
In `--summary`, the pairs that import each other are counted with views included and the composition root
(`marketplace.web`, `bootstrap`, `cli`, `demo`, `models`) left out, as the acyclic contract counts them.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import grimp

ROOTS = ("marketplace", "erp_connector", "payments", "search")
COMPOSITION_ROOT = {"marketplace.web", "marketplace.bootstrap", "marketplace.cli", "marketplace.demo", "marketplace.models"}


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


def mutual_pairs(package_edges: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the pairs of core packages that import each other (outside the composition root), each once, sorted."""
    core = {(a, b) for a, b in package_edges if a.startswith("marketplace.") and b.startswith("marketplace.")}
    core = {(a, b) for a, b in core if a not in COMPOSITION_ROOT and b not in COMPOSITION_ROOT}
    return sorted((a, b) for a, b in core if (b, a) in core and a < b)


def summary() -> str:
    """Describe the graph in numbers: package edges, module edges, and the core package pairs that import each other."""
    packages = edges()
    pairs = mutual_pairs(packages)
    lines = [
        f"package edges: {len(packages)}",
        f"module edges: {len(edges(modules=True))}",
        f"core package pairs importing each other: {len(pairs)}",
    ]
    lines += [f"  {a} <-> {b}" for a, b in pairs]
    return "\n".join(lines)


def at_revision(revision: str, args: list[str]) -> int:
    """Run this script on the packages as they are at git `revision` (extracted to a temporary folder); return its exit code."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision, *ROOTS], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        env = {**os.environ, "PYTHONPATH": folder}  # ahead of the editable install: that revision's packages are read
        return subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, cwd=folder).returncode


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--at" in argv:
        where = argv.index("--at")
        sys.exit(at_revision(argv[where + 1], argv[:where] + argv[where + 2 :]))
    if "--summary" in argv:
        print(summary())
    else:
        for importer, imported in sorted(edges(modules="--modules" in argv)):
            print(f"{importer} -> {imported}")
