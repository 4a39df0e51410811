"""The Makefile: `make run` installs what running needs, `make test` what testing needs."""

from __future__ import annotations

import re

from marketplace import ROOT

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _rule(target: str) -> tuple[list[str], list[str]]:
    """Return (prerequisites, recipe lines) of `target`, with the Makefile's variables expanded."""
    variables = dict(re.findall(r"^(\w+) :?= (.*)$", MAKEFILE, re.M))

    def expand(text: str) -> str:
        for _ in range(3):
            text = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)
        return text

    lines = MAKEFILE.splitlines()
    for i, line in enumerate(lines):
        head = expand(line)
        if head.startswith(f"{target}:") and not head.startswith(f"{target}:="):
            prerequisites = head.split(":", 1)[1].split("|")[0].split()
            recipe = []
            for following in lines[i + 1 :]:
                if not following.startswith("\t"):
                    break
                recipe.append(expand(following))
            return prerequisites, recipe
    raise AssertionError(f"no rule for {target}")


def _installs(target: str) -> list[str]:
    prerequisites, _ = _rule(target)
    return [line for p in prerequisites for line in _rule(p)[1] if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_loom_without_the_test_extra() -> None:
    installs = _installs("run")
    assert installs, "make run installs Loom"
    assert all("[test]" not in line and "-e ." in line for line in installs)


def test_make_test_installs_the_test_extra() -> None:
    assert any("'.[test]'" in line for line in _installs("test"))
