"""The published baseline figures, computed the way the README states them.

The backtest (pydesrap style) pins what the README reports for ``scenarios/baseline.yaml``: the
plan table (HTV by area and service line), access (longest and mean trip, open sites), costs
(by cost item and by municipality) and the KPI summary of a short, seeded simulation. The
expected values are stored as CSVs beside this file by ``regenerate.py``; ``test_backtest.py``
recomputes them in ``make test``. A change that moves a figure fails the test until the CSVs are
regenerated knowingly (and the README updated).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
REPLICATIONS = 10  # as the README reports (10 replications of a year, the scenario seed)
MONTHS = 12


def _plan_htv(plan) -> pd.DataFrame:
    t = plan.allocation.groupby(["area", "service_line"], as_index=False)["htv"].sum()
    return t.sort_values(["area", "service_line"]).reset_index(drop=True)


def _access(plan) -> pd.DataFrame:
    s = plan.summary
    rows = [
        ("longest_trip_minutes", s["longest_trip_minutes"]),
        ("mean_trip_minutes", s["mean_trip_minutes"]),
        ("htv_required", s["htv_required"]),
        ("htv_allocated", s["htv_allocated"]),
        ("unserved_hours_total", s["unserved_hours_total"]),
        ("sites_open", len(s["sites_open"])),
    ]
    sites = [(f"open:{name}", 1.0) for name in sorted(s["sites_open"])]
    return pd.DataFrame(rows + sites, columns=["figure", "value"])


def _costs(plan) -> pd.DataFrame:
    c = plan.costs
    items = c.groupby("cost_item", as_index=False)["eur"].sum().rename(columns={"cost_item": "key"})
    munis = c.groupby("municipality", as_index=False)["eur"].sum().rename(columns={"municipality": "key"})
    out = pd.concat([items.assign(by="cost_item"), munis.assign(by="municipality")], ignore_index=True)
    total = pd.DataFrame([{"by": "total", "key": "total_cost_eur", "eur": plan.summary["total_cost_eur"]}])
    return pd.concat([out, total], ignore_index=True)[["by", "key", "eur"]]


def _kpi_summary(scenario, plan) -> pd.DataFrame:
    sim = simulate(scenario, Allocation.from_result(plan), replications=REPLICATIONS, months=MONTHS)
    s = sim.summary
    keep = [c for c in s.columns if c not in ("n", "month")]  # month: empty on horizon rows
    return s[keep].sort_values([c for c in ("scenario", "kpi", "group", "period") if c in s.columns]).reset_index(
        drop=True
    )


def compute() -> dict[str, pd.DataFrame]:
    """Every pinned table, by file name."""
    scenario = load_scenario(BASELINE)
    plan = optimize(scenario)
    return {
        "expected_plan_htv.csv": _plan_htv(plan),
        "expected_access.csv": _access(plan),
        "expected_costs.csv": _costs(plan),
        "expected_kpi_summary.csv": _kpi_summary(scenario, plan),
    }
