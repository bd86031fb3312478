"""What one more (or one fewer) HTV is worth: the LP marginal with its valid range, and whole HTV by re-solving.

The marginal is the dual of ``area_htv_def[a]`` (``Σ h − area_htv = δ``: δ extra HTV at work in
area ``a`` on top of the paid total) in the plan's LP (integers fixed, :func:`.tiebreak.settle`),
read as it is — the objective is the plan's cost, nothing to undo. It holds only while the LP's
basis does: HiGHS's ranging of the row gives the interval of δ over which it is exact. A whole
HTV is valued by re-solving the full model (sites free) with δ = ±1 in each area and with the
paid total ±1; all values are savings *before* the extra HTV's own salary, so they compare
with the marginal.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pyomo.environ as pyo

from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import build_model
from resurssimalli.optimize.solve import Session, SolveOutcome
from resurssimalli.optimize.stages import cost_first_covered


def shadow_prices(
    m: pyo.ConcreteModel, lp: SolveOutcome, session: Session
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """EUR a year saved per extra HTV in each area (before its salary), and the δ range it holds for."""
    if not lp.has_solution or not lp.duals:
        return {}, {}
    price = {a: -float(lp.duals.get(m.area_htv_def[a], 0.0)) + 0.0 for a in m.area_htv_def}
    areas = list(m.area_htv_def)
    ranges = session.row_ranges([m.area_htv_def[a] for a in areas])
    valid = {a: list(r) for a, r in zip(areas, ranges, strict=True)}
    return price, valid


def _non_staff_cost(
    inp: OptimisationInput,
    k_by_point: Mapping[str, int] | None,
    travel_limit: float | None,
    area: str | None,
    delta: float,
    coverage_first: bool,
) -> float | None:
    """The optimum's cost less its staff salaries (None unless proven optimal)."""
    m = build_model(inp, k_by_point=k_by_point, travel_limit=travel_limit, coverage_first=coverage_first)
    if area is not None:
        m.area_htv_def[area].set_value(m.area_htv_def[area].body == delta)
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    out, _ = cost_first_covered(
        m, inp, Session(seed=inp.seed), limit=limit, time_limit=inp.time_limit_seconds, coverage_first=coverage_first
    )
    if out.status != "optimal":
        return None
    return float(pyo.value(m.total_cost) - pyo.value(m.cost_item["staff"]))


def htv_value(
    inp: OptimisationInput,
    non_staff_cost: float,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    coverage_first: bool = False,
) -> dict[str, Any]:
    """Savings (EUR a year, before salaries) of one whole HTV more / fewer, in total and by area, by re-solving.

    ``non_staff_cost`` is the plan's cost less salaries. ``one_more_eur`` = what one more HTV
    saves; ``one_fewer_eur`` = what one HTV fewer adds. In total: the paid total ``staff.total_htv``
    ±1; by area: one HTV more / fewer at work in that area on top of the paid total. None where a
    re-solve did not reach proven optimality.
    """
    k = None if k_by_point is None else dict(k_by_point)

    def at(total: float, area: str | None = None, delta: float = 0.0) -> float | None:
        return _non_staff_cost(dataclasses.replace(inp, total_htv=total), k, travel_limit, area, delta, coverage_first)

    def saving(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    t = inp.total_htv
    out: dict[str, Any] = {
        "one_more_eur": saving(non_staff_cost, at(t + 1)),
        "one_fewer_eur": saving(at(t - 1), non_staff_cost) if t >= 1 else None,
        "by_area": {},
    }
    for a in inp.areas:
        out["by_area"][a] = {
            "one_more_eur": saving(non_staff_cost, at(t, a, 1.0)),
            "one_fewer_eur": saving(at(t, a, -1.0), non_staff_cost),
        }
    return out


def finite(x: float) -> float | None:
    """JSON-safe: infinite range ends become None."""
    return x if math.isfinite(x) else None
