"""Stage 1 — data: the region's shipped tables and the loader that turns them into typed objects."""

from resurssimalli.data.region import (
    Area,
    DemandPoint,
    LabourMarket,
    Municipality,
    Region,
    Site,
    TravelMatrix,
    load_region,
)

__all__ = [
    "Area",
    "DemandPoint",
    "LabourMarket",
    "Municipality",
    "Region",
    "Site",
    "TravelMatrix",
    "load_region",
]
