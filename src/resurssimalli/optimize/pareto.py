"""The cost–accessibility front by the epsilon-constraint method.

Accessibility is the longest face-to-face trip any demand point makes. The front runs from
the cost-optimal plan (its longest trip ``D0``) to the plan with the shortest possible longest
trip ``Dmin`` (the ``minmax-travel`` optimum); in between, ``N`` evenly spaced limits
``ε_k`` between ``D0`` and ``Dmin`` are imposed (only pairs within ``ε_k`` may be used) and cost
is minimised — after serving every visit the limit allows (coverage first: a front point never
buys a shorter trip by leaving customers unserved; ``visits_uncovered`` says how many cannot be
served within the limit and ``uncovered_why`` why). Tighter limits can only raise the optimal cost; if a solver gap makes a looser
point dearer than a tighter one, the tighter plan (feasible for the looser limit too) replaces
it, so the reported cost never falls as the limit tightens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

PARETO_COLUMNS = [
    "point",
    "travel_limit_minutes",
    "cost_eur",
    "max_minutes",
    "mean_minutes",
    "visits_served",
    "visits_uncovered",
    "uncovered_why",
    "sites_open",  # the point's open sites (ids, space-separated)
    "sites_opened",  # against the first (cost-optimal) point: sites this point opens in addition
    "sites_closed",  # ... and the first point's sites it closes
]


@dataclass(frozen=True)
class FrontPoint:
    """One plan of the front: its limit, cost (EUR a year, a cost not an objective), trips and coverage."""

    travel_limit: float
    cost: float
    max_minutes: float
    mean_minutes: float
    visits_served: float = float("nan")
    visits_uncovered: float = float("nan")
    uncovered_why: str = ""
    sites_open: str = ""


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
            pts[k] = dataclasses.replace(pts[k + 1], travel_limit=pts[k].travel_limit)
    first = set(pts[0].sites_open.split())
    return pd.DataFrame(
        [(i + 1, *dataclasses.astuple(p), *sites_changed(first, set(p.sites_open.split())))
         for i, p in enumerate(pts)],
        columns=PARETO_COLUMNS,
    )  # fmt: skip


def sites_changed(before: set[str], after: set[str]) -> tuple[str, str]:
    """The sites opened and the sites closed going from ``before`` to ``after`` (sorted ids,
    space-separated; empty when none)."""
    return " ".join(sorted(after - before)), " ".join(sorted(before - after))
