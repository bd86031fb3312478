"""Helpers for the simulation tests: a hand-built allocation with the optimiser's columns.

The tests of the simulation's mechanics should not depend on the optimiser's choices, so they
build an allocation directly: customer-facing HTV split by the plan's 40/40/20 groups in
proportion to each area's stock (integration centrally in Sastamala), employer services by
area, every demand point served at the nearest office of its responsibility area.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.scenario import Scenario
from resurssimalli.scenario.customers import customer_mix
from resurssimalli.simulate import Allocation

EMPLOYER_HTV = 2.0


def proportional_allocation(scenario: Scenario, scale: float = 1.0) -> Allocation:
    cfg = scenario.config
    region = scenario.region
    mix = customer_mix(scenario)
    lines_htv = cfg.staff.total_htv - cfg.staff.centralised_htv - EMPLOYER_HTV
    rows = []
    for group, share in cfg.staff.customer_facing_split.items():
        sub = mix[mix["service_line"].isin(cfg.staff.split_lines[group])]
        w = sub.groupby(["area", "municipality", "service_line"])["stock"].sum()
        for (area, muni, line), v in w.items():
            if line == "integration":
                area, muni = "Sastamala-Punkalaidun", "Sastamala"
            rows.append((area, muni, f"{muni}_office", line, lines_htv * share * v / w.sum() * scale))
    for a, area in region.areas.items():
        lead = area.lead_municipality
        rows.append(
            (a, lead, f"{lead}_office", "employer_services", EMPLOYER_HTV / len(region.areas) * scale)
        )
    rows.append(
        ("Sastamala-Punkalaidun", "Sastamala", "Sastamala_office", "centralised", cfg.staff.centralised_htv)
    )
    alloc = pd.DataFrame(rows, columns=["area", "municipality", "site", "service_line", "htv"])
    alloc = alloc.groupby(["area", "municipality", "site", "service_line"], as_index=False)["htv"].sum()
    sites = pd.DataFrame(
        [
            (s, st.municipality, st.kind, st.kind == "office", 0.0, st.workstations, 0)
            for s, st in region.sites.items()
        ],
        columns=["site", "municipality", "kind", "open", "htv", "workstations", "workstations_used"],
    )
    access = []
    for p, dp in region.demand_points.items():
        offices = [
            s
            for s, st in region.sites.items()
            if st.kind == "office" and region.area_of(st.municipality) == region.area_of(dp.municipality)
        ]
        best = min(offices, key=lambda s: (region.travel.minutes[(p, s)], s))
        access.append((p, dp.municipality, best, 1.0, region.travel.minutes[(p, best)]))
    access_df = pd.DataFrame(access, columns=["demand_point", "municipality", "site", "share", "minutes"])
    return Allocation.from_frames(alloc, sites, access_df, source="<test allocation>")
