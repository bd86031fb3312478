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
from resurssimalli.simulate.kpis import COLUMNS
from resurssimalli.simulate.model import ReplicationOutput
from resurssimalli.simulate.params import SimParams


def _overlap(a0: np.ndarray, a1: np.ndarray, b0: float, b1: float) -> np.ndarray:
    return np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)


def municipal_cost(
    benefit: object, reg: np.ndarray, start: np.ndarray, end: np.ndarray, b0: float, b1: float
) -> np.ndarray:
    """Each spell's municipal benefit cost (EUR) over days [b0, b1) of its unemployment [start, end).

    The share steps up at each band's first benefit day: accumulated paid days at time t are
    ``(t - reg) × paid_days_per_week / 7``, so band day ``d`` is reached at ``reg + (d - 1) × 7 / w``.
    """
    w = benefit.paid_days_per_week / 7.0  # type: ignore[attr-defined]
    per_day = benefit.daily_amount_eur * benefit.recipient_share * w  # type: ignore[attr-defined]
    cost = np.zeros(len(reg))
    prev = 0.0
    for first_day, share in benefit.municipal_share_bands:  # type: ignore[attr-defined]
        t_band = reg + (first_day - 1) / w
        days = _overlap(np.maximum(start, t_band), end, b0, b1)
        cost += (share - prev) * per_day * days
        prev = share
    return cost


def outcome_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """The outcome KPI rows of one replication."""
    cal = p.calendar
    cs = out.customers
    reg = np.array([c.reg for c in cs])
    exit_ = np.array([c.exit for c in cs])
    muni = np.array([c.muni for c in cs], dtype=np.int64)
    start = np.maximum(reg, 0.0)
    end = np.minimum(exit_, float(cal.n_days))
    groups = [("all", np.ones(len(cs), dtype=bool))] + [
        (m, muni == i) for i, m in enumerate(p.municipalities)
    ]
    rows: list[tuple[int, str, str, float]] = []
    for k in range(cal.months):
        b0, b1 = float(cal.month_start_days[k]), float(cal.month_start_days[k + 1])
        days = _overlap(start, end, b0, b1)
        cost = municipal_cost(p.benefit, reg, start, end, b0, b1) if p.benefit is not None else None
        active = (reg < b1) & (exit_ > b1)
        spell = (b1 - reg) / DAYS_PER_MONTH
        for g, gm in groups:
            rows.append((k, "unemployment_days", g, float(days[gm].sum())))
            if cost is not None:
                rows.append((k, "benefit_cost_municipal_eur", g, float(cost[gm].sum())))
            rows.append((k, "stock_past_3_months", g, float((active & gm & (spell > 3.0)).sum())))
            rows.append((k, "stock_past_12_months", g, float((active & gm & (spell > 12.0)).sum())))
    df = pd.DataFrame(rows, columns=["month_index", "kpi", "group", "value"])
    df.insert(0, "month", np.array(cal.month_labels, dtype=object)[df["month_index"].to_numpy()])
    df.insert(0, "replication", replication)
    df.insert(0, "scenario", p.scenario)
    return df[COLUMNS]
