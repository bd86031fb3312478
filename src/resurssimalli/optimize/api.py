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
from resurssimalli.optimize.conflicts import contradicting_rules
from resurssimalli.optimize.inputs import OptimisationInput, build_input
from resurssimalli.optimize.model import build_model
from resurssimalli.optimize.pareto import FrontPoint, trace_front
from resurssimalli.optimize.shadow import shadow_price_htv
from resurssimalli.optimize.solve import SolveOutcome, solve
from resurssimalli.reading import read_csv, read_json
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario

MAX_WIDENINGS = 6
FILES = {"allocation": "allocation.csv", "sites": "sites.csv", "access": "access.csv", "costs": "costs.csv"}
STATUS_RANK = {"optimal": 0, "time_limit": 1, "iteration_limit": 1, "interrupted": 2}


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
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    widened: dict[str, int] = field(default_factory=dict)


def _contradiction(inp: OptimisationInput, m: pyo.ConcreteModel) -> ContradictoryRules:
    rules = contradicting_rules(m, inp) or [
        "the rules together, though no single rule group is to blame (check sites.csv and the travel times)"
    ]
    return ContradictoryRules(inp.source, rules)


def solve_plan(inp: OptimisationInput, *, travel_limit: float | None = None) -> _Plan:
    """Build and solve the cost model, widening ``k`` for demand points left uncovered.

    A point whose visits use the coverage slack in a proven optimum while more sites within the
    travel limit exist than the ``k`` considered gets ``2k`` and the model is rebuilt (as spopt's
    k-nearest p-median does). The time limit is a budget for all rounds together.
    Contradicting hard rules raise :class:`ContradictoryRules`.
    """
    k_by_point: dict[str, int] = {}
    build = solve_s = 0.0
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    for _ in range(MAX_WIDENINGS + 1):
        t0 = time.perf_counter()
        m = build_model(inp, k_by_point=k_by_point, travel_limit=travel_limit)
        build += time.perf_counter() - t0
        remaining = max(inp.time_limit_seconds - solve_s, 0.1)
        out = solve(m, time_limit=remaining, gap=inp.mip_gap)
        solve_s += out.seconds
        if out.status == "infeasible":
            raise _contradiction(inp, m)
        if not out.has_solution:
            raise ResurssimalliError(
                f"{inp.source}: no plan found ({out.status}) within {inp.time_limit_seconds:g} s; "
                "raise --time-limit"
            )
        if out.status != "optimal":
            break  # slack in an unproven incumbent is no evidence that k is too small
        widen = {}
        for p in inp.points:
            k = k_by_point.get(p.id, inp.k_nearest_sites)
            n_within = sum(1 for q in inp.pairs[p.id] if q.minutes <= limit + 1e-9)
            if (m.v[p.id].value or 0.0) > 1e-6 and n_within > k:
                widen[p.id] = 2 * k
        if not widen:
            break
        k_by_point.update(widen)
    return _Plan(m, out, build, solve_s, k_by_point)


def _min_longest_trip(inp: OptimisationInput) -> tuple[float | None, SolveOutcome, float]:
    """Stage 1 of ``minmax-travel``: the shortest possible longest trip (None if some point is left out)."""
    t0 = time.perf_counter()
    m = build_model(inp, minmax=True)
    build = time.perf_counter() - t0
    m.cost.deactivate()
    m.equity.activate()
    out = solve(m, time_limit=inp.time_limit_seconds, gap=inp.mip_gap)
    if out.status == "infeasible":
        raise _contradiction(inp, m)
    if not out.has_solution:
        raise ResurssimalliError(
            f"{inp.source}: no plan found ({out.status}) within {inp.time_limit_seconds:g} s"
        )
    longest = float(pyo.value(m.longest))
    return (None if longest > inp.max_travel_minutes else longest), out, build


def _worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: STATUS_RANK.get(s, 3))


def optimize_input(inp: OptimisationInput, *, pareto: int | None = None) -> OptimizeResult:
    """Optimise an :class:`OptimisationInput` (the scenario-free core of :func:`optimize`)."""
    if pareto is not None and pareto < 2:
        raise InputError("--pareto", "pareto", f"at least 2 points, got {pareto}")
    stage1: SolveOutcome | None = None
    target: float | None = None
    extra_build = 0.0
    if inp.objective == "minmax-travel" or pareto:
        target, stage1, extra_build = _min_longest_trip(inp)
    plan = solve_plan(inp, travel_limit=target if inp.objective == "minmax-travel" else None)
    m, out = plan.model, plan.outcome
    front = None
    if pareto:
        cost_plan = plan if inp.objective == "cost" else solve_plan(inp)
        d0, mean0 = R.travel_stats(cost_plan.model, inp)
        dmin = target if target is not None else d0

        def at(eps: float) -> FrontPoint:
            if eps >= d0 - 1e-9:
                return FrontPoint(eps, float(cost_plan.outcome.objective), d0, mean0)
            p = solve_plan(inp, travel_limit=eps)
            longest, mean = R.travel_stats(p.model, inp)
            return FrontPoint(eps, float(p.outcome.objective), longest, mean)

        front = trace_front(pareto, d0, min(dmin, d0), at)
    status = _worst(out.status, stage1.status if stage1 is not None else "optimal")
    unserved, uncovered = R.shortfalls(m, inp)
    longest, mean = R.travel_stats(m, inp)
    alloc = R.allocation_table(m, inp)
    summary: dict[str, Any] = {
        "scenario": inp.name,
        "objective_name": inp.objective,
        "status": status,
        "proven_optimal": status == "optimal",
        "objective": out.objective,
        "bound": out.bound,
        "gap": out.gap,
        "build_seconds": plan.build_seconds + extra_build,
        "solve_seconds": plan.solve_seconds + (stage1.seconds if stage1 is not None else 0.0),
        "time_limit_seconds": inp.time_limit_seconds,
        "mip_gap": inp.mip_gap,
        "unserved": unserved,
        "unserved_hours_total": sum(v for d in unserved.values() for v in d.values()),
        "uncovered_visits": uncovered,
        "shadow_price_htv": shadow_price_htv(m),
        "htv_allocated": float(alloc["htv"].sum()),
        "htv_total": inp.total_htv,
        "htv_required": sum(inp.workload_hours.values()) / inp.productive_hours_per_htv,
        "headroom_share": float(m.headroom.value or 0.0),
        "split": R.split_table(m, inp),
        "total_cost_eur": float(pyo.value(m.total_cost)),
        "cost_items": R.cost_items(m),
        "longest_trip_minutes": longest,
        "mean_trip_minutes": mean,
        "longest_trip_target_minutes": target if inp.objective == "minmax-travel" else None,
        "k_nearest_sites": inp.k_nearest_sites,
        "k_widened": plan.widened,
        "sites_open": sorted(j for j in m.y if (m.y[j].value or 0) > 0.5),
    }
    return OptimizeResult(
        allocation=alloc,
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
) -> OptimizeResult:
    """Optimise a scenario's allocation of staff, offices and service points.

    ``objective`` (``cost`` / ``minmax-travel``), ``time_limit`` (s) and ``gap`` override the
    scenario's ``optimisation`` section; ``pareto=N`` also traces the cost–accessibility front;
    ``extra_hours[(area, line)]`` adds required workload hours.
    """
    inp = build_input(scenario, objective=objective, time_limit=time_limit, gap=gap, extra_hours=extra_hours)
    return optimize_input(inp, pareto=pareto)


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
