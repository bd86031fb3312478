"""One office plan for several scenarios: a two-stage model over the scenarios.

First stage: which sites open (shared by every scenario). Second stage, per scenario: HTV by
site and line, which site serves each demand point, unserved hours — the staff adapt to the
scenario. The objective is the weighted mean of the scenarios' total costs (weights from the
scenario files, normalised). Each scenario's block is the ordinary allocation model
(:func:`resurssimalli.optimize.model.add_allocation`), so every rule of the single-scenario
model holds in each scenario.

Every euro figure is a cost (EUR a year, ``total_cost``), never an objective, and every one is
measured the same way: the scenario's optimiser with the sites fixed (:func:`_cost_with_sites`;
its own optimum leaves the sites free). So the price of robustness — a scenario's cost under
the robust sites less its cost under its own optimal sites — is exactly 0 when the two site
sets are the same, and the expected cost of keeping the baseline's sites compares like for
like with the robust plan's. Costs agree to the cent (the tie-break may move a cost by a
billionth of itself), so the prices are rounded to cents.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from resurssimalli.errors import InputError
from resurssimalli.optimize.api import solve_plan
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
    scenario_costs: pd.DataFrame  # scenario, weight, robust_eur, own_optimum_eur, baseline_sites_eur (costs)
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
            "expected_cost_own_optimum_eur": float((w * sc["own_optimum_eur"]).sum()),
            "price_of_robustness_eur": round(float((w * (sc["robust_eur"] - sc["own_optimum_eur"])).sum()), 2),
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
    inps = [build_input(s, time_limit=time_limit, gap=gap) for s in scenarios]
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
    robust_sites = {j: (m.y[j].value or 0.0) > 0.5 for j in m.y}
    plans = [_plan_with_sites(inp, robust_sites) for inp in inps]  # each scenario's staff at these sites
    frames: dict[str, list[pd.DataFrame]] = {"allocation": [], "access": [], "costs": []}
    unserved_rows = []
    for s, inp, blk in zip(scenarios, inps, plans, strict=True):
        for name, fn in (("allocation", allocation_table), ("access", access_table), ("costs", costs_table)):
            frames[name].append(fn(blk, inp).assign(scenario=s.name))
        unserved, _ = shortfalls(blk, inp)
        unserved_rows += [(s.name, a, line, h) for a, lines in unserved.items() for line, h in lines.items()]
    sites = sites_table(plans[0], inps[0])[["site", "municipality", "kind", "open"]]
    scenario_costs = _scenario_costs(scenarios, inps, weights, [float(pyo.value(b.total_cost)) for b in plans])

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


def _plan_with_sites(inp: OptimisationInput, open_sites: dict[str, bool] | None) -> pyo.ConcreteModel:
    """A scenario's optimal plan — with the sites fixed, or free (None) — solved by the scenario's
    own optimiser (coverage first, cost, tie-break), so every euro figure is measured the same way."""
    if open_sites is not None:
        inp = dataclasses.replace(
            inp,
            force_open=frozenset(j for j, o in open_sites.items() if o),
            force_closed=frozenset(j for j, o in open_sites.items() if not o),
        )
    return solve_plan(inp).model


def _scenario_costs(
    scenarios: Sequence[Scenario], inps: Sequence[OptimisationInput], weights: Sequence[float], robust: list[float]
) -> pd.DataFrame:
    """Costs (EUR a year, never objectives) of each scenario under the robust sites, its own optimum
    and the baseline scenario's optimal sites."""
    own = [_plan_with_sites(inp, None) for inp in inps]
    base_sites = {j: (own[0].y[j].value or 0.0) > 0.5 for j in own[0].y}
    return pd.DataFrame(
        {
            "scenario": [s.name for s in scenarios],
            "weight": weights,
            "robust_eur": robust,
            "own_optimum_eur": [float(pyo.value(m.total_cost)) for m in own],
            "baseline_sites_eur": [float(pyo.value(_plan_with_sites(inp, base_sites).total_cost)) for inp in inps],
        }
    )
