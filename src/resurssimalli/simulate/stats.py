"""Means with Student-t confidence intervals over replications, and the precision rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from resurssimalli.tquantile import t_quantile

CONFIDENCE = 0.95


# KPIs that are proportions (a count of a count, never outside [0, 1]): their interval is
# :func:`share_bounds`' logit interval. Utilisation is not one (work over on-duty time).
PROPORTION_KPIS = frozenset(
    {"initial_interview_on_time_share", "conversations_on_time_share", "spells_past_3_months_share"}
)


def share_bounds(mean: np.ndarray | float, half: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """A proportion's interval inside [0, 1]: the Student-t interval taken to the logit scale.

    The mean over replications keeps its standard error ``se = half / t``; on the logit scale that
    is ``se / (p (1 − p))`` (delta method), and the interval ``logit(p) ± t·se/(p(1 − p))`` maps back
    into (0, 1): near 0.5 it is the t interval, near 0 or 1 it narrows on the bounded side instead
    of crossing it. A mean of exactly 0 or 1 (every replication the same) has the interval [p, p].
    """
    p = np.asarray(mean, dtype=float)
    h = np.asarray(half, dtype=float)
    inside = (p > 0.0) & (p < 1.0)
    q = np.where(inside, p, 0.5)
    width = h / (q * (1.0 - q))
    centre = np.log(q / (1.0 - q))
    with np.errstate(over="ignore", invalid="ignore"):  # a huge width maps to 0 or 1, as it should
        low = np.where(inside, 1.0 / (1.0 + np.exp(-(centre - width))), p)
        high = np.where(inside, 1.0 / (1.0 + np.exp(-(centre + width))), p)
    return np.where(np.isnan(h), np.nan, low), np.where(np.isnan(h), np.nan, high)


def t_interval(
    values: np.ndarray | list[float], confidence: float = CONFIDENCE, *, proportion: bool = False
) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite values; the interval is NaN with fewer than two.
    ``proportion``: values in [0, 1], the interval by :func:`share_bounds` (inside [0, 1])."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(t_quantile((1 + confidence) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    if proportion:
        low, high = share_bounds(mean, half)
        return mean, float(low), float(high), n
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


SUMMARY_COLUMNS = ["scenario", "kpi", "group", "period", "month", "mean", "ci_low", "ci_high", "n"]
KEYS = ["scenario", "kpi", "group"]
# KPIs for which a higher value is better; for every other KPI a lower value is better.
HIGHER_IS_BETTER = frozenset({"initial_interview_on_time_share", "conversations_on_time_share"})


def _ci_table(values: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    """Vectorised :func:`t_interval` of ``value`` over the rows of each ``keys`` group."""
    finite = values[np.isfinite(values["value"].to_numpy(dtype=float))]
    agg = finite.groupby(keys, sort=True)["value"].agg(["mean", "std", "count"])
    full = values[keys].drop_duplicates().set_index(keys).sort_index()
    agg = agg.reindex(full.index)
    n = agg["count"].fillna(0).astype(int)
    dof = np.maximum(n.to_numpy() - 1, 1)
    half = t_quantile((1 + confidence) / 2, dof) * agg["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    half = np.where(n.to_numpy() >= 2, half, np.nan)
    mean = agg["mean"].to_numpy()
    low, high = mean - half, mean + half
    if "kpi" in keys:  # proportions: the interval stays inside [0, 1]
        share = agg.index.get_level_values("kpi").isin(list(PROPORTION_KPIS))
        s_low, s_high = share_bounds(mean, half)
        low, high = np.where(share, s_low, low), np.where(share, s_high, high)
    out = pd.DataFrame({"mean": agg["mean"], "ci_low": low, "ci_high": high, "n": n}, index=agg.index)
    return out.reset_index()


def summarise(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """``scenario, kpi, group, period, month, mean, ci_low, ci_high, n`` over replications, for
    the whole horizon (``period = horizon``).

    Each replication contributes one value per KPI and group: its mean over the months (monthly
    values are correlated within a replication, so replications are the independent units).
    """
    per_rep = kpis.groupby([*KEYS, "replication"], sort=True)["value"].mean().reset_index()
    out = _ci_table(per_rep, KEYS, confidence)
    out["period"] = "horizon"
    out["month"] = ""
    return out[SUMMARY_COLUMNS]


def summarise_months(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per KPI, group and calendar month (``period = month = YYYY-MM``)."""
    out = _ci_table(kpis, [*KEYS, "month"], confidence)
    out["period"] = out["month"]
    return out[SUMMARY_COLUMNS]


def worst_months(
    kpis: pd.DataFrame, confidence: float = CONFIDENCE, higher_is_better: bool | None = None
) -> pd.DataFrame:
    """Each replication's worst month (``period = worst``): CI over replications of that value;
    ``month`` names the month that is worst most often (the earliest on ties).

    Worst is the lowest value for KPIs in :data:`HIGHER_IS_BETTER` (or when ``higher_is_better``
    is True), else the highest; months without a value (NaN) are skipped.
    """
    k = kpis[np.isfinite(kpis["value"].to_numpy(dtype=float))]
    if k.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    up = k["kpi"].isin(HIGHER_IS_BETTER) if higher_is_better is None else pd.Series(higher_is_better, k.index)
    per_rep = k.iloc[_first_worst(k, np.where(up, k["value"], -k["value"]))]
    out = _ci_table(per_rep, KEYS, confidence)
    mode = per_rep.groupby([*KEYS, "month"]).size().reset_index(name="times")
    mode = mode.sort_values([*KEYS, "times", "month"], ascending=[True] * len(KEYS) + [False, True])
    out = out.merge(mode.groupby(KEYS).head(1)[[*KEYS, "month"]], on=KEYS, how="left")
    out["period"] = "worst"
    return out[SUMMARY_COLUMNS]


def _first_worst(k: pd.DataFrame, key: np.ndarray) -> np.ndarray:
    """Positions of each (scenario, kpi, group, replication) group's row with the lowest ``key``,
    the earliest month on ties (the first row on full ties), in the groups' sorted order: what
    a stable sort by those columns, ``key`` and month followed by each group's first row gives,
    without sorting all rows (the minimum per group, then a sort of the few rows that reach it)."""
    g = np.zeros(len(k), dtype=np.int64)  # the group's rank in sorted order, mixed radix
    for col in (*KEYS, "replication"):
        codes, n = _sorted_codes(k[col])
        g = g * n + codes
    ids, _ = pd.factorize(g)
    low = pd.Series(key).groupby(ids).min().to_numpy()
    cand = np.flatnonzero(key == low[ids])
    month = _sorted_codes(k["month"])[0][cand]
    cand = cand[np.lexsort((cand, month, g[cand]))]
    first = np.ones(len(cand), dtype=bool)
    first[1:] = g[cand][1:] != g[cand][:-1]
    return cand[first]


def _sorted_codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes that sort as the column sorts (a category's code, else the rank of its
    value among the distinct values) and how many there can be."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), max(len(col.cat.categories), 1)
    codes, uniques = pd.factorize(col, sort=True)
    return codes.astype(np.int64), max(len(uniques), 1)


def summarise_periods(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The ``summary.csv`` table: horizon, calendar-month and worst-month rows (``period``)."""
    parts = [summarise(kpis, confidence), summarise_months(kpis, confidence), worst_months(kpis, confidence)]
    out = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    order = {"horizon": 0, "worst": 2}
    out["_o"] = out["period"].map(order).fillna(1)
    out = out.sort_values([*KEYS, "_o", "period"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)[SUMMARY_COLUMNS]
