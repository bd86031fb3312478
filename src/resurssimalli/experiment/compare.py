"""Paired comparison of scenarios against the baseline (common random numbers).

Each replication's KPI is first averaged over the months of the run; because every scenario
uses the same random streams for replication r (the scenario is never part of the seed), the
difference scenario − baseline is taken replication by replication and its mean gets a
Student-t confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

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
    """Mean over months per scenario, replication, KPI and group."""
    return kpis.groupby(["scenario", "replication", "kpi", "group"], as_index=False)["value"].mean()


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval (NaN bounds when n < 2)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


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
            d_mean, lo, hi = t_interval(diff, confidence)
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
                    int((~np.isnan(diff)).sum()),
                )
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
