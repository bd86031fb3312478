"""Means with Student-t confidence intervals over replications, and the precision rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st

CONFIDENCE = 0.95


def t_interval(
    values: np.ndarray | list[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite values; the interval is NaN with fewer than two."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(st.t.ppf((1 + confidence) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def relative_half_width(values: np.ndarray | list[float], confidence: float = CONFIDENCE) -> float:
    """CI half-width over |mean| (0 if the values do not vary; inf if the mean is 0 and they do)."""
    mean, low, high, n = t_interval(values, confidence)
    if n < 2:
        return math.inf
    half = (high - low) / 2
    if half == 0:
        return 0.0
    return half / abs(mean) if mean != 0 else math.inf


def summarise(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """``scenario, kpi, group, mean, ci_low, ci_high, n`` over replications.

    Each replication contributes one value per KPI and group: its mean over the months (monthly
    values are correlated within a replication, so replications are the independent units).
    """
    per_rep = (
        kpis.groupby(["scenario", "kpi", "group", "replication"], sort=True)["value"].mean().reset_index()
    )
    rows = []
    for (scen, kpi, group), g in per_rep.groupby(["scenario", "kpi", "group"], sort=True):
        mean, low, high, n = t_interval(g["value"].to_numpy(), confidence)
        rows.append((scen, kpi, group, mean, low, high, n))
    return pd.DataFrame(rows, columns=["scenario", "kpi", "group", "mean", "ci_low", "ci_high", "n"])
