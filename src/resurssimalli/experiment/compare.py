"""Paired comparison of scenarios against the baseline (common random numbers).

Each replication's KPI is first averaged over the months of the run; because every scenario
uses the same random streams for replication r (the scenario is never part of the seed), the
difference scenario − baseline is taken replication by replication and its mean gets a
Student-t confidence interval.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.simulate.stats import t_interval

COMPARISON_COLUMNS = [
    "scenario",
    "kpi",
    "group",
    "baseline_mean",
    "scenario_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "n",
]


def per_replication(kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean over months per scenario, replication, KPI and group (as in the simulation summary)."""
    return kpis.groupby(["scenario", "replication", "kpi", "group"], as_index=False)["value"].mean()


def paired_comparison(
    kpis: pd.DataFrame, baseline: str = "baseline", confidence: float = 0.95
) -> pd.DataFrame:
    """Every non-baseline scenario's KPIs against the baseline, paired by replication."""
    rep = per_replication(kpis)
    base = rep[rep["scenario"] == baseline].drop(columns="scenario")
    rows = []
    for scen, g in rep[rep["scenario"] != baseline].groupby("scenario", sort=False):
        merged = g.merge(base, on=["replication", "kpi", "group"], suffixes=("_s", "_b"))
        for (kpi, group), m in merged.groupby(["kpi", "group"], sort=True):
            diff = (m["value_s"] - m["value_b"]).to_numpy()
            d_mean, lo, hi, n = t_interval(diff, confidence)
            rows.append(
                (
                    scen,
                    kpi,
                    group,
                    float(m["value_b"].mean()),
                    float(m["value_s"].mean()),
                    d_mean,
                    lo,
                    hi,
                    n,
                )
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
