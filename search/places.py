"""Places buyers measure distance from: producer hubs and export ports (no geocoding service needed)."""
from __future__ import annotations

import re

PLACES: dict[str, tuple[float, float]] = {
    "Nairobi": (-1.2921, 36.8219), "Mombasa": (-4.0435, 39.6682), "Kisumu": (-0.0917, 34.7680),
    "Kampala": (0.3476, 32.5825), "Kigali": (-1.9441, 30.0619), "Dar es Salaam": (-6.7924, 39.2083),
    "Addis Ababa": (9.0300, 38.7400), "Djibouti": (11.5721, 43.1456), "Accra": (5.6037, -0.1870),
    "Tema": (5.6698, -0.0166), "Kumasi": (6.6885, -1.6244), "Tamale": (9.4008, -0.8393),
    "Lagos": (6.5244, 3.3792), "Dakar": (14.7167, -17.4677), "Lima": (-12.0464, -77.0428),
    "Callao": (-12.0566, -77.1181), "Cusco": (-13.5319, -71.9675), "Guatemala City": (14.6349, -90.5069),
    "Puerto Barrios": (15.7278, -88.5944), "Oaxaca": (17.0732, -96.7266), "La Paz": (-16.4897, -68.1193),
    "Quito": (-0.1807, -78.4678), "Dhaka": (23.8103, 90.4125), "Chittagong": (22.3569, 91.7832),
    "Delhi": (28.7041, 77.1025), "Mumbai": (19.0760, 72.8777), "Jaipur": (26.9124, 75.7873),
    "Kolkata": (22.5726, 88.3639), "Chennai": (13.0827, 80.2707), "Srinagar": (34.0837, 74.7973),
    "Kathmandu": (27.7172, 85.3240), "Hanoi": (21.0278, 105.8342), "Ho Chi Minh City": (10.8231, 106.6297),
    "Manila": (14.5995, 120.9842), "Jakarta": (-6.2088, 106.8456), "Bangkok": (13.7563, 100.5018),
}  # fmt: skip

_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def locate(text: str) -> tuple[float, float] | None:
    """A place name from the list (any case) or "lat,lon"; None if neither."""
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
    wanted = text.strip().casefold()
    return next((where for name, where in PLACES.items() if name.casefold() == wanted), None)
