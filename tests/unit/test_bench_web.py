"""bench/web.py's comparison of two pages slice by slice: the ratio of their totals and the spread of its rounds."""

from __future__ import annotations

import pytest

from bench import web as bench


def side(*slices: tuple[int, int, float]) -> bench.Side:
    """A side that answered, in each slice, `ok` requests with 200 and `failed` with another status in `seconds`."""
    measured = bench.Side()
    for ok, failed, seconds in slices:
        measured.add([(1.0, 200)] * ok + [(1.0, 500)] * failed, seconds)
    return measured


def test_each_round_compares_the_slices_that_ran_side_by_side() -> None:
    postgres = side((100, 0, 1.0), (90, 0, 1.0), (120, 0, 1.0))
    sqlite = side((110, 0, 1.0), (117, 0, 1.0), (120, 0, 1.0))

    assert bench.slice_ratios(postgres, sqlite) == pytest.approx([1.1, 1.3, 1.0])
    assert bench.ratio_with_spread(postgres, sqlite) == "1.12 (1.00–1.30)"  # 347 ÷ 310 requests in the same time


def test_a_round_counts_answered_requests_only_and_skips_a_side_that_answered_none() -> None:
    postgres = side((50, 50, 1.0), (0, 10, 1.0), (100, 0, 2.0))
    sqlite = side((100, 0, 1.0), (100, 0, 1.0), (100, 0, 1.0))

    assert bench.slice_ratios(postgres, sqlite) == pytest.approx([2.0, 2.0])
    assert postgres.errors == 60


def test_one_round_prints_the_ratio_alone() -> None:
    assert bench.ratio_with_spread(side((80, 0, 1.0)), side((100, 0, 1.0))) == "1.25"
