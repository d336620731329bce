"""Travel distance as the contract defines it: great-circle km, rounded to 0.1 km."""

from __future__ import annotations

import math

from scheduler.domain.scenario import GeoPoint

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def travel_between(home: GeoPoint | None, site: GeoPoint) -> float:
    """Travel of one placement, 0.0 when the student's home is unknown."""
    if home is None:
        return 0.0
    return round(haversine_km(home.lat, home.lon, site.lat, site.lon), 1)
