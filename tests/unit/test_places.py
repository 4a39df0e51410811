"""Any city or town a buyer names is found in the offline gazetteer; unknown and ambiguous names are explained."""

from __future__ import annotations

import pytest

from search.places import SUGGESTIONS, AmbiguousPlace, UnknownPlace, find_place, locate
from search.query import distance_km


@pytest.mark.parametrize(
    ("text", "country", "lat", "lon"),
    [
        ("Bolgatanga", "GH", 10.79, -0.85),  # a market town, not on any hand-made list
        ("Machakos", "KE", -1.52, 37.26),
        ("sololá", "GT", 14.77, -91.18),  # any case, accents optional
        ("Solola", "GT", 14.77, -91.18),
        ("Satkhira", "BD", 22.72, 89.07),
        ("Chittagong", "BD", 22.34, 91.83),  # another name of a city (Chattogram)
        ("Addis Abeba", "ET", 9.02, 38.75),
        ("La Paz", "BO", -16.5, -68.15),  # eight times the size of La Paz, Mexico
        ("La Paz, Mexico", "MX", 24.14, -110.31),
        ("La Paz, BO", "BO", -16.5, -68.15),
        ("Lima", "PE", -12.04, -77.03),  # Lima, Ohio is far smaller
    ],
)
def test_any_city_or_town_is_found(text: str, country: str, lat: float, lon: float) -> None:
    place = find_place(text)
    assert place.country == country
    assert distance_km(place.lat, place.lon, lat, lon) < 15


def test_every_suggested_place_is_found_unambiguously() -> None:
    for name in SUGGESTIONS:
        find_place(name)


def test_unknown_places_are_explained() -> None:
    with pytest.raises(UnknownPlace, match="no city or town called 'Qwertyville'"):
        locate("Qwertyville")
    with pytest.raises(UnknownPlace, match="in Kenya"):
        locate("Bolgatanga, Kenya")
    with pytest.raises(UnknownPlace, match="not a country"):
        locate("Nairobi, Narnia")
    with pytest.raises(UnknownPlace, match="Latitude must be"):
        locate("95,10")


def test_a_name_places_of_comparable_size_share_is_ambiguous() -> None:
    with pytest.raises(AmbiguousPlace) as error:
        locate("Hyderabad")
    assert {"IN", "PK"} <= {p.country for p in error.value.candidates}
    assert "add the country" in str(error.value)
    assert find_place("Hyderabad, Pakistan").country == "PK"
    with pytest.raises(AmbiguousPlace):
        locate("San José")


def test_coordinates_are_taken_as_given() -> None:
    assert locate(" -1.29, 36.82 ") == (-1.29, 36.82)
