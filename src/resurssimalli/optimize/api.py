"""The optimiser's entry points: :func:`optimize` (scenario → plan tables) and :func:`load_result`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from resurssimalli.errors import ContradictoryRules, InputError, ResurssimalliError
from resurssimalli.optimize import results as R
from resurssimalli.optimize.conflicts import contradicting_sets
from resurssimalli.optimize.gc_pause import gc_paused
from resurssimalli.optimize.inputs import OptimisationInput, build_input
from resurssimalli.optimize.model import FIXED_STAFF_LINES, build_model
from resurssimalli.optimize.pareto import FrontPoint, trace_front
from resurssimalli.optimize.pricing import (
    PRICING_ROUNDS,
    all_pairs_k,
    cannot_prove,
    full_model_bound,
    priced_relaxation,
)
from resurssimalli.optimize.shadow import finite, htv_value, shadow_prices
from resurssimalli.optimize.solve import Session, SolveOutcome
from resurssimalli.optimize.stages import cost_first_covered
from resurssimalli.optimize.tiebreak import SHORTFALL_RULE, leximin_shares, served_shares, settle
from resurssimalli.reading import read_csv, read_json
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario

FILES = {"allocation": "allocation.csv", "sites": "sites.csv", "access": "access.csv", "costs": "costs.csv"}
RESTRICTED = "optimal_within_k_nearest_sites"
STATUS_RANK = {"optimal": 0, RESTRICTED: 1, "time_limit": 1, "iteration_limit": 1, "interrupted": 2}


@dataclass(frozen=True)
class OptimizeResult:
    """The plan as tables (see the issue's file contract) plus ``summary`` and, optionally, ``pareto``."""

    allocation: pd.DataFrame
    sites: pd.DataFrame
    access: pd.DataFrame
    costs: pd.DataFrame
    summary: Mapping[str, Any]
    pareto: pd.DataFrame | None = None

    @property
    def proven_optimal(self) -> bool:
        return self.summary.get("status") == "optimal"

    def write(self, run_folder: RunFolder) -> None:
        """Write allocation/sites/access/costs CSVs, summary.json and (if traced) pareto.csv."""
        for attr, name in FILES.items():
            run_folder.write_csv(name, getattr(self, attr))
        run_folder.write_json("summary.json", dict(self.summary))
        if self.pareto is not None:
            run_folder.write_csv("pareto.csv", self.pareto)
        run_folder.extra["optimize"] = {
            "status": self.summary.get("status"),
            "objective": self.summary.get("objective"),
            "gap": self.summary.get("gap"),
        }


@dataclass
class _Plan:
    model: pyo.ConcreteModel
    outcome: SolveOutcome
    limit: float
    coverage_first: bool = False
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    k_by_point: dict[str, int] | None = None  # None: every pair within the limit is in the model
    full_bound: float | None = None  # restricted model: lower bound on the all-pairs optimum
    non_staff_cost: float = 0.0  # the cost MIP's plan less salaries (the base of the whole-HTV values)
    mip_gap: float = 0.0  # the requested gap: the all-pairs check proves optimality within it
    shadow: dict[str, float] = field(default_factory=dict)
    shadow_range: dict[str, list[float]] = field(default_factory=dict)
    tiebreak_rounds: int = 0

    @property
    def status(self) -> str:
        """``optimal`` only when proven for every pair within the limit (see :mod:`.pricing`)."""
        if self.outcome.status == "optimal" and self.k_by_point is not None and not self.proven_full:
            return RESTRICTED
        return self.outcome.status

    @property
    def proven_full(self) -> bool:
        if self.k_by_point is None:
            return True
        obj = self.outcome.objective
        if self.full_bound is None or obj is None:
            return False
        return obj - self.full_bound <= max(self.outcome.gap or 0.0, self.mip_gap, 1e-9) * abs(obj) + 1e-6


def _contradiction(inp: OptimisationInput, m: pyo.ConcreteModel) -> ContradictoryRules:
    sets = contradicting_sets(m, inp) or [
        ["the rules together, though no single rule group is to blame (check sites.csv and the travel times)"]
    ]
    return ContradictoryRules(inp.source, list(dict.fromkeys(r for s in sets for r in s)), sets)


def _no_plan(inp: OptimisationInput, out: SolveOutcome) -> ResurssimalliError:
    return ResurssimalliError(
        f"{inp.source}: no plan found ({out.status}) within {inp.time_limit_seconds:g} s; raise --time-limit"
    )


def solve_plan(inp: OptimisationInput, *, travel_limit: float | None = None, coverage_first: bool = False) -> _Plan:
    """Build and solve the cost model (``coverage_first``: see :mod:`.stages`), then settle the ties.

    Small instances use every pair within the travel limit; large ones the ``k`` nearest sites,
    checked against all pairs by pricing and widened where a left-out pair could help
    (:mod:`.pricing`); the time limit is a budget for all rounds together. The final plan's LP gives the shadow
    prices and the leximin tie-break places spare staff and shortfalls (:mod:`.tiebreak`).
    Contradicting hard rules raise :class:`ContradictoryRules`.

    The cyclic garbage collector is paused throughout (:mod:`.gc_pause`): one pass at the end
    instead of a full pass over the model after each build and each hand-off.
    """
    with gc_paused():
        return _solve_plan(inp, travel_limit, coverage_first)


def _solve_plan(inp: OptimisationInput, travel_limit: float | None, coverage_first: bool) -> _Plan:
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    every = all_pairs_k(inp, limit)
    k_by_point: dict[str, int] = {}
    build = solve_s = 0.0
    for rnd in range(PRICING_ROUNDS + 1):
        t0 = time.perf_counter()
        m = build_model(inp, k_by_point=every or k_by_point, travel_limit=travel_limit, coverage_first=coverage_first)
        build += time.perf_counter() - t0
        session = Session(seed=inp.seed)
        priced = None
        if every is None and not coverage_first and rnd < PRICING_ROUNDS:
            # price first: a round whose plan could not be proven anyway skips its MIP
            session.load(m)
            priced = priced_relaxation(m, inp, limit, session)
            if priced[2] and cannot_prove(priced[0], priced[1], inp.mip_gap):
                k_by_point.update(_widened(inp, k_by_point, priced[2]))
                continue
        remaining = max(inp.time_limit_seconds - solve_s, 0.1)
        out, cover = cost_first_covered(
            m, inp, session, limit=limit, time_limit=remaining, coverage_first=coverage_first
        )
        solve_s += out.seconds + (cover.seconds if cover else 0.0)
        if out.status == "infeasible":
            raise _contradiction(inp, m)
        if not out.has_solution:
            raise _no_plan(inp, out)
        plan = _Plan(m, out, limit, coverage_first, build, solve_s, None if every is not None else dict(k_by_point))
        plan.mip_gap = inp.mip_gap
        if every is not None or out.status != "optimal":
            break
        plan.full_bound, widen = priced[1:] if priced else full_model_bound(m, inp, limit, session)
        if plan.proven_full or not widen:
            break
        k_by_point.update(_widened(inp, k_by_point, widen))
    plan.non_staff_cost = float(pyo.value(m.total_cost) - pyo.value(m.cost_item["staff"]))
    t0 = time.perf_counter()
    lp = settle(m, session)
    plan.shadow, plan.shadow_range = shadow_prices(m, lp, session)
    plan.tiebreak_rounds = leximin_shares(m, inp, session)
    plan.solve_seconds += time.perf_counter() - t0
    return plan


def _widened(inp: OptimisationInput, k_by_point: dict[str, int], widen: dict[str, int]) -> dict[str, int]:
    return {p: max(k, k_by_point.get(p, inp.k_nearest_sites)) for p, k in widen.items()}


def _min_longest_trip(inp: OptimisationInput) -> tuple[float | None, SolveOutcome, float]:
    """Stage 1 of ``minmax-travel``: the shortest possible longest trip (None if some point is left out).

    Every point an office reaches within the limit is served (coverage first, as in the cost model).
    """
    t0 = time.perf_counter()
    m = build_model(inp, minmax=True, k_by_point=all_pairs_k(inp, inp.max_travel_minutes), coverage_first=True)
    build = time.perf_counter() - t0
    m.cost.deactivate()
    m.equity.activate()
    out = Session(seed=inp.seed).run(m, time_limit=inp.time_limit_seconds, gap=inp.mip_gap)
    if out.status == "infeasible":
        raise _contradiction(inp, m)
    if not out.has_solution:
        raise _no_plan(inp, out)
    longest = float(pyo.value(m.longest))
    return (None if longest > inp.max_travel_minutes else longest), out, build


def _optimality_note(inp: OptimisationInput, plan: _Plan) -> str:
    if plan.k_by_point is None:
        return f"every site within {plan.limit:g} min considered"
    if plan.proven_full:
        return (f"the {inp.k_nearest_sites} nearest sites per point considered (more where pricing asked); "
            "the sites left out cannot lower the cost")  # fmt: skip
    bound = "unknown" if plan.full_bound is None else f"{plan.outcome.objective - plan.full_bound:,.0f} EUR"
    return (f"optimal within the {inp.k_nearest_sites} nearest sites per point; the sites left out could lower "
            f"the cost by at most {bound} a year (LP bound)")  # fmt: skip


def _worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: STATUS_RANK.get(s, 3))


def _front(inp: OptimisationInput, n: int, plan: _Plan, target: float | None) -> pd.DataFrame:
    """The cost–accessibility front: every point serves every visit its limit allows."""
    cost_plan = plan if inp.objective == "cost" else solve_plan(inp)
    d0, _ = R.travel_stats(cost_plan.model, inp)
    dmin = target if target is not None else d0

    def point(eps: float, p: _Plan) -> FrontPoint:
        longest, mean = R.travel_stats(p.model, inp)
        cov = R.coverage(p.model, inp, p.limit, p.coverage_first)
        opened = " ".join(sorted(s.id for s in inp.sites if pyo.value(p.model.y[s.id]) > 0.5))
        return FrontPoint(eps, float(pyo.value(p.model.total_cost)), longest, mean,
                          cov["visits_served"], cov["visits_uncovered"], cov["why"], opened)  # fmt: skip

    def at(eps: float) -> FrontPoint:
        return point(eps, solve_plan(inp, travel_limit=eps, coverage_first=True))

    return trace_front(n, d0, min(dmin, d0), at)


def _summary(inp: OptimisationInput, plan: _Plan, stage1: SolveOutcome | None, extra_build: float,
             target: float | None, marginals: bool) -> dict[str, Any]:  # fmt: skip
    m, out = plan.model, plan.outcome
    status = _worst(plan.status, stage1.status if stage1 is not None else "optimal")
    unserved, uncovered = R.shortfalls(m, inp)
    longest, mean = R.travel_stats(m, inp)
    shares = served_shares(m, inp)
    cost = float(pyo.value(m.total_cost))
    items = R.cost_items(m)
    return {
        "scenario": inp.name,
        "objective_name": inp.objective,
        "status": status,
        "proven_optimal": status == "optimal",
        # the MIP's objective before the tie-break: the cost plus the split goal's weight on the MIP's
        # own deviation (bound and gap refer to it); the tie-break holds total_cost_eur, not this
        "objective": out.objective,
        "bound": out.bound,
        "gap": out.gap,
        "build_seconds": plan.build_seconds + extra_build,
        "solve_seconds": plan.solve_seconds + (stage1.seconds if stage1 is not None else 0.0),
        "time_limit_seconds": inp.time_limit_seconds,
        "mip_gap": inp.mip_gap,
        "unserved": unserved,
        "unserved_hours_total": sum(v for d in unserved.values() for v in d.values()),
        "shortfall_rule": SHORTFALL_RULE,
        "served_share": R.nested(shares),
        "uncovered_visits": uncovered,
        "coverage": R.coverage(m, inp, plan.limit, plan.coverage_first),
        "shadow_price_htv": plan.shadow,
        "shadow_price_htv_valid_for_extra_htv": {
            a: [finite(lo), finite(hi)] for a, (lo, hi) in plan.shadow_range.items()
        },
        "htv_value": htv_value(inp, plan.non_staff_cost, k_by_point=plan.k_by_point or all_pairs_k(inp, plan.limit),
                               travel_limit=target, coverage_first=plan.coverage_first) if marginals else None,  # fmt: skip
        "htv_allocated": float(sum(x.value or 0.0 for x in m.h.values())),
        "htv_total": inp.total_htv,
        "htv_required": sum(inp.workload_hours.values()) / inp.productive_hours_per_htv,
        "headroom_share": max(0.0, min((x for (_, ln), x in shares.items() if ln not in FIXED_STAFF_LINES),
                                       default=1.0) - 1.0),  # fmt: skip
        "split": R.split_table(m, inp),
        "total_cost_eur": cost,
        "cost_items": items,
        "longest_trip_minutes": longest,
        "mean_trip_minutes": mean,
        "longest_trip_target_minutes": target if inp.objective == "minmax-travel" else None,
        "pairs_in_model": "all within the travel limit" if plan.k_by_point is None else
                          f"the {inp.k_nearest_sites} nearest sites per point",  # fmt: skip
        "full_model_lower_bound_eur": plan.full_bound,
        "optimality_note": _optimality_note(inp, plan),
        "tiebreak_rounds": plan.tiebreak_rounds,
        "sites_open": sorted(j for j in m.y if (m.y[j].value or 0) > 0.5),
    }


def optimize_input(inp: OptimisationInput, *, pareto: int | None = None, marginals: bool = False) -> OptimizeResult:
    """Optimise an :class:`OptimisationInput` (the scenario-free core of :func:`optimize`).

    ``marginals`` re-solves with one HTV more / fewer (in total and by area) for ``htv_value``.
    """
    if pareto is not None and pareto < 2:
        raise InputError("--pareto", "pareto", f"at least 2 points, got {pareto}")
    stage1: SolveOutcome | None = None
    target: float | None = None
    extra_build = 0.0
    if inp.objective == "minmax-travel" or pareto:
        target, stage1, extra_build = _min_longest_trip(inp)
    minmax = inp.objective == "minmax-travel"
    plan = solve_plan(inp, travel_limit=target if minmax else None, coverage_first=minmax)
    front = _front(inp, pareto, plan, target) if pareto else None
    target_used = target if inp.objective == "minmax-travel" else None
    summary = _summary(inp, plan, stage1, extra_build, target_used, marginals)
    summary["longest_trip_target_minutes"] = target_used
    m = plan.model
    return OptimizeResult(
        allocation=R.allocation_table(m, inp),
        sites=R.sites_table(m, inp),
        access=R.access_table(m, inp),
        costs=R.costs_table(m, inp),
        summary=MappingProxyType(summary),
        pareto=front,
    )


def optimize(
    scenario: Scenario,
    *,
    objective: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    pareto: int | None = None,
    extra_hours: Mapping[tuple[str, str], float] | None = None,
    marginals: bool = False,
) -> OptimizeResult:
    """Optimise a scenario's allocation of staff, offices and service points.

    ``objective`` (``cost`` / ``minmax-travel``), ``time_limit`` (s) and ``gap`` override the
    scenario's ``optimisation`` section; ``pareto=N`` also traces the cost–accessibility front;
    ``extra_hours[(area, line)]`` adds required workload hours; ``marginals=False`` skips the
    re-solves that value one whole HTV more / fewer (``summary["htv_value"]`` is then None).
    """
    inp = build_input(scenario, objective=objective, time_limit=time_limit, gap=gap, extra_hours=extra_hours)
    return optimize_input(inp, pareto=pareto, marginals=marginals)


def load_result(run_dir: Path) -> OptimizeResult:
    """Read a finished run folder's optimiser files back (the simulation's ``--allocation``)."""
    run_dir = Path(run_dir)
    frames: dict[str, pd.DataFrame] = {}
    for attr, name in FILES.items():
        f = run_dir / name
        if not f.exists():
            raise InputError(f, "<file>", "an optimiser output file (run `resurssimalli optimize` first)")
        frames[attr] = read_csv(f, "an optimiser output table")
    f = run_dir / "summary.json"
    if not f.exists():
        raise InputError(f, "<file>", "the optimiser's summary.json")
    summary = read_json(f, "the optimiser's summary")
    pareto_f = run_dir / "pareto.csv"
    return OptimizeResult(
        **frames,
        summary=MappingProxyType(summary),
        pareto=read_csv(pareto_f, "the cost-access front table") if pareto_f.exists() else None,
    )
