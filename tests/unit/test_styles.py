"""Loom's stylesheet works in both directions: only logical properties, never a physical left or right."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "marketplace" / "static" / "loom.css"
PHYSICAL = re.compile(
    r"(?<![\w-])(margin|padding|border)-(left|right)\b|(?<![\w-])(left|right)\s*:|text-align\s*:\s*(left|right)\b"
    r"|float\s*:\s*(left|right)\b|clear\s*:\s*(left|right)\b"
)
# margin/padding with four different sides name left and right by position ("0 .25rem .25rem 0").
FOUR_SIDES = re.compile(r"(?<![\w-])(margin|padding)\s*:\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+?)\s*[;}]")


def declarations() -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    return [d.strip() for block in re.findall(r"\{([^{}]*)\}", text) for d in block.split(";") if d.strip()]


def test_the_stylesheet_uses_logical_properties_so_right_to_left_pages_mirror() -> None:
    physical = [d for d in declarations() if PHYSICAL.search(d)]
    lopsided = [d for d in declarations() if (m := FOUR_SIDES.search(d + ";")) and m.group(3) != m.group(5)]
    assert len(declarations()) > 100
    assert not physical and not lopsided, physical + lopsided


def test_scripts_with_marks_above_and_below_get_taller_lines() -> None:
    assert re.search(r":lang\(hi\), :lang\(am\) \{ line-height: 1\.[7-9]", CSS.read_text(encoding="utf-8"))
