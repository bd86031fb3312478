"""One office plan for several scenarios: a two-stage model over the scenarios.

First stage: which sites open (shared by every scenario). Second stage, per scenario: HTV by
site and line, which site serves each demand point, unserved hours — the staff adapt to the
scenario. The objective is the weighted mean of the scenarios' total costs (weights from the
scenario files, normalised). Each scenario's block is the ordinary allocation model
(:func:`resurssimalli.optimize.model.add_allocation`), so every rule of the single-scenario
model holds in each scenario.

The price of robustness is reported against the baseline plan: the baseline scenario's cost
under the robust plan minus its cost under its own optimal plan, and the expected cost of
keeping the baseline's sites in every scenario.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from resurssimalli.errors import InputError
from resurssimalli.optimize.inputs import OptimisationInput, build_input
from resurssimalli.optimize.model import add_allocation
from resurssimalli.optimize.results import (
    access_table,
    allocation_table,
    costs_table,
    shortfalls,
    sites_table,
)
from resurssimalli.optimize.solve import SolveOutcome, solve
from resurssimalli.scenario.load import Scenario


@dataclass(frozen=True)
class RobustResult:
    """The shared site plan and each scenario's staff plan."""

    sites: pd.DataFrame  # site, municipality, kind, open (shared)
    allocation: pd.DataFrame  # scenario + the usual allocation columns
    access: pd.DataFrame
    costs: pd.DataFrame
    scenario_costs: pd.DataFrame  # scenario, weight, robust_eur, own_optimum_eur, baseline_sites_eur
    unserved: pd.DataFrame  # scenario, area, service_line, hours
    outcome: SolveOutcome
    build_seconds: float

    def summary(self) -> dict:
        sc = self.scenario_costs
        base = sc.iloc[0]
        w = sc["weight"]
        return {
            "status": self.outcome.status,
            "objective": self.outcome.objective,
            "bound": self.outcome.bound,
            "gap": self.outcome.gap,
            "build_seconds": self.build_seconds,
            "solve_seconds": self.outcome.seconds,
            "open_sites": sorted(self.sites.loc[self.sites["open"], "site"]),
            "expected_cost_robust_eur": float((w * sc["robust_eur"]).sum()),
            "expected_cost_baseline_sites_eur": float((w * sc["baseline_sites_eur"]).sum()),
            "baseline_scenario": str(base["scenario"]),
            "extra_cost_in_baseline_eur": round(float(base["robust_eur"] - base["own_optimum_eur"]), 2),
        }


def _two_stage(inps: Sequence[OptimisationInput], weights: Sequence[float]) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="robust")
    site_ids = [s.id for s in inps[0].sites]
    m.y = pyo.Var(site_ids, within=pyo.Binary)
    m.sc = pyo.Block(range(len(inps)))
    for k, inp in enumerate(inps):
        add_allocation(m.sc[k], inp)
        m.sc[k].link = pyo.Constraint(site_ids, rule=lambda b, j: b.y[j] == m.y[j])
    m.cost = pyo.Objective(
        expr=sum(w * m.sc[k].objective_value for k, w in enumerate(weights)), sense=pyo.minimize
    )
    return m


def _check_same_sites(scenarios: Sequence[Scenario]) -> None:
    first = set(scenarios[0].region.sites)
    for s in scenarios[1:]:
        if set(s.region.sites) != first:
            raise InputError(
                s.path, "sites", "the same candidate sites as the first scenario for one shared plan"
            )


def robust_plan(
    scenarios: Sequence[Scenario], *, time_limit: float | None = None, gap: float | None = None
) -> RobustResult:
    """Solve the two-stage model; the first scenario is the baseline the extra cost is measured against."""
    if len(scenarios) < 2:
        raise InputError("optimize --robust", "SCENARIO", "at least two scenarios")
    _check_same_sites(scenarios)
    inps = [build_input(s) for s in scenarios]
    total_w = sum(s.config.weight for s in scenarios)
    weights = [s.config.weight / total_w for s in scenarios]
    tl = time_limit if time_limit is not None else max(i.time_limit_seconds for i in inps)
    g = gap if gap is not None else min(i.mip_gap for i in inps)

    t0 = time.perf_counter()
    m = _two_stage(inps, weights)
    build_seconds = time.perf_counter() - t0
    outcome = solve(m, time_limit=tl, gap=g)
    if not outcome.has_solution:
        raise InputError(
            "optimize --robust", "scenarios", f"a solvable set of scenarios; HiGHS ended {outcome.status}"
        )
    robust_costs = [float(pyo.value(m.sc[k].total_cost)) for k in range(len(inps))]

    frames: dict[str, list[pd.DataFrame]] = {"allocation": [], "access": [], "costs": []}
    unserved_rows = []
    for k, (s, inp) in enumerate(zip(scenarios, inps, strict=True)):
        blk = m.sc[k]
        for name, fn in (("allocation", allocation_table), ("access", access_table), ("costs", costs_table)):
            frames[name].append(fn(blk, inp).assign(scenario=s.name))
        unserved, _ = shortfalls(blk, inp)
        unserved_rows += [(s.name, a, line, h) for a, lines in unserved.items() for line, h in lines.items()]
    sites = sites_table(m.sc[0], inps[0])[["site", "municipality", "kind", "open"]]

    own = [_single(inp, None, tl, g) for inp in inps]
    base_sites = own[0][1]
    with_base_sites = [_single(inp, base_sites, tl, g)[0] for inp in inps]
    scenario_costs = pd.DataFrame(
        {
            "scenario": [s.name for s in scenarios],
            "weight": weights,
            "robust_eur": robust_costs,
            "own_optimum_eur": [c for c, _ in own],
            "baseline_sites_eur": with_base_sites,
        }
    )

    def cat(name: str) -> pd.DataFrame:
        df = pd.concat(frames[name], ignore_index=True)
        return df[["scenario", *[c for c in df.columns if c != "scenario"]]]

    return RobustResult(
        sites=sites,
        allocation=cat("allocation"),
        access=cat("access"),
        costs=cat("costs"),
        scenario_costs=scenario_costs,
        unserved=pd.DataFrame(unserved_rows, columns=["scenario", "area", "service_line", "hours"]),
        outcome=outcome,
        build_seconds=build_seconds,
    )


def _single(
    inp: OptimisationInput, fixed: dict[str, bool] | None, tl: float, g: float
) -> tuple[float, dict[str, bool]]:
    """A scenario's optimal total cost and open sites, with the sites optionally fixed."""
    m = pyo.ConcreteModel()
    add_allocation(m, inp)
    m.cost = pyo.Objective(expr=m.objective_value)
    if fixed:
        for j, is_open in fixed.items():
            m.y[j].fix(1 if is_open else 0)
    out = solve(m, time_limit=tl, gap=g)
    cost = float(out.objective) if out.objective is not None else float("nan")
    return cost, {j: pyo.value(m.y[j]) > 0.5 for j in m.y}
