"""Derive the approximate car travel-time matrix shipped as ``travel_times.csv``.

Method (stated in the CSV header too): great-circle distance between WGS84 points, times a
detour factor for the road network, at an average speed, plus a fixed access time. The detour
factor 1.2 is the mean ratio of the sourced road distances to Tampere (Sastamala 51 km,
Hämeenkyrö 36-40, Ikaalinen 55, Parkano 84, Kihniö 115; ratios 1.05-1.35) to the straight
lines. Speed 70 km/h and 4 min access are assumptions. A planner can replace the file with real
routed times (same columns); the loader checks it covers every demand point x site pair.

Run ``python -m resurssimalli.data.travel`` to rewrite the file from the point tables.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from resurssimalli.units import MINUTES_PER_HOUR

DETOUR_FACTOR = 1.2
SPEED_KMH = 70.0
ACCESS_MINUTES = 4.0
EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def road_minutes(km_straight: float) -> tuple[float, float]:
    """(road km, minutes) for a straight-line distance."""
    road_km = km_straight * DETOUR_FACTOR
    return road_km, ACCESS_MINUTES + road_km / SPEED_KMH * MINUTES_PER_HOUR


def derive_travel_times(points: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """All demand point x site pairs with road km and car minutes (rounded to 0.1)."""
    coords = points.set_index("demand_point")[["lat", "lon"]]
    rows = []
    for p, (plat, plon) in coords.iterrows():
        for s, sp in sites.set_index("site")["demand_point"].items():
            slat, slon = coords.loc[sp]
            km, minutes = road_minutes(haversine_km(plat, plon, slat, slon))
            rows.append((p, s, round(km, 1), round(minutes, 1)))
    return pd.DataFrame(rows, columns=["demand_point", "site", "km", "minutes"])


HEADER = (
    "# Car travel times, demand point -> site. DERIVED (approximate): great-circle distance x "
    f"detour factor {DETOUR_FACTOR} (mean ratio of sourced road distances to Tampere), at "
    f"{SPEED_KMH:g} km/h plus {ACCESS_MINUTES:g} min access (assumptions).\n"
    "# Written by `python -m resurssimalli.data.travel`. Replace with routed times keeping the "
    "columns; every demand point x site pair is required, minutes >= 0.\n"
)


def main() -> None:  # pragma: no cover - maintenance script
    here = Path(__file__).parent
    points = pd.read_csv(here / "demand_points.csv", comment="#")
    sites = pd.read_csv(here / "sites.csv", comment="#")
    table = derive_travel_times(points, sites)
    out = here / "travel_times.csv"
    with out.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        table.to_csv(fh, index=False)


if __name__ == "__main__":  # pragma: no cover
    main()
