"""The workload function: staff hours a year by area and service line, and face-to-face visits.

One rule, documented here and tested. For each municipality and customer line ``l`` with
stock ``S`` (customers on the books on an average day) and inflow ``F`` (new registrations a
year) from :func:`~resurssimalli.scenario.customers.customer_mix`:

* customer-years in the first phase ``Y1 = min(F × t1 / 12, S)`` (Little's law: inflow × mean
  months spent in the phase, capped by the stock) and in the later phase ``Y2 = S − Y1``, where
  ``t1 = ∫₀^first_phase_months S(t) dt`` is the expected time in the first phase of a spell that
  ends at the simulation's exit hazards (``simulation.exit_hazard_per_month`` by duration band ×
  ``line_hazard_multipliers[l]``) — the same spell dynamics the simulation draws, so many
  customers leave before their sixth fortnightly conversation;
* meetings a year ``n = F`` initial interviews ``+ Y1 × 52 / first_phase_interval_weeks``
  ``+ Y2 × 12 / later_interval_months[l]`` job-search conversations;
* hours a year ``= F × initial_interview_minutes / 60 + (n − F) × meeting_minutes[l] / 60
  + S × coach_hours_per_customer_year[l]`` (coach work between meetings);
* face-to-face visits a year ``= n × (1 − remote_share)`` (remote meetings take the same staff
  time but no trip).

Employer services: ``workforce / 1000 × employer_service_hours_per_1000_workforce`` per
municipality. Centralised functions: ``staff.centralised_htv × productive hours per HTV`` in the
lead municipality. Integration-phase customers of every municipality are served from the lead
municipality (plan section 3), so their hours count in the lead municipality's area; their
visits stay with the demand points where they live.

A productive HTV gives ``working_hours_per_htv × customer_time_share`` hours of this work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.scenario.customers import customer_mix, workforce
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, SERVICE_LINES

WEEKS_PER_YEAR = 52.0
CENTRAL_LINES = ("integration", "centralised")
HAZARD_BANDS = (("0-3", 0.0, 3.0), ("3-12", 3.0, 12.0), ("12+", 12.0, math.inf))


def expected_months_within(months: float, hazards: Mapping[str, float], multiplier: float = 1.0) -> float:
    """``∫₀^months S(t) dt`` for a spell with piecewise-constant monthly exit hazards by band."""
    total, survival = 0.0, 1.0
    for band, lo, hi in HAZARD_BANDS:
        if months <= lo:
            break
        width = min(months, hi) - lo
        h = hazards[band] * multiplier
        total += survival * (width if h <= 0 else (1 - math.exp(-h * width)) / h)
        survival *= math.exp(-h * width)
    return total


def customer_workload(scenario: Scenario) -> pd.DataFrame:
    """Per municipality × customer line: stock, inflow, meetings, hours and face-to-face visits a year.

    Columns: ``municipality, area, service_line, stock, inflow_per_year, meetings, hours, visits``.
    ``area`` is where the work is done (the lead municipality's area for integration).
    """
    svc = scenario.config.service
    sim = scenario.config.simulation
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    mix = customer_mix(scenario)
    rows = []
    for r in mix.itertuples(index=False):
        line = r.service_line
        stock, inflow = float(r.stock), float(r.inflow_per_year)
        t1 = expected_months_within(
            svc.first_phase_months, sim.exit_hazard_per_month, sim.line_hazard_multipliers.get(line, 1.0)
        )
        y1 = min(inflow * t1 / 12.0, stock)
        y2 = stock - y1
        conversations = (
            y1 * WEEKS_PER_YEAR / svc.first_phase_interval_weeks + y2 * 12.0 / svc.later_interval_months[line]
        )
        hours = (
            inflow * svc.initial_interview_minutes / 60.0
            + conversations * svc.meeting_minutes[line] / 60.0
            + stock * svc.coach_hours_per_customer_year[line]
        )
        meetings = inflow + conversations
        area = lead_area if line in CENTRAL_LINES else r.area
        rows.append(
            (r.municipality, area, line, stock, inflow, meetings, hours, meetings * (1 - svc.remote_share))
        )
    return pd.DataFrame(
        rows,
        columns=[
            "municipality",
            "area",
            "service_line",
            "stock",
            "inflow_per_year",
            "meetings",
            "hours",
            "visits",
        ],
    )


def workload_by_municipality(
    scenario: Scenario, extra_hours: Mapping[tuple[str, str], float] | None = None
) -> pd.DataFrame:
    """Required staff hours a year: ``municipality, area, service_line, hours`` for all seven lines.

    ``area`` is the area whose staff does the work. ``extra_hours[(area, line)]`` adds hours
    (booked to the area's lead municipality); unknown areas or lines are an :class:`InputError`.
    """
    region = scenario.region
    cfg = scenario.config
    cust = customer_workload(scenario)[["municipality", "area", "service_line", "hours"]]
    wf = workforce(scenario)
    emp = pd.DataFrame(
        [
            (
                m,
                region.area_of(m),
                "employer_services",
                wf[m] / 1000.0 * cfg.service.employer_service_hours_per_1000_workforce,
            )
            for m in region.municipalities
        ],
        columns=cust.columns,
    )
    lead = region.lead_municipality
    central = pd.DataFrame(
        [
            (
                lead,
                region.area_of(lead),
                "centralised",
                cfg.staff.centralised_htv * cfg.staff.productive_hours_per_htv,
            )
        ],
        columns=cust.columns,
    )
    parts = [cust, emp, central]
    if extra_hours:
        rows = []
        for key, hours in extra_hours.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise InputError("extra_hours", str(key), "an (area, service_line) pair")
            area, line = key
            if area not in region.areas:
                raise InputError("extra_hours", f"{area}.{line}", f"a known area {sorted(region.areas)}")
            if line not in SERVICE_LINES:
                raise InputError("extra_hours", f"{area}.{line}", f"a service line {list(SERVICE_LINES)}")
            if line in CENTRAL_LINES and region.area_of(lead) != area:
                raise InputError(
                    "extra_hours",
                    f"{area}.{line}",
                    f"{line} work only in the lead area {region.area_of(lead)}",
                )
            if not float(hours) >= 0:
                raise InputError("extra_hours", f"{area}.{line}", f"non-negative hours, got {hours!r}")
            rows.append((region.areas[area].lead_municipality, area, line, float(hours)))
        parts.append(pd.DataFrame(rows, columns=cust.columns))
    out = pd.concat(parts, ignore_index=True)
    return out.groupby(["municipality", "area", "service_line"], as_index=False, sort=True)["hours"].sum()


def workload(scenario: Scenario, extra_hours: Mapping[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Required staff hours a year by ``area, service_line`` (the optimiser's demand), with ``htv``.

    ``htv`` = hours / productive hours per HTV. Every area × line pair is present (zero if none).
    """
    region = scenario.region
    by_m = workload_by_municipality(scenario, extra_hours)
    agg = by_m.groupby(["area", "service_line"])["hours"].sum()
    idx = pd.MultiIndex.from_product(
        [list(region.areas), list(SERVICE_LINES)], names=["area", "service_line"]
    )
    out = agg.reindex(idx, fill_value=0.0).reset_index()
    out["htv"] = out["hours"] / scenario.config.staff.productive_hours_per_htv
    return out


def visits_by_demand_point(scenario: Scenario) -> pd.Series:
    """Face-to-face visits a year by demand point (municipality visits × the point's customer share)."""
    cust = customer_workload(scenario)
    by_m = cust.groupby("municipality")["visits"].sum()
    return pd.Series(
        {
            p.id: float(by_m.get(p.municipality, 0.0)) * p.customer_share
            for p in scenario.region.demand_points.values()
        },
        name="visits",
    )


__all__ = [
    "CENTRAL_LINES",
    "CUSTOMER_LINES",
    "customer_workload",
    "visits_by_demand_point",
    "workload",
    "workload_by_municipality",
]
