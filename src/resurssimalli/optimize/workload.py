"""The workload function: staff hours a year by area and service line, and face-to-face visits.

The work comes from the demand model (:func:`resurssimalli.scenario.demand.project`): the
expected stock, initial interviews, conversations and staff hours per municipality × line ×
month over the scenario's horizon — the same inflow, seasonality, exits, line switching to
multi-sector support, plant closures and meeting cadence the simulation plays. The optimiser
sizes a year's staff on it by ``optimisation.workload_sizing``:

* ``mean_month`` (default): the horizon's total × 365.25 / its days — staff are a yearly budget
  and each coach's time is spread evenly over the year, so a busy month's backlog is worked off
  in the quieter months that the simulation plays after it;
* ``peak_month``: the month with the most customer hours a day, as if every month were that busy
  (an upper bound for planners who want no month short).

Per row: ``hours`` as above, ``meetings`` the same way, ``visits = meetings × (1 − remote_share)``
(remote meetings take the same staff time but no trip), ``stock`` the horizon's mean stock and
``inflow_per_year`` the registrations at the same yearly rate. A plant closure is its own rows
(``source`` = its name); its visits go to its demand point when it names one, else to its
municipality's demand points by customer share.

Employer services: :func:`~resurssimalli.scenario.demand.employer_hours_per_year` per municipality.
Centralised functions: ``staff.centralised_htv × productive hours per HTV`` in the lead
municipality. Integration-phase customers of every municipality are served from the lead
municipality (plan section 3), so their hours count in the lead municipality's area; their
visits stay with the demand points where they live.

A productive HTV gives ``working_hours_per_htv × customer_time_share`` hours of this work.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.scenario.demand import (
    DAYS_PER_YEAR,
    employer_hours_per_year,
    expected_months_within,
    project,
)
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, SERVICE_LINES

CENTRAL_LINES = ("integration", "centralised")
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
KEYS = ["municipality", "service_line", "source", "demand_point"]


def sizing_months(scenario: Scenario, projection: pd.DataFrame) -> list[int]:
    """The months the yearly workload is sized on (all of them, or the peak month)."""
    months = sorted(projection["month"].unique())
    if scenario.config.optimisation.workload_sizing == "mean_month":
        return months
    per_day = projection.groupby("month")["hours"].sum() / projection.groupby("month")["days"].first()
    return [int(per_day.idxmax())]


def customer_workload(scenario: Scenario) -> pd.DataFrame:
    """Per municipality × line × source: stock, inflow, meetings, hours and visits a year.

    Columns: ``municipality, area, service_line, source, demand_point, stock, inflow_per_year,
    meetings, hours, visits``. ``area`` is where the work is done (the lead municipality's area for
    integration); ``source`` is ``"customers"`` for the regular customer base or the closure's
    name; ``demand_point`` is set only for a closure that names one (its visits go there).
    """
    proj = project(scenario)
    months = sizing_months(scenario, proj)
    sel = proj[proj["month"].isin(months)].fillna({"demand_point": ""})
    days = float(proj.drop_duplicates("month").set_index("month").loc[months, "days"].sum())
    g = sel.groupby(KEYS, sort=True)
    out = g[["registrations", "meetings", "hours"]].sum() * (DAYS_PER_YEAR / days)
    out["stock"] = g.apply(lambda x: float((x["stock_mean"] * x["days"]).sum()) / days)
    out = out.reset_index().rename(columns={"registrations": "inflow_per_year"})
    out["demand_point"] = out["demand_point"].replace("", None)
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    out["area"] = [
        lead_area if line in CENTRAL_LINES else region.area_of(m)
        for m, line in zip(out["municipality"], out["service_line"], strict=True)
    ]
    out["visits"] = out["meetings"] * (1 - scenario.config.service.remote_share)
    return out[CUSTOMER_COLUMNS]


def workload_by_municipality(
    scenario: Scenario,
    extra_hours: Mapping[tuple[str, str], float] | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Required staff hours a year: ``municipality, area, service_line, hours`` for all seven lines.

    ``area`` is the area whose staff does the work. ``extra_hours[(area, line)]`` adds hours
    (booked to the area's lead municipality); unknown areas or lines are an :class:`InputError`.
    ``customers``: :func:`customer_workload` of the scenario if the caller has it already.
    """
    region = scenario.region
    cfg = scenario.config
    cust = (customer_workload(scenario) if customers is None else customers)[
        ["municipality", "area", "service_line", "hours"]
    ]
    emp_hours = employer_hours_per_year(scenario)
    emp = pd.DataFrame(
        [(m, region.area_of(m), "employer_services", float(emp_hours[m])) for m in region.municipalities],
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
    return area_workload(scenario, workload_by_municipality(scenario, extra_hours))


def area_workload(scenario: Scenario, by_municipality: pd.DataFrame) -> pd.DataFrame:
    """:func:`workload` from the :func:`workload_by_municipality` table the caller already has."""
    region = scenario.region
    agg = by_municipality.groupby(["area", "service_line"])["hours"].sum()
    idx = pd.MultiIndex.from_product(
        [list(region.areas), list(SERVICE_LINES)], names=["area", "service_line"]
    )
    out = agg.reindex(idx, fill_value=0.0).reset_index()
    out["htv"] = out["hours"] / scenario.config.staff.productive_hours_per_htv
    return out


def visits_by_demand_point(scenario: Scenario, customers: pd.DataFrame | None = None) -> pd.Series:
    """Face-to-face visits a year by demand point.

    Municipality visits × the point's customer share; a plant closure that names a demand point
    sends all its visits there. ``customers``: :func:`customer_workload` if the caller has it.
    """
    cust = customer_workload(scenario) if customers is None else customers
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
    "area_workload",
    "CENTRAL_LINES",
    "CUSTOMER_COLUMNS",
    "CUSTOMER_LINES",
    "customer_workload",
    "expected_months_within",
    "sizing_months",
    "visits_by_demand_point",
    "workload",
    "workload_by_municipality",
]
