"""The cost–accessibility front by the epsilon-constraint method.

Accessibility is the longest face-to-face trip any demand point makes. The front runs from
the cost-optimal plan (its longest trip ``D0``) to the plan with the shortest possible longest
trip ``Dmin`` (the ``minmax-travel`` optimum); in between, ``N`` evenly spaced limits
``ε_k`` between ``D0`` and ``Dmin`` are imposed (only pairs within ``ε_k`` may be used) and cost
is minimised. Tighter limits can only raise the optimal cost; if a solver gap makes a looser
point dearer than a tighter one, the tighter plan (feasible for the looser limit too) replaces
it, so the reported cost never falls as the limit tightens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

PARETO_COLUMNS = ["point", "travel_limit_minutes", "cost_eur", "max_minutes", "mean_minutes"]


@dataclass(frozen=True)
class FrontPoint:
    travel_limit: float
    cost: float
    max_minutes: float
    mean_minutes: float


def epsilon_limits(d0: float, dmin: float, n: int) -> list[float]:
    """``n`` limits from ``d0`` (loosest) down to ``dmin`` (tightest)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    if n == 1:
        return [d0]
    lo = min(dmin, d0)
    return [d0 - (d0 - lo) * k / (n - 1) for k in range(n)]


def trace_front(n: int, d0: float, dmin: float, solve_at: Callable[[float], FrontPoint]) -> pd.DataFrame:
    """Solve at each epsilon limit and return the monotone front (loosest limit first)."""
    pts = [solve_at(eps) for eps in epsilon_limits(d0, dmin, n)]
    for k in range(len(pts) - 2, -1, -1):
        if pts[k].cost > pts[k + 1].cost:
            nxt = pts[k + 1]
            pts[k] = FrontPoint(pts[k].travel_limit, nxt.cost, nxt.max_minutes, nxt.mean_minutes)
    return pd.DataFrame(
        [(i + 1, p.travel_limit, p.cost, p.max_minutes, p.mean_minutes) for i, p in enumerate(pts)],
        columns=PARETO_COLUMNS,
    )
