"""The one place that talks to HiGHS (through ``pyomo.contrib.solver``'s ``highs`` interface, with
the fast hand-off of flat linear rows in :mod:`.flat_handoff`).

Swapping in another backend (e.g. a direct highspy build) means replacing :func:`solve` only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo  # must be imported before the contrib factory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from resurssimalli import tolerances
from resurssimalli.optimize.flat_handoff import FlatHighs
from resurssimalli.optimize.gc_pause import gc_paused

DEFAULT_REL_GAP = tolerances.DEFAULT_REL_GAP
QUICK_UPDATES = {  # Pyomo persistent-solver checks that ``rows_only`` solves skip
    "check_for_new_or_removed_vars": False,
    "check_for_new_or_removed_params": False,
    "update_vars": False,
    "update_parameters": False,
    "update_named_expressions": False,
    "update_constraints": False,
}
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


class Session:
    """One persistent HiGHS instance for a sequence of solves of the same model.

    Later solves hand over only what changed (fixed variables, a new objective, added or
    deactivated rows), so the lexicographic stages of :mod:`.tiebreak` cost little. ``seed`` is
    HiGHS's ``random_seed`` (tests vary it to show a result does not hang on a solver tie).
    """

    def __init__(self, *, seed: int = 0, threads: int | None = None) -> None:
        self._opt = FlatHighs()
        self.seed = seed
        self.threads = threads
        self._unchanged = False  # the model is as :meth:`load` handed it over

    def load(self, model: pyo.Block) -> None:
        """Hand ``model`` over to HiGHS without solving it (e.g. to solve its :meth:`relaxation`
        first); the next :meth:`run` of the unchanged model skips Pyomo's walk over it."""
        with gc_paused():
            self._opt.set_instance(model)
        self._unchanged = True

    def run(
        self,
        model: pyo.Block,
        *,
        time_limit: float | None = None,
        gap: float | None = None,
        duals: bool = False,
        rows_only: bool = False,
    ) -> SolveOutcome:
        """Solve ``model`` (its active objective); load the best plan found if there is one.

        Never raises on a non-optimal end: the status says what happened. ``duals`` (LPs only)
        returns the row duals keyed by constraint data objects. ``rows_only``: since the last
        solve only rows were added or (de)activated and the objective changed — the hand-off
        then skips walking every variable and expression (much faster on large models).
        """
        kw: dict[str, Any] = {
            "load_solutions": False,
            "raise_exception_on_nonoptimal_result": False,
            "solver_options": {"output_flag": False, "random_seed": self.seed},
        }
        # Always set both: HiGHS keeps an option from the previous solve of the same instance.
        kw["time_limit"] = float(time_limit) if time_limit is not None else math.inf
        kw["rel_gap"] = float(gap) if gap is not None else DEFAULT_REL_GAP
        if self.threads is not None:
            kw["threads"] = self.threads
        if rows_only or self._unchanged:
            kw["auto_updates"] = QUICK_UPDATES
        self._unchanged = False
        t0 = time.perf_counter()
        # The hand-off walks every constraint and loading the plan back fills a map entry per
        # variable: both allocate tens of thousands of objects; see gc_pause.
        with gc_paused():
            res = self._opt.solve(model, **kw)
            has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
            if has:
                # without validation: HiGHS returns values like -1e-16 for variables bounded at 0,
                # which Pyomo would report as a domain warning although they are zero within tolerance
                self._opt.load_plan()
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

    def relaxation(self, rows: list[pyo.ConstraintData]) -> tuple[float | None, dict[Any, float]]:
        """After a MIP solve: the LP relaxation of the same model on the same HiGHS instance (its
        optimum, or None unless optimal, and the duals of ``rows``); the model is left as it was.

        Integrality is dropped and restored in HiGHS directly, with no second hand-off; the solver
        state is cleared on both sides, so the next solve starts as it would have without this
        one (no warm start from the relaxation's basis).
        """
        highs = self._opt._solver_model
        kind = highs.getLp().integrality_  # empty for an LP
        continuous = highspy.HighsVarType.kContinuous
        cols = np.array([i for i, t in enumerate(kind) if t != continuous], dtype=np.int32)
        kinds = np.array([kind[i] for i in cols])
        for key, value in {"output_flag": False, "random_seed": self.seed, "time_limit": math.inf}.items():
            highs.setOptionValue(key, value)
        if self.threads is not None:
            highs.setOptionValue("threads", self.threads)
        highs.clearSolver()
        with gc_paused():
            highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), continuous))
            try:
                highs.run()
                optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
                objective = highs.getInfo().objective_function_value if optimal else None
                row_dual = highs.getSolution().row_dual if optimal else []
                index = self._opt._pyomo_con_to_solver_con_map
                duals = {c: row_dual[index[c]] for c in rows} if optimal else {}
            finally:
                highs.changeColsIntegrality(len(cols), cols, kinds)
                highs.clearSolver()
        return objective, duals

    def row_ranges(self, cons: list[pyo.ConstraintData]) -> list[tuple[float, float]]:
        """After an LP solve: for each row in ``cons``, the interval of its right-hand side over which
        its dual holds (HiGHS ranging of the row bound, computed once for all rows; ``-inf``/``inf``
        where unlimited)."""
        highs = self._opt._solver_model  # the highspy.Highs of the last solve
        status, ranging = highs.getRanging()
        if not ranging.valid:
            return [(-math.inf, math.inf) for _ in cons]
        index = self._opt._pyomo_con_to_solver_con_map
        down, up, inf = ranging.row_bound_dn.value_, ranging.row_bound_up.value_, highspy.kHighsInf
        out = []
        for con in cons:
            lo, hi = down[index[con]], up[index[con]]
            out.append((-math.inf if lo <= -inf else float(lo), math.inf if hi >= inf else float(hi)))
        return out


def solve(
    model: pyo.ConcreteModel,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    duals: bool = False,
    seed: int = 0,
) -> SolveOutcome:
    """Solve ``model`` once with a fresh HiGHS instance (see :meth:`Session.run`)."""
    return Session(seed=seed, threads=threads).run(model, time_limit=time_limit, gap=gap, duals=duals)
