"""Expected-value projection of the customer flow: what the simulation produces on average.

The same rules as :mod:`resurssimalli.simulate.draws`, computed in expectation instead of drawn,
so that the fit needs no simulation inside its loop (about a millisecond per evaluation):

* exit hazards piecewise constant in spell length (bands 0-3, 3-12, 12+ months), per
  municipality × service line: ``area[b] × factor[m, b] × line_multiplier[l]``;
* the starting stock by municipality and line, long-term customers (spell past 12 months) counted
  as the plan has them and given to multi-sector customers first
  (:func:`~resurssimalli.scenario.demand.long_term_by_line`); elapsed spells with density
  proportional to survival, below or above 12 months (as ``draws._elapsed``);
* registrations per day ``inflow[m, l] / 365.25 × seasonality[calendar month]``;
* at the horizon: survivors of the stock and of the registrations, by municipality and line;
  long-term = spell past 12 months; the plan's groups by the attribute probabilities;
* the share of new spells lasting past 3 months: the line mix of the inflow weighted by ``S(3)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resurssimalli.scenario.demand import DAYS_PER_MONTH, DAYS_PER_YEAR, HAZARD_BANDS
from resurssimalli.scenario.demand import cum_hazard as _band_cum_hazard

BANDS = tuple(b for b, _, _ in HAZARD_BANDS)
GRID_PER_MONTH = 50  # elapsed-spell grid of the starting stock, as in the simulation
LONG_TERM = 12.0


@dataclass(frozen=True)
class FlowInputs:
    """Everything the projection needs besides the fitted parameters (arrays [muni, line])."""

    stock0: np.ndarray  # starting stock by municipality and line
    long_term0: np.ndarray  # its long-term unemployed (demand.long_term_by_line: multi-sector first)
    line_mult: np.ndarray  # [line] exit-hazard multipliers
    season_day: np.ndarray  # [day] seasonality factor of each day of the horizon
    horizon_days: float  # days from the start to the stock count at the horizon
    max_elapsed: float  # months, longest elapsed spell of the long-term stock


def cum_hazard(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Cumulative hazard at spell lengths ``a`` [k] for rates ``r`` [..., 3] → [..., k]."""
    return _band_cum_hazard(np.asarray(a, dtype=float), tuple(r[..., i, None] for i in range(3)))


def rates(area: np.ndarray, factor: np.ndarray, line_mult: np.ndarray) -> np.ndarray:
    """Monthly exit hazards [muni, line, band] from the area's, the municipal factors and the lines'."""
    return area[None, None, :] * factor[:, None, :] * line_mult[None, :, None]


def past_3_months_share(r: np.ndarray, inflow: np.ndarray) -> np.ndarray:
    """[muni] share of new spells lasting past 3 months, the inflow's line mix as weights."""
    s3 = np.exp(-3.0 * r[..., 0])
    total = inflow.sum(axis=1)
    return np.where(total > 0, (inflow * s3).sum(axis=1) / np.maximum(total, 1e-12), np.nan)


def _stock_survival(r: np.ndarray, t: float, lo: float, hi: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean survival over ``t`` months of a stock whose elapsed spells in [lo, hi] have density ∝ S,
    and the mean share that is then past 12 months (both [muni, line])."""
    g = np.arange(lo, hi + step / 2, step)
    w = np.full(len(g), step)
    w[[0, -1]] = step / 2  # trapezoid
    s_now = np.exp(-cum_hazard(g, r))
    s_then = np.exp(-cum_hazard(g + t, r))
    denom = (s_now * w).sum(axis=-1)
    alive = (s_then * w).sum(axis=-1) / denom
    lt = (s_then * w * (g + t > LONG_TERM)).sum(axis=-1) / denom
    return alive, lt


def project(x: FlowInputs, r: np.ndarray, inflow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected stock at the horizon [muni, line] and its long-term part [muni, line]."""
    t = x.horizon_days / DAYS_PER_MONTH
    step = 1.0 / GRID_PER_MONTH
    lt0 = x.long_term0
    a_short, lt_short = _stock_survival(r, t, 0.0, LONG_TERM, step)
    a_long, _ = _stock_survival(r, t, LONG_TERM, x.max_elapsed, step)
    stock = (x.stock0 - lt0) * a_short + lt0 * a_long
    long_term = (x.stock0 - lt0) * lt_short + lt0 * a_long
    age = (x.horizon_days - np.arange(len(x.season_day)) - 0.5) / DAYS_PER_MONTH  # months at the horizon
    s = np.exp(-cum_hazard(age, r))  # [muni, line, day]
    per_day = inflow[..., None] / DAYS_PER_YEAR * x.season_day[None, None, :]
    stock = stock + (per_day * s).sum(axis=-1)
    long_term = long_term + (per_day * s * (age > LONG_TERM)).sum(axis=-1)
    return stock, long_term
