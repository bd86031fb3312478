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

Plant closures (``demand.plant_closures``): a closure is a one-off burst of
``N = layoffs × registration_share`` registrations, split by its ``service_mix``, in its
municipality. Its people are an extra cohort on top of the steady-state stock: each registers on
the closure date and stays on the books for the rest of the horizon (``R`` months) at the same
exit hazards, so a person spends ``t1 = ∫₀^min(first_phase_months, R) S`` months in the first
phase and ``tR = ∫₀^R S`` months in all. The registrations are counted once over the horizon of
``H = horizon.months`` months and expressed as a yearly rate like the rest of the workload:
inflow ``N × 12 / H`` (= ``N`` for a 12-month plan), first-phase customer-years
``Y1 = N × t1 / H``, average stock ``S = N × tR / H``; the formula above then gives its meetings,
hours and visits. Its visits go to the closure's demand point when it names one, else to the
municipality's demand points by customer share.

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
DAYS_PER_MONTH = 365.25 / 12
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


def _meetings_and_hours(
    scenario: Scenario, line: str, inflow: float, y1: float, stock: float
) -> tuple[float, float]:
    """Meetings and staff hours a year of one customer line (the documented formula)."""
    svc = scenario.config.service
    conversations = (
        y1 * WEEKS_PER_YEAR / svc.first_phase_interval_weeks
        + (stock - y1) * 12.0 / svc.later_interval_months[line]
    )
    hours = (
        inflow * svc.initial_interview_minutes / 60.0
        + conversations * svc.meeting_minutes[line] / 60.0
        + stock * svc.coach_hours_per_customer_year[line]
    )
    return inflow + conversations, hours


def closure_cohorts(scenario: Scenario) -> pd.DataFrame:
    """Plant closures as yearly-rate cohorts: one row per closure × customer line in its mix.

    Columns: ``closure, municipality, demand_point, service_line, registrations, inflow_per_year,
    y1, stock`` (``demand_point`` is ``None`` when the closure names none). See the module rule.
    """
    cfg = scenario.config
    sim = cfg.simulation
    horizon = cfg.horizon
    rows = []
    for pc in cfg.demand.plant_closures:
        remaining = (horizon.end - pc.date).days / DAYS_PER_MONTH
        n = pc.layoffs * pc.registration_share
        for line, share in pc.service_mix.items():
            if share <= 0:
                continue
            mult = sim.line_hazard_multipliers.get(line, 1.0)
            t1 = expected_months_within(
                min(cfg.service.first_phase_months, remaining), sim.exit_hazard_per_month, mult
            )
            t_all = expected_months_within(remaining, sim.exit_hazard_per_month, mult)
            n_line = n * share
            rows.append(
                (
                    pc.name,
                    pc.municipality,
                    pc.demand_point,
                    line,
                    n_line,
                    n_line * 12.0 / horizon.months,
                    n_line * t1 / horizon.months,
                    n_line * t_all / horizon.months,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "closure",
            "municipality",
            "demand_point",
            "service_line",
            "registrations",
            "inflow_per_year",
            "y1",
            "stock",
        ],
    )


CUSTOMER_COLUMNS = [
    "municipality",
    "area",
    "service_line",
    "source",
    "demand_point",
    "stock",
    "inflow_per_year",
    "meetings",
    "hours",
    "visits",
]


def customer_workload(scenario: Scenario) -> pd.DataFrame:
    """Per municipality × customer line (plus one row per plant closure × line): stock, inflow,
    meetings, hours and face-to-face visits a year.

    Columns: ``municipality, area, service_line, source, demand_point, stock, inflow_per_year,
    meetings, hours, visits``. ``area`` is where the work is done (the lead municipality's area for
    integration); ``source`` is ``"customers"`` for the regular customer base or the closure's
    name; ``demand_point`` is set only for a closure that names one (its visits go there).
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
        meetings, hours = _meetings_and_hours(scenario, line, inflow, y1, stock)
        area = lead_area if line in CENTRAL_LINES else r.area
        rows.append(
            (
                r.municipality,
                area,
                line,
                "customers",
                None,
                stock,
                inflow,
                meetings,
                hours,
                meetings * (1 - svc.remote_share),
            )
        )
    for c in closure_cohorts(scenario).itertuples(index=False):
        line = c.service_line
        meetings, hours = _meetings_and_hours(scenario, line, c.inflow_per_year, c.y1, c.stock)
        area = lead_area if line in CENTRAL_LINES else region.area_of(c.municipality)
        rows.append(
            (
                c.municipality,
                area,
                line,
                c.closure,
                c.demand_point,
                c.stock,
                c.inflow_per_year,
                meetings,
                hours,
                meetings * (1 - svc.remote_share),
            )
        )
    return pd.DataFrame(rows, columns=CUSTOMER_COLUMNS)


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
    """Face-to-face visits a year by demand point.

    Municipality visits × the point's customer share; a plant closure that names a demand point
    sends all its visits there.
    """
    cust = customer_workload(scenario)
    pinned = cust["demand_point"].notna()
    by_m = cust[~pinned].groupby("municipality")["visits"].sum()
    by_p = cust[pinned].groupby("demand_point")["visits"].sum()
    return pd.Series(
        {
            p.id: float(by_m.get(p.municipality, 0.0)) * p.customer_share + float(by_p.get(p.id, 0.0))
            for p in scenario.region.demand_points.values()
        },
        name="visits",
    )


__all__ = [
    "CENTRAL_LINES",
    "CUSTOMER_COLUMNS",
    "CUSTOMER_LINES",
    "closure_cohorts",
    "customer_workload",
    "visits_by_demand_point",
    "workload",
    "workload_by_municipality",
]
