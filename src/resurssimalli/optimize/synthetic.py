"""Synthetic national-scale instances (benchmarks and the scale test), fixed seed.

About 300 municipalities in 45 areas, 1,000 candidate sites and 3,000 demand points on a
600 × 1,000 km map shaped loosely like Finland's settlement pattern (area centres scattered,
municipalities around them, villages around each centre). Workload per customer and line,
site costs and workstations follow the baseline's orders of magnitude. The result is an
:class:`OptimisationInput`, so benchmarks run the planners' very model. Only the travel
pairs within the limit are generated (a k-d tree radius query), never the dense matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.spatial import cKDTree

from resurssimalli.optimize.inputs import OptimisationInput, PairIn, PointIn, SiteIn, SplitGroup
from resurssimalli.scenario.schema import SERVICE_LINES

# hours a year per unemployed person by line (baseline orders of magnitude), and the line mix
HOURS_PER_CUSTOMER = {
    "job_brokering": 8.0,
    "competence_development": 7.5,
    "multi_sector": 7.0,
    "youth": 7.0,
    "integration": 20.0,
}
LINE_MIX = {
    "job_brokering": 0.40,
    "competence_development": 0.17,
    "multi_sector": 0.27,
    "youth": 0.13,
    "integration": 0.03,
}
KIND_SPEC = {  # fixed cost EUR/year, workstations, staff visit days a year
    "office": (lambda ws: 20_000 + 2_700 * ws, (4, 20), 0.0),
    "service_point": (lambda ws: 6_000.0, (2, 2), 48.0),
    "popup": (lambda ws: 2_500.0, (0, 0), 24.0),
}
# Nationally each area serves its own integration-phase customers; only the centralised
# functions sit in one (lead) municipality, whose centre office is sized for them.
SYNTHETIC_CENTRAL = ("centralised",)
LEAD_OFFICE_WORKSTATIONS = 60
KMH, DETOUR, ACCESS_MIN = 70.0, 1.2, 4.0


def _minutes(km_straight: np.ndarray) -> np.ndarray:
    return ACCESS_MIN + km_straight * DETOUR / KMH * 60.0


@dataclass(frozen=True)
class _Geography:
    """Where areas, municipalities and demand points lie, and how many are unemployed."""

    areas: tuple[str, ...]
    munis: tuple[str, ...]
    m_area: np.ndarray  # area index of each municipality
    p_m: np.ndarray  # municipality index of each demand point
    p_xy: np.ndarray  # demand point coordinates (km)
    unemployed: np.ndarray  # per municipality
    share: np.ndarray  # each point's share of its municipality's customers

    def area_of_muni(self, i: int) -> str:
        return self.areas[self.m_area[i]]


def _geography(rng: np.random.Generator, n_areas: int, n_munis: int, n_points: int) -> _Geography:
    """Area centres scattered, municipalities around them, villages around each centre."""
    area_xy = rng.uniform([0, 0], [600, 1000], size=(n_areas, 2))
    m_area = np.concatenate([np.arange(n_areas), rng.integers(0, n_areas, n_munis - n_areas)])
    m_xy = area_xy[m_area] + rng.normal(0, 25, size=(n_munis, 2))
    # demand points: one at each centre, the rest in villages around a random centre
    p_m = np.concatenate([np.arange(n_munis), rng.integers(0, n_munis, n_points - n_munis)])
    p_xy = m_xy[p_m] + np.where(
        (np.arange(n_points) < n_munis)[:, None], 0.0, rng.normal(0, 8, size=(n_points, 2))
    )
    unemployed = rng.lognormal(np.log(400), 0.8, n_munis)
    weights = rng.uniform(0.2, 1.0, n_points)
    weights[:n_munis] = 3.0  # centres hold most customers
    share = weights / np.bincount(p_m, weights)[p_m]
    areas = tuple(f"A{i:02d}" for i in range(n_areas))
    munis = tuple(f"M{i:03d}" for i in range(n_munis))
    return _Geography(areas, munis, m_area, p_m, p_xy, unemployed, share)


def _home_offices(
    g: _Geography, s_p: np.ndarray, offices: list[int], j: int
) -> tuple[tuple[str, float], ...]:
    """A service point's or pop-up's possible home offices in its area, with the staff trip cost."""
    staff_eur_per_hour = 60_000 / 1644
    d = np.hypot(*(g.p_xy[s_p[np.array(offices)]] - g.p_xy[s_p[j]]).T)
    return tuple(
        (f"S{o:04d}", float(2 * (_minutes(dk) / 60 * staff_eur_per_hour + dk * DETOUR * 0.25)))
        for o, dk in zip(offices, d, strict=True)
    )


def _sites(rng: np.random.Generator, g: _Geography, n_sites: int) -> tuple[tuple[SiteIn, ...], np.ndarray]:
    """An office at every centre, the rest anywhere with kinds mixed; and each site's demand point."""
    n_munis = len(g.munis)
    s_p = np.concatenate([np.arange(n_munis), rng.integers(0, len(g.p_m), n_sites - n_munis)])
    kinds = np.array(
        ["office"] * n_munis + list(rng.choice(["office", "service_point", "popup"], n_sites - n_munis))
    )
    s_m = g.p_m[s_p]
    office_idx: dict[str, list[int]] = {a: [] for a in g.areas}
    for j in range(n_sites):
        if kinds[j] == "office":
            office_idx[g.area_of_muni(s_m[j])].append(j)
    sites: list[SiteIn] = []
    for j in range(n_sites):
        kind = str(kinds[j])
        cost_f, (lo, hi), days = KIND_SPEC[kind]
        ws = int(rng.integers(lo, hi + 1))
        if j == 0:  # the lead municipality's centre office, sized for the centralised functions
            ws = LEAD_OFFICE_WORKSTATIONS
        area = g.area_of_muni(s_m[j])
        sites.append(
            SiteIn(
                id=f"S{j:04d}",
                municipality=g.munis[s_m[j]],
                area=area,
                kind=kind,
                fixed_cost_eur=float(cost_f(ws)),
                workstations=ws,
                visit_capacity=None if kind == "office" else days * 6.0,
                staff_days_per_year=days,
                home_offices=() if kind == "office" else _home_offices(g, s_p, office_idx[area], j),
            )
        )
    return tuple(sites), s_p


def _workload(g: _Geography) -> tuple[dict, dict, float, float]:
    """Hours a year by (area, line) and (municipality, line); the HTV budget and hours per HTV."""
    lead_area = g.area_of_muni(0)
    hours_m: dict[tuple[str, str], float] = {}
    hours_a: dict[tuple[str, str], float] = {(a, line): 0.0 for a in g.areas for line in SERVICE_LINES}
    for i, mu in enumerate(g.munis):
        for line in SERVICE_LINES:
            if line == "centralised":
                h = 0.0
            elif line == "employer_services":
                h = g.unemployed[i] * 12 * 0.1
            else:
                h = g.unemployed[i] * LINE_MIX[line] * HOURS_PER_CUSTOMER[line]
            hours_m[(mu, line)] = float(h)
            area = lead_area if line in SYNTHETIC_CENTRAL else g.area_of_muni(i)
            hours_a[(area, line)] += float(h)
    per_htv = 1644 * 0.75
    hours_a[(lead_area, "centralised")] = 0.5 * len(g.areas) * per_htv
    hours_m[(g.munis[0], "centralised")] = hours_a[(lead_area, "centralised")]
    total_htv = round(sum(hours_a.values()) / per_htv * 1.03, 2)
    return hours_a, hours_m, total_htv, per_htv


def _pairs(
    g: _Geography, s_p: np.ndarray, points: tuple[PointIn, ...], max_travel_minutes: float
) -> dict[str, tuple[PairIn, ...]]:
    """Travel pairs within the limit only (a k-d tree radius query), nearest first."""
    radius = (max_travel_minutes - ACCESS_MIN) / 60.0 * KMH / DETOUR
    tree = cKDTree(g.p_xy[s_p])
    pairs: dict[str, tuple[PairIn, ...]] = {}
    for i, near in enumerate(tree.query_ball_point(g.p_xy, r=radius)):
        near = np.asarray(near, dtype=int)
        d = np.hypot(*(g.p_xy[s_p[near]] - g.p_xy[i]).T)
        mins = _minutes(d)
        km = d * DETOUR
        order = np.lexsort((near, mins))
        pairs[points[i].id] = tuple(
            PairIn(
                points[i].id,
                f"S{near[o]:04d}",
                float(mins[o]),
                float(km[o]),
                float(2 * (mins[o] / 60 * 15 + km[o] * 0.25)),
            )
            for o in order
        )
    return pairs


def national_instance(
    *,
    n_municipalities: int = 300,
    n_areas: int = 45,
    n_sites: int = 1000,
    n_points: int = 3000,
    seed: int = 20240101,
    max_travel_minutes: float = 45.0,
    k_nearest_sites: int = 8,
    time_limit: float = 60.0,
    gap: float = 0.01,
) -> OptimisationInput:
    """A reproducible national-scale allocation problem (same arguments → identical instance)."""
    if not (1 <= n_areas <= n_municipalities <= n_points and n_municipalities <= n_sites):
        raise ValueError("need areas <= municipalities <= demand points and municipalities <= sites")
    rng = np.random.default_rng(seed)
    g = _geography(rng, n_areas, n_municipalities, n_points)
    sites, s_p = _sites(rng, g, n_sites)
    hours_a, hours_m, total_htv, per_htv = _workload(g)
    visits = (g.unemployed * 13.0 * 0.7)[g.p_m] * g.share
    points = tuple(PointIn(f"P{i:04d}", g.munis[g.p_m[i]], float(visits[i])) for i in range(n_points))
    return OptimisationInput(
        name=f"national-{n_municipalities}x{n_sites}x{n_points}-seed{seed}",
        areas=g.areas,
        municipality_area=MappingProxyType({m: g.area_of_muni(i) for i, m in enumerate(g.munis)}),
        lead_municipality=g.munis[0],
        lines=SERVICE_LINES,
        central_lines=SYNTHETIC_CENTRAL,
        workload_hours=MappingProxyType(hours_a),
        municipality_hours=MappingProxyType(hours_m),
        sites=sites,
        points=points,
        pairs=MappingProxyType(_pairs(g, s_p, points, max_travel_minutes)),
        total_htv=total_htv,
        use_all_htv=True,
        productive_hours_per_htv=per_htv,
        cost_per_htv_eur=60_000.0,
        split=(
            SplitGroup("weaker_position", 0.4, ("multi_sector", "youth", "integration")),
            SplitGroup("job_brokering", 0.4, ("job_brokering",)),
            SplitGroup("competence_development", 0.2, ("competence_development",)),
        ),
        split_tolerance=0.05,
        split_mode="hard",
        split_deviation_penalty_eur=0.0,
        office_required_in_every_area=True,
        presence_required_in_every_municipality=True,
        single_site_assignment=False,
        force_open=frozenset(),
        force_closed=frozenset(),
        max_travel_minutes=max_travel_minutes,
        unserved_hour_penalty_eur=500.0,
        uncovered_visit_penalty_eur=200.0,
        central_cost_shares=MappingProxyType(dict.fromkeys(g.munis, 1.0 / n_municipalities)),
        objective="cost",
        time_limit_seconds=time_limit,
        mip_gap=gap,
        k_nearest_sites=k_nearest_sites,
        source="<synthetic>",
    )
