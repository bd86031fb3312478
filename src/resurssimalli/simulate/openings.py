"""Opening days of the sites: offices every working day, service points and pop-ups on their days.

A service point or pop-up is staffed ``access.staff_visit_days_per_year`` days a year (by kind);
face-to-face meetings there happen only on those days (remote meetings are not bound by them).
The days follow a weekly pattern derived deterministically from the yearly figure:

* ``days >= 52``: ``k = round(days / 52)`` weekdays (at most 5) every week;
* ``0 < days < 52``: one weekday every ``n = round(52 / days)`` weeks (rounded half up) (48 → every week,
  24 → every second week, 12 → every fourth week); ``days = 0`` is read as one day a week (a
  site the plan opens is staffed at least then).

The weekdays are spread over the week and staggered between sites, so that the staff of an office
can visit several points: the j-th service point or pop-up (sites sorted by id) opens on weekday
``j mod 5`` (Monday = 0) and, with ``k`` days, on the weekdays ``(j + ⌊i·5/k⌋) mod 5`` for
``i < k``; with one day every ``n`` weeks it opens in the weeks whose number (Monday-based weeks
counted from 1 January of year 1) is ``j mod n`` modulo ``n``. An opening day that is a public
holiday is closed (no makeup day). ASSUMPTION (issue 10, item 8): the plan names staff days per
year, not weekdays; the rule is recorded in ``data/assumptions.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from resurssimalli.data.region import Region
from resurssimalli.scenario.schema import UNCOVERED_SITE
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.calendar import SimCalendar

WEEKS_PER_YEAR = 52
WEEKDAYS = 5
ALWAYS_OPEN = "office"


def weekly_pattern(days_per_year: float, ordinal: int) -> tuple[tuple[int, ...], int, int]:
    """(weekdays, every n weeks, week phase) of the ``ordinal``-th service point or pop-up."""
    if days_per_year >= WEEKS_PER_YEAR:
        k = min(WEEKDAYS, max(1, _half_up(days_per_year / WEEKS_PER_YEAR)))
        every = 1
    else:
        k = 1
        every = max(1, _half_up(WEEKS_PER_YEAR / days_per_year)) if days_per_year > 0 else 1
    weekdays = tuple(sorted({(ordinal + (i * WEEKDAYS) // k) % WEEKDAYS for i in range(k)}))
    return weekdays, every, ordinal % every


def _half_up(x: float) -> int:
    """Rounded half up (Python's round() rounds half to even: 130 days would give 2 a week, not 3)."""
    return math.floor(x + 0.5)


def site_open_days(cal: SimCalendar, kinds: Sequence[str], days_per_year: Mapping[str, float]) -> np.ndarray:
    """[site, day] True where the site holds face-to-face meetings (sites in the given order)."""
    n = len(cal.working)
    dates = [cal.date(d) for d in range(n)]
    weekday = np.array([x.weekday() for x in dates], dtype=np.int64)
    week = np.array([(x.toordinal() - 1) // 7 for x in dates], dtype=np.int64)
    out = np.zeros((len(kinds), n), dtype=bool)
    ordinal = 0
    for s, kind in enumerate(kinds):
        if kind == ALWAYS_OPEN:
            out[s] = cal.working
            continue
        weekdays, every, phase = weekly_pattern(float(days_per_year.get(kind, 0.0)), ordinal)
        ordinal += 1
        out[s] = cal.working & np.isin(weekday, weekdays) & (week % every == phase)
    out.setflags(write=False)
    return out


def nearest_open_site(region: Region, alloc: Allocation, point: str) -> str:
    """The site the plan opens nearest to a demand point (any distance; ties by site id)."""
    open_sites = alloc.sites.loc[alloc.sites["open"].astype(bool), "site"]
    minutes = region.travel.minutes
    reach = [(minutes[(point, s)], s) for s in open_sites if (point, s) in minutes]
    return min(reach)[1]


def access_sites(
    region: Region, alloc: Allocation, dps: Sequence[str], sites: Sequence[str]
) -> tuple[tuple[int, ...], ...]:
    """Per demand point: the index in ``sites`` of each face-to-face site, in the order of
    ``params._access_cum`` (access rows with a share, sorted by site); a visit the plan left
    uncovered goes to the nearest open site."""
    acc = alloc.access
    index = {s: i for i, s in enumerate(sites)}
    out = []
    for p in dps:
        rows = acc[(acc["demand_point"] == p) & (acc["share"] > 0)].sort_values("site")
        out.append(
            tuple(
                index[nearest_open_site(region, alloc, p) if s == UNCOVERED_SITE else s] for s in rows["site"]
            )
        )
    return tuple(out)


def site_fields(
    region: Region,
    alloc: Allocation,
    dps: Sequence[str],
    cal: SimCalendar,
    days_per_year: Mapping[str, float],
) -> dict:
    """``SimParams``' site fields: every site (sorted), each demand point's sites, opening days."""
    sites = tuple(sorted(region.sites))
    return {
        "sites": sites,
        "access_site": access_sites(region, alloc, dps, sites),
        "site_open": site_open_days(cal, [region.sites[s].kind for s in sites], days_per_year),
    }
