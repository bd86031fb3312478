"""Optimal means optimal: the model with only the ``k`` nearest sites per point, checked against all pairs.

Where the instance is small (at most :data:`ALL_PAIRS_MAX` point–site pairs within the travel
limit, the region's 144 among them) every pair within the limit is in the model and ``k`` plays
no part: the optimum is the optimum. Larger instances keep the ``k`` nearest sites per point
(and always the nearest office it may use). Their plan is then checked by pricing the pairs
left out against the duals of the restricted model's LP relaxation: for any plan of the full
model, cost ≥ ``z_LP + Σ min(0, reduced cost)`` over the left-out pairs (Lagrangian bound with
the left-out rows' duals at 0). When that bound is within the MIP gap of the plan, the plan is
proven optimal for the full model. If not, the left-out pairs that could lower the LP's cost
(negative reduced cost) are taken in and the model re-solved, up to :data:`PRICING_ROUNDS`
times (the pricing runs before a round's MIP: a round whose plan could never be proven, see
:func:`cannot_prove`, goes straight to the wider model without solving its MIP); a plan still not proven is labelled "optimal within the k nearest sites" with the
bound, i.e. at most (cost − bound) above the true optimum.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyomo.environ as pyo

from resurssimalli import tolerances
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import TIME_EPS, reductions
from resurssimalli.optimize.solve import Session

ALL_PAIRS_MAX = 2_000  # pairs within the limit up to which every pair is in the model
PRICING_ROUNDS = 4  # re-solves that take in left-out pairs of negative reduced cost
REDUCED_COST_EPS = tolerances.REDUCED_COST_EPS


def all_pairs_k(inp: OptimisationInput, limit: float) -> dict[str, int] | None:
    """``k`` per point that keeps every pair within ``limit`` — None when the instance is too large."""
    n = {p.id: sum(1 for q in inp.pairs[p.id] if q.minutes <= limit + TIME_EPS) for p in inp.points}
    return {p: max(k, 1) for p, k in n.items()} if sum(n.values()) <= ALL_PAIRS_MAX else None


def full_model_bound(
    m: pyo.ConcreteModel, inp: OptimisationInput, limit: float, session: Session
) -> tuple[float | None, dict[str, int]]:
    """A lower bound on the cost of every plan that may use any pair within ``limit`` (None if the LP
    fails), and per point the ``k`` that would take in its left-out pairs of negative reduced cost.

    ``m`` is the restricted cost model as handed to ``session``; its LP relaxation is solved
    on the same HiGHS instance (:meth:`.Session.relaxation`) and the model is not changed.
    """
    return priced_relaxation(m, inp, limit, session)[1:]


def priced_relaxation(
    m: pyo.ConcreteModel, inp: OptimisationInput, limit: float, session: Session
) -> tuple[float | None, float | None, dict[str, int]]:
    """:func:`full_model_bound` with the restricted model's LP optimum first: (LP optimum, bound, widen)."""
    cap = m.visit_capacity
    objective, duals = session.relaxation([*m.cover.values(), *cap.values()])
    if objective is None or not duals:
        return None, None, {}
    within = {p.id: [q for q in inp.pairs[p.id] if q.minutes <= limit + TIME_EPS] for p in inp.points}
    left_out = [q for q in reductions(inp, [q for qs in within.values() for q in qs]).pairs
                if (q.point, q.site) not in m.pair_data]  # fmt: skip
    rcs = _reduced_costs(m, inp, left_out, duals)
    widen: dict[str, int] = {}
    for q, rc in zip(left_out, rcs, strict=True):
        if rc < -REDUCED_COST_EPS:
            widen[q.point] = max(widen.get(q.point, 0), within[q.point].index(q) + 1)
    return float(objective), float(objective) + sum(min(0.0, rc) for rc in rcs), widen


def cannot_prove(lp_optimum: float | None, bound: float | None, gap: float) -> bool:
    """True when no plan of the restricted model can be proven optimal for the full model within
    ``gap``: every such plan costs at least the LP optimum, and the proof needs
    ``plan − bound <= gap × plan`` (:attr:`.api._Plan.proven_full`; ``gap`` doubled here for safety,
    as a solver's reported gap may exceed the requested one by rounding)."""
    if lp_optimum is None or bound is None or lp_optimum <= 0:
        return False
    return lp_optimum * (1.0 - 2.0 * max(gap, 1e-9)) > bound + 1e-6


def _reduced_costs(lp: pyo.ConcreteModel, inp: OptimisationInput, pairs: list, duals: Mapping) -> list[float]:
    """``c − π_cover[p] − visits·π_capacity[j]`` of each left-out pair's assignment column."""
    visits = {p.id: p.visits for p in inp.points}
    cap = lp.visit_capacity
    out = []
    for q in pairs:
        pi_cover = duals.get(lp.cover[q.point], 0.0)
        pi_cap = duals.get(cap[q.site], 0.0) if q.site in cap else 0.0
        out.append(visits[q.point] * q.eur_per_visit - pi_cover - visits[q.point] * pi_cap)
    return out
