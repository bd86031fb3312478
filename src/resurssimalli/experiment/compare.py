"""Paired comparison of scenarios against the baseline (common random numbers).

Each replication's KPI is first averaged over the months of the run; because every scenario
uses the same random streams for replication r (the scenario is never part of the seed), the
difference scenario − baseline is taken replication by replication and its mean gets a
Student-t confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

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


KEY_COLUMNS = ("scenario", "month", "kpi", "group")


def keyed(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI frame with its string key columns as categories (sorted as the strings sort).

    Groups, their order and every mean are those of the string columns; grouping and sorting
    integer codes instead of ~10^5 strings per column takes a fraction of the time and memory.
    """
    cats = {c: "category" for c in KEY_COLUMNS if c in kpis.columns and pd.api.types.is_string_dtype(kpis[c])}
    return kpis.astype(cats) if cats else kpis


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns back to strings (the tables written and shown carry no categories)."""
    cats = {c: str for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)}
    return df.astype(cats) if cats else df


def per_replication(kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean over months per scenario, replication, KPI and group (as in the simulation summary)."""
    return kpis.groupby(["scenario", "replication", "kpi", "group"], as_index=False)["value"].mean()


def paired_comparison(
    kpis: pd.DataFrame, baseline: str = "baseline", confidence: float = 0.95
) -> pd.DataFrame:
    """Every non-baseline scenario's KPIs against the baseline, paired by replication.

    Rows by scenario, then KPI and group (sorted). Groups whose replications all pair up with
    finite values (nearly all) are computed at once as rows of a matrix, with the same numpy
    operations :func:`t_interval` applies to each, so the figures are those of the one-by-one
    computation, which the other groups still get.
    """
    rep = per_replication(keyed(kpis))
    base = rep[rep["scenario"] == baseline].drop(columns="scenario")
    keys = ["scenario", "kpi", "group"]
    pairs = rep[rep["scenario"] != baseline].merge(
        base, on=["replication", "kpi", "group"], suffixes=("_s", "_b")
    )
    pairs = pairs.sort_values(keys, kind="stable")  # each group's rows together, in replication order
    if pairs.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    sizes = pairs.groupby(keys, sort=True, observed=True).size()
    whole = int(sizes.max())
    finite = np.isfinite(pairs["value_s"].to_numpy()) & np.isfinite(pairs["value_b"].to_numpy())
    starts = np.r_[0, np.cumsum(sizes.to_numpy())[:-1]]
    regular = (sizes.to_numpy() == whole) & (np.add.reduceat((~finite).astype(int), starts) == 0)
    out = _paired_matrix(pairs, sizes, regular, whole, confidence)
    if not regular.all():
        rest = pairs[~np.repeat(regular, sizes.to_numpy())].groupby(keys, sort=True, observed=True)
        loose = pd.DataFrame([_paired_row(key, m, confidence) for key, m in rest], columns=COMPARISON_COLUMNS)
        out = pd.concat([out, loose.set_index(keys)]).loc[sizes.index]
    return plain(out.reset_index())


def _paired_matrix(
    pairs: pd.DataFrame, sizes: pd.Series, regular: np.ndarray, whole: int, confidence: float
) -> pd.DataFrame:
    """The regular groups' rows: replications as the columns of one matrix per value."""
    in_regular = np.repeat(regular, sizes.to_numpy())
    s = pairs["value_s"].to_numpy()[in_regular].reshape(-1, whole)
    b = pairs["value_b"].to_numpy()[in_regular].reshape(-1, whole)
    d = s - b
    mean = d.mean(axis=1)
    n = np.full(len(d), whole)
    half = np.full(len(d), np.nan)  # one replication: no interval
    if whole >= 2:
        half = st.t.ppf((1 + confidence) / 2, n - 1) * d.std(axis=1, ddof=1) / np.sqrt(n)
    return pd.DataFrame(
        {
            "baseline_mean": b.mean(axis=1),
            "scenario_mean": s.mean(axis=1),
            "diff_mean": mean,
            "diff_ci_low": mean - half,
            "diff_ci_high": mean + half,
            "n": n,
        },
        index=sizes.index[regular],
    )


def _paired_row(key: tuple, m: pd.DataFrame, confidence: float) -> tuple:
    diff = (m["value_s"] - m["value_b"]).to_numpy()
    d_mean, lo, hi, n = t_interval(diff, confidence)
    return (*key, float(m["value_b"].mean()), float(m["value_s"].mean()), d_mean, lo, hi, n)
