"""The one place that talks to HiGHS (through ``pyomo.contrib.solver``'s ``highs`` interface).

Swapping in another backend (e.g. a direct highspy build) means replacing :func:`solve` only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo  # noqa: F401  (must be imported before the contrib factory)
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from resurssimalli.optimize.gc_pause import gc_paused

STATUS = {
    TerminationCondition.convergenceCriteriaSatisfied: "optimal",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.iterationLimit: "iteration_limit",
    TerminationCondition.provenInfeasible: "infeasible",
    TerminationCondition.locallyInfeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.interrupted: "interrupted",
}


@dataclass(frozen=True)
class SolveOutcome:
    """What a solve returned. ``has_solution``: a plan was loaded into the model's variables."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    has_solution: bool
    duals: dict[Any, float] = field(default_factory=dict, repr=False)
    highs_seconds: float | None = None  # HiGHS's own run time; ``seconds`` minus this is the hand-off

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|incumbent − bound| / |incumbent| (0 when both are 0)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    if objective == bound:
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(
    model: pyo.ConcreteModel,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    duals: bool = False,
) -> SolveOutcome:
    """Solve ``model`` (its active objective) with HiGHS; load the best plan found if there is one.

    Never raises on a non-optimal end: the status says what happened. ``duals`` (LPs only)
    returns the row duals keyed by constraint data objects.
    """
    opt = SolverFactory("highs")
    kw: dict[str, Any] = {
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "solver_options": {"output_flag": False, "random_seed": 0},
    }
    if time_limit is not None:
        kw["time_limit"] = float(time_limit)
    if gap is not None:
        kw["rel_gap"] = float(gap)
    if threads is not None:
        kw["threads"] = threads
    t0 = time.perf_counter()
    # The hand-off walks every constraint and loading the plan back fills a map entry per
    # variable: both allocate tens of thousands of objects; see gc_pause.
    with gc_paused():
        res = opt.solve(model, **kw)
        has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        if has:
            # skip validation: HiGHS returns values like -1e-16 for variables bounded at 0, which
            # Pyomo would report as a domain warning although they are zero within tolerance
            for var, value in res.solution_loader.get_vars().items():
                var.set_value(value, skip_validation=True)
        d: dict[Any, float] = dict(res.solution_loader.get_duals()) if duals and has else {}
    seconds = time.perf_counter() - t0
    status = STATUS.get(res.termination_condition, str(res.termination_condition.name))
    obj = res.incumbent_objective if has else None
    bound = res.objective_bound if res.objective_bound is not None else None
    if bound is not None and not math.isfinite(bound):
        bound = None
    if status == "optimal" and bound is None:
        bound = obj
    highs_seconds = getattr(res.timing_info, "highs_time", None)
    return SolveOutcome(status, obj, bound, relative_gap(obj, bound), seconds, has, d, highs_seconds)
