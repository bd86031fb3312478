"""Paired comparison of scenarios against the baseline (common random numbers).

Each replication's KPI is first averaged over the months of the run; because every scenario
uses the same random streams for replication r (the scenario is never part of the seed), the
difference scenario − baseline is taken replication by replication and its mean gets a
Student-t confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from resurssimalli.simulate.stats import t_interval
from resurssimalli.tquantile import t_quantile

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


def regular_groups(rows: pd.DataFrame, keys: list[str], columns: list[str]) -> tuple[pd.Series, np.ndarray]:
    """Sizes of the ``keys`` groups of ``rows`` (sorted by ``keys``, each group's rows together)
    and which groups are regular: as many rows as the largest group, every value finite."""
    sizes = rows.groupby(keys, sort=True, observed=True).size()
    finite = np.logical_and.reduce([np.isfinite(rows[c].to_numpy(dtype=float)) for c in columns])
    starts = np.r_[0, np.cumsum(sizes.to_numpy())[:-1]]
    bad = np.add.reduceat((~finite).astype(int), starts) if len(rows) else np.zeros(0, int)
    return sizes, (sizes.to_numpy() == sizes.max()) & (bad == 0)


def regular_matrices(
    rows: pd.DataFrame, keys: list[str], columns: list[str]
) -> tuple[pd.Series, np.ndarray, np.ndarray, list[np.ndarray]]:
    """:func:`regular_groups` of ``rows`` (sorted by ``keys``), which rows belong to them, and per
    column the regular groups' values as a matrix: groups × replications, in the rows' order."""
    sizes, regular = regular_groups(rows, keys, columns)
    inside = np.repeat(regular, sizes.to_numpy())
    shape = (int(regular.sum()), int(sizes.max()))
    return sizes, regular, inside, [rows[c].to_numpy(dtype=float)[inside].reshape(shape) for c in columns]


def row_intervals(x: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Mean and Student-t half-width of each row of ``x`` (replications as columns), by the very
    numpy operations :func:`t_interval` applies to one group: the same numbers, all rows at once."""
    mean = x.mean(axis=1)
    n = x.shape[1]
    if n < 2:  # one replication: no interval
        return mean, np.full(len(x), np.nan)
    return mean, t_quantile((1 + confidence) / 2, np.full(len(x), n - 1)) * x.std(axis=1, ddof=1) / np.sqrt(n)


def t_intervals(
    rows: pd.DataFrame, keys: list[str], column: str = "value", confidence: float = 0.95
) -> pd.DataFrame:
    """:func:`t_interval` (``mean, low, high, n``) of ``column`` over each ``keys`` group's rows in
    their order, indexed by the groups (sorted); regular groups at once (:func:`row_intervals`)."""
    cols = ["mean", "low", "high", "n"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.sort_values(keys, kind="stable")
    sizes, regular, inside, (x,) = regular_matrices(rows, keys, [column])
    mean, half = row_intervals(x, confidence)
    values = (mean, mean - half, mean + half, sizes.to_numpy()[regular])
    out = pd.DataFrame(dict(zip(cols, values, strict=True)), index=sizes.index[regular])
    if not regular.all():
        rest = rows[~inside].groupby(keys, sort=True, observed=True)[column]
        loose = pd.DataFrame([t_interval(v.to_numpy(), confidence) for _, v in rest], columns=cols)
        out = pd.concat([out, loose.set_index(sizes.index[~regular])]).loc[sizes.index]
    return out


def paired_comparison(
    kpis: pd.DataFrame, baseline: str = "baseline", confidence: float = 0.95
) -> pd.DataFrame:
    """Every non-baseline scenario's KPIs against the baseline, paired by replication.

    Rows by scenario, then KPI and group (sorted). Groups whose replications all pair up with
    finite values (nearly all) are computed at once (:func:`row_intervals`), the others one by one.
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
    sizes, regular, inside, (s, b) = regular_matrices(pairs, keys, ["value_s", "value_b"])
    mean, half = row_intervals(s - b, confidence)
    n = sizes.to_numpy()[regular]
    values = (b.mean(axis=1), s.mean(axis=1), mean, mean - half, mean + half, n)
    out = pd.DataFrame(dict(zip(COMPARISON_COLUMNS[3:], values, strict=True)), index=sizes.index[regular])
    if not regular.all():
        rest = pairs[~inside].groupby(keys, sort=True, observed=True)
        loose = pd.DataFrame([_paired_row(key, m, confidence) for key, m in rest], columns=COMPARISON_COLUMNS)
        out = pd.concat([out, loose.set_index(keys)]).loc[sizes.index]
    return plain(out.reset_index())


def _paired_row(key: tuple, m: pd.DataFrame, confidence: float) -> tuple:
    diff = (m["value_s"] - m["value_b"]).to_numpy()
    d_mean, lo, hi, n = t_interval(diff, confidence)
    return (*key, float(m["value_b"].mean()), float(m["value_s"].mean()), d_mean, lo, hi, n)
