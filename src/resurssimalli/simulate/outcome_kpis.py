"""Outcome KPIs of one replication: what the service does to unemployment, in days and euros.

Rows in the KPI table's long format (``kpis.COLUMNS``):

* ``unemployment_days`` — person-days of registered unemployment in the month; ``all`` and
  municipalities (a year's total is the sum over the months);
* ``benefit_cost_municipal_eur`` — the municipalities' share of unemployment benefits for the
  month's unemployment days under the financing model from 1.1.2025: a paid day costs
  ``daily_amount_eur × recipient_share`` and the municipality pays the share of the band its
  accumulated benefit days have reached (``outcomes.benefit``); benefit days accrue
  ``paid_days_per_week`` a week from registration (the starting stock's elapsed spell counts);
  ``all`` and municipalities (by home municipality);
* ``stock_past_3_months`` / ``stock_past_12_months`` — month-end job seekers whose spell has
  lasted past 3 or 12 months; ``all`` and municipalities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from resurssimalli.scenario.demand import DAYS_PER_MONTH
from resurssimalli.simulate.kpis import rows_frame
from resurssimalli.simulate.model import ReplicationOutput
from resurssimalli.simulate.params import SimParams


def _overlap(a0: np.ndarray, a1: np.ndarray, b0: float | np.ndarray, b1: float | np.ndarray) -> np.ndarray:
    return np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)


def municipal_cost(
    benefit: object, reg: np.ndarray, start: np.ndarray, end: np.ndarray, b0: float | np.ndarray,
    b1: float | np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Each spell's municipal benefit cost (EUR) over days [b0, b1) of its unemployment [start, end)
    (``b0``, ``b1`` columns of periods: a [period, spell] table).

    The share steps up at each band's first benefit day: accumulated paid days at time t are
    ``(t - reg) × paid_days_per_week / 7``, so band day ``d`` is reached at ``reg + (d - 1) × 7 / w``.
    """
    w = benefit.paid_days_per_week / 7.0  # type: ignore[attr-defined]
    per_day = benefit.daily_amount_eur * benefit.recipient_share * w  # type: ignore[attr-defined]
    cost = np.zeros(np.broadcast_shapes(np.shape(reg), np.shape(b0)))
    prev = 0.0
    for first_day, share in benefit.municipal_share_bands:  # type: ignore[attr-defined]
        t_band = reg + (first_day - 1) / w
        days = _overlap(np.maximum(start, t_band), end, b0, b1)
        cost += (share - prev) * per_day * days
        prev = share
    return cost


def outcome_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """The outcome KPI rows of one replication."""
    return rows_frame(p, outcome_rows(p, out), replication)


def outcome_rows(p: SimParams, out: ReplicationOutput) -> list[tuple[int, str, str, float]]:
    """The outcome KPIs of one replication as (month_index, kpi, group, value) rows."""
    cal = p.calendar
    cs = out.customers
    ids = np.array([c.id for c in cs], dtype=np.int64)
    reg, muni = out.fixed.reg[ids], out.fixed.muni[ids]
    exit_ = np.array([c.exit for c in cs])
    start = np.maximum(reg, 0.0)
    end = np.minimum(exit_, float(cal.n_days))
    nm = len(p.municipalities)
    bounds = np.asarray(cal.month_start_days, dtype=float)
    b0, b1 = bounds[:-1, None], bounds[1:, None]  # [month, spell] tables below
    days = _group_sums(_overlap(start, end, b0, b1), muni, nm)
    cost = None
    if p.benefit is not None:
        cost = _group_sums(municipal_cost(p.benefit, reg, start, end, b0, b1), muni, nm)
    active = (reg < b1) & (exit_ > b1)
    spell = (b1 - reg) / DAYS_PER_MONTH
    past3 = _group_counts(active & (spell > 3.0), muni, nm)
    past12 = _group_counts(active & (spell > 12.0), muni, nm)
    rows: list[tuple[int, str, str, float]] = []
    for k in range(cal.months):
        for j, g in enumerate(("all", *p.municipalities)):
            rows.append((k, "unemployment_days", g, days[k, j]))
            if cost is not None:
                rows.append((k, "benefit_cost_municipal_eur", g, cost[k, j]))
            rows.append((k, "stock_past_3_months", g, past3[k, j]))
            rows.append((k, "stock_past_12_months", g, past12[k, j]))
    return rows


def _group_sums(v: np.ndarray, muni: np.ndarray, nm: int) -> np.ndarray:
    """[month, "all" + munis] sums of a [month, spell] table, each as ``v[k][muni == m].sum()``
    would give it (the same values in the same order: numpy's pairwise sum, the same bits)."""
    order = np.argsort(muni, kind="stable")
    by_muni = v[:, order]
    bounds = np.searchsorted(muni[order], np.arange(nm + 1))
    out = np.zeros((v.shape[0], nm + 1))
    for k in range(v.shape[0]):
        out[k, 0] = v[k].sum()
        for m in range(nm):
            out[k, 1 + m] = by_muni[k, bounds[m] : bounds[m + 1]].sum()
    return out


def _group_counts(mask: np.ndarray, muni: np.ndarray, nm: int) -> np.ndarray:
    """[month, "all" + munis] counts of a [month, spell] boolean table, as floats."""
    by_muni = np.stack([np.bincount(muni[row], minlength=nm) for row in mask]).reshape(len(mask), nm)
    return np.column_stack([by_muni.sum(axis=1), by_muni]).astype(float)
