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
from resurssimalli.simulate.kpi_table import KpiRows, Part, attribute_column, row_sums, rows_frame, section
from resurssimalli.simulate.model import ReplicationOutput
from resurssimalli.simulate.params import SimParams


def _overlap(a0: np.ndarray, a1: np.ndarray, b0: float | np.ndarray, b1: float | np.ndarray) -> np.ndarray:
    """Length of [a0, a1) ∩ [b0, b1), 0 if they do not meet (``np.clip(x, 0.0, None)`` is this
    ``np.maximum``, without the wrapper's overhead)."""
    return np.maximum(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0)


def municipal_cost(
    benefit: object, reg: np.ndarray, start: np.ndarray, end: np.ndarray, b0: float | np.ndarray,
    b1: float | np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Each spell's municipal benefit cost (EUR) over days [b0, b1) of its unemployment [start, end)
    (``b0``, ``b1`` columns of periods: a [period, spell] table).

    The share steps up at each band's first benefit day: accumulated paid days at time t are
    ``(t - reg) × paid_days_per_week / 7``, so band day ``d`` is reached at ``reg + (d - 1) × 7 / w``.
    A band adds to the spells that reach it before their end only (the later bands to few of
    them); for the others it would add 0.0, which changes no bit.
    """
    w = benefit.paid_days_per_week / 7.0  # type: ignore[attr-defined]
    per_day = benefit.daily_amount_eur * benefit.recipient_share * w  # type: ignore[attr-defined]
    reg, start, end = np.asarray(reg), np.asarray(start), np.asarray(end)
    cost = np.zeros(np.broadcast_shapes(reg.shape, np.shape(b0)))
    prev = 0.0
    for first_day, share in benefit.municipal_share_bands:  # type: ignore[attr-defined]
        t_band = reg + (first_day - 1) / w
        hit = np.flatnonzero(t_band < end)
        days = _overlap(np.maximum(start[hit], t_band[hit]), end[hit], b0, b1)
        cost[..., hit] += (share - prev) * per_day * days
        prev = share
    return cost


def outcome_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """The outcome KPI rows of one replication."""
    return rows_frame(p, outcome_rows(p, out), replication)


def outcome_rows(p: SimParams, out: ReplicationOutput) -> KpiRows:
    """The outcome KPIs of one replication: month by month, per group the KPIs in turn."""
    cal = p.calendar
    cs = [c for c in out.customers if c.state == 0]  # the unemployed's spells (not the other states)
    ids = attribute_column(cs, "id", np.int64)
    reg, muni = out.fixed.reg[ids], out.fixed.muni[ids]
    exit_ = attribute_column(cs, "exit", float)
    start = np.maximum(reg, 0.0)
    end = np.minimum(exit_, float(cal.n_days))
    order = np.argsort(muni, kind="stable")  # the spells by municipality: a slice each
    bounds = np.searchsorted(muni[order], np.arange(len(p.municipalities) + 1))
    edges = np.asarray(cal.month_start_days, dtype=float)
    b0, b1 = edges[:-1, None], edges[1:, None]  # [month, spell] tables below
    groups = ("all", *p.municipalities)
    parts = [Part("unemployment_days", groups, _group_sums(_overlap(start, end, b0, b1), order, bounds))]
    if p.benefit is not None:
        cost = municipal_cost(p.benefit, reg, start, end, b0, b1)
        parts.append(Part("benefit_cost_municipal_eur", groups, _group_sums(cost, order, bounds)))
    reg, exit_ = reg[order], exit_[order]  # counts need no order: by municipality
    active = (reg < b1) & (exit_ > b1)
    spell = (b1 - reg) / DAYS_PER_MONTH
    parts.append(Part("stock_past_3_months", groups, _group_counts(active & (spell > 3.0), bounds)))
    parts.append(Part("stock_past_12_months", groups, _group_counts(active & (spell > 12.0), bounds)))
    return section([tuple(parts)], cal.months)


def _group_sums(v: np.ndarray, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """[month, "all" + munis] sums of a [month, spell] table, each as ``v[k][muni == m].sum()``
    would give it (the same values in the same order, :func:`row_sums`: the same bits); the
    spells of municipality m are ``order[bounds[m]:bounds[m + 1]]``."""
    by_muni = v[:, order]
    out = np.empty((v.shape[0], len(bounds)))
    out[:, 0] = row_sums(v)
    for m in range(len(bounds) - 1):
        out[:, 1 + m] = row_sums(by_muni[:, bounds[m] : bounds[m + 1]])
    return out


def _group_counts(mask: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """[month, "all" + munis] counts of a [month, spell] boolean table whose spells are ordered
    by municipality (m's are ``bounds[m]:bounds[m + 1]``), as floats."""
    by_muni = np.column_stack([mask[:, a:b].sum(axis=1) for a, b in zip(bounds, bounds[1:])])  # noqa: B905
    return np.column_stack([by_muni.sum(axis=1), by_muni]).astype(float)
