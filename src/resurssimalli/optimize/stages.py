"""The lexicographic cost solve: coverage first (minmax-travel plans, front points), then cost.

With coverage first, a point with an office it may use within the travel limit is always
fully served (its slack is held at 0 by the model, :func:`.model.must_serve`). Points that only service points or
pop-ups reach (visit capacity) are served as far as capacity allows: a first MIP minimises the
uncovered visits, and the cost MIP keeps that coverage (:func:`cost_first_covered`). Leaving a
visit uncovered is thus never a cost choice; an uncovered visit means no site within the limit,
sites closed by the scenario, or sites full. Plain cost plans (``coverage_first=False``) may
leave visits unserved where the scenario's uncovered-visit penalty is cheaper, and say so.
"""

from __future__ import annotations

import pyomo.environ as pyo

from resurssimalli import tolerances
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import TIME_EPS, must_serve
from resurssimalli.optimize.solve import Session, SolveOutcome

COVERAGE_TOLERANCE_VISITS = tolerances.COVERAGE_VISITS


def partly_coverable(inp: OptimisationInput, limit: float) -> list[str]:
    """Points with visits that only capacity-limited sites (or none an office) reach within ``limit``."""
    must = must_serve(inp, limit)
    return [
        p.id
        for p in inp.points
        if p.visits > 0
        and p.id not in must
        and any(q.minutes <= limit + TIME_EPS and q.site not in inp.force_closed for q in inp.pairs[p.id])
    ]


def cost_first_covered(
    m: pyo.ConcreteModel,
    inp: OptimisationInput,
    session: Session,
    *,
    limit: float,
    time_limit: float,
    coverage_first: bool = False,
) -> tuple[SolveOutcome, SolveOutcome | None]:
    """Solve ``m`` for cost after securing the most coverage; returns (cost outcome, coverage outcome).

    The coverage stage runs only where some visits can be reached by capacity-limited sites alone.
    """
    partial = [p for p in partly_coverable(inp, limit) if p in m.v] if coverage_first else []
    cover = None
    if partial:
        visits = inp.point_by_id
        uncovered = pyo.quicksum(visits[p].visits * m.v[p] for p in partial)
        m.cost.deactivate()
        m.coverage_goal = pyo.Objective(expr=uncovered)
        cover = session.run(m, time_limit=time_limit, gap=0.0)
        m.del_component(m.coverage_goal)
        m.cost.activate()
        if not cover.has_solution:
            return cover, cover
        floor = float(cover.objective) + COVERAGE_TOLERANCE_VISITS
        m.coverage_floor = pyo.Constraint(expr=uncovered <= floor)
        time_limit = max(time_limit - cover.seconds, 0.1)
    out = session.run(m, time_limit=time_limit, gap=inp.mip_gap)
    return out, cover
