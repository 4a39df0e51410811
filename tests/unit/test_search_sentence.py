"""What a buyer types on one line becomes the search's filters: quantity, deadline, certifications, materials."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.discovery.sentence import FAIR_TRADE, understand
from marketplace.errors import DomainError

TODAY = dt.date(2026, 11, 29)  # a Sunday late in the year: month-only deadlines fall next year


@pytest.mark.parametrize(
    ("line", "text", "units", "by", "certifications", "materials"),
    [
        ("2,000 sisal baskets, fair trade", "baskets", 2000, None, FAIR_TRADE, ("sisal",)),
        ("2k baskets by March", "baskets", 2000, dt.date(2027, 3, 31), (), ()),
        ("2.5k leather bags due by Feb 3", "bags", 2500, dt.date(2027, 2, 3), (), ("leather",)),
        ("sisal baskets before 15 April", "baskets", None, dt.date(2027, 4, 14), (), ("sisal",)),
        ("before March: 2 000 pcs WFTO baskets", "baskets", 2000, dt.date(2027, 2, 28), ("wfto",), ()),
        ("500 organic cotton scarves by 1 March 2027", "scarves", 500, dt.date(2027, 3, 1), ("organic", "gots"), ("cotton",)),
        ("I need 300 units of jute rugs by the end of May", "rugs", 300, dt.date(2027, 5, 31), (), ("jute",)),
        ("baskets by 2027-02-01, fairtrade certified", "baskets", None, dt.date(2027, 2, 1), FAIR_TRADE, ()),
        ("mats by December", "mats", None, dt.date(2026, 12, 31), (), ()),  # this year's December is still ahead
        ("mats by 28 November", "mats", None, dt.date(2027, 11, 28), (), ()),  # the next 28 November
    ],
)
def test_a_line_is_read_into_filters(
    line: str, text: str, units: int | None, by: dt.date | None, certifications: tuple[str, ...], materials: tuple[str, ...]
) -> None:
    understood = understand(line, TODAY)
    assert (understood.text, understood.units, understood.by, understood.certifications, understood.materials) == (
        text,
        units,
        by,
        certifications,
        materials,
    )


@pytest.mark.parametrize(
    "line",
    ["baskets fair", "baskets", "papyrus", "papyrus weavers", "40 cm baskets", "10 % recycled glass", "shea butter 3 weeks"],
)
def test_words_that_say_no_filter_stay_words(line: str) -> None:
    understood = understand(line, TODAY)
    assert not understood.found_anything and understood.text == line


def test_a_date_that_does_not_exist_is_explained_not_read_as_a_quantity() -> None:
    with pytest.raises(DomainError, match="31 February"):
        understand("baskets by 31 February", TODAY)
