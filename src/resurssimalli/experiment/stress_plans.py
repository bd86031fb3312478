"""The plans the stress loop simulates, each the optimiser's own plan with minimum hours (floors).

**Integrity** (issue 24): a plan never takes hours from the fixed lines — the centralised services
keep ``staff.centralised_htv`` and the employer services the hours the first plan gave them — and
never gives an (area, line) less than its workload; nothing is left unserved. Floors that fit the
budget give a plan **within the budget** (the optimiser spreads the spare as headroom); floors that
do not are tried in a plan **over the budget** whose total is the floors' sum, every pair without
a floor keeping the first plan's hours (a probe or the proof, never the returned plan). Every plan
is checked against these rules; a breach is a bug and raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from resurssimalli import tolerances
from resurssimalli.optimize import OptimizeResult, optimize, workload
from resurssimalli.scenario.load import Scenario

Pair = tuple[str, str]
FIXED_LINES = ("centralised", "employer_services")
HOURS_ROOM = 0.01  # hours a year: a plan's hours against a floor (the solver's room, ~1e-5 HTV)
OVER_ROOM_HTV = 1e-3  # HTV: a plan over the budget gets this above its floors (the tie-break needs room)


@dataclass(frozen=True)
class Plan:
    """A plan the loop built: the optimiser's result, its hours per (area, line), the floors it
    was asked for and whether it is within the budget."""

    result: OptimizeResult
    hours: pd.Series
    floors: Mapping[Pair, float]
    within_budget: bool

    @property
    def htv(self) -> float:
        return float(self.result.allocation["htv"].sum())


def plan_hours(plan: OptimizeResult, productive_hours: float) -> pd.Series:
    """The plan's staff hours a year per (area, line)."""
    return plan.allocation.groupby(["area", "service_line"])["htv"].sum() * productive_hours


def over_budget(scenario: Scenario, total_htv: float, first: OptimizeResult) -> Scenario:
    """The scenario with another staff budget, the first plan's sites (open and closed alike) and
    desks for all the staff at its open offices (a plan over the budget — a probe or the proof —
    asks what the hours do, not where the desks are; the rest of the plan stays the first's)."""
    cfg = staffed(scenario, total_htv).config
    sites = first.sites
    open_ = sorted(sites.loc[sites["open"].astype(bool), "site"])
    offices = sorted(sites.loc[sites["open"].astype(bool) & (sites["kind"] == "office"), "site"])
    desks = {**dict(cfg.sites.workstations), **{j: int(total_htv) + 1 for j in offices}}
    closed = sorted(set(sites["site"]) - set(open_))
    rules = cfg.sites.model_copy(update={"workstations": desks, "force_open": open_, "force_closed": closed})
    return dataclasses.replace(scenario, config=cfg.model_copy(update={"sites": rules}))


def staffed(scenario: Scenario, htv: float) -> Scenario:
    """The scenario to simulate a plan of ``htv`` in: a plan over the budget is simulated with its
    own staff (a lower ``staff.total_htv`` would leave the difference vacant)."""
    if htv <= scenario.config.staff.total_htv:
        return scenario
    staff = scenario.config.staff.model_copy(update={"total_htv": htv})
    return dataclasses.replace(scenario, config=scenario.config.model_copy(update={"staff": staff}))


class Planner:
    """Plans of the base scenario with floors, checked for integrity."""

    def __init__(self, base: Scenario) -> None:
        self.base = base
        self.P = base.config.staff.productive_hours_per_htv
        self.budget = base.config.staff.total_htv * self.P  # hours a year
        self.need = workload(base).set_index(["area", "service_line"])["hours"]
        # the budget's own plan; when the budget cannot even give every workload, it leaves hours
        # unserved (the same share short everywhere) and every plan with floors is a probe
        self.first = self._plan({}, within=True, check=False)
        self.short = self.first.result.summary["unserved_hours_total"] > HOURS_ROOM
        if not self.short:
            self.check(self.first)

    def fixed(self) -> dict[Pair, float]:
        """The fixed lines' floors: the first plan's hours (centralised: its fixed HTV)."""
        h, need = self.first.hours, self.need
        fixed = {p: max(float(v), float(need.get(p, 0.0))) for p, v in h.items() if p[1] in FIXED_LINES}
        return {p: v for p, v in fixed.items() if v > 0}

    def unit_floors(
        self, unit_hours: Mapping[str, float], pairs: Mapping[str, tuple[Pair, ...]]
    ) -> dict[Pair, float]:
        """Per (area, line): the largest floor any unit asks, a unit's hours split over its pairs in
        the proportions of the first plan (equally where it gave them nothing)."""
        out: dict[Pair, float] = {}
        first = self.first.hours
        for key, hours in unit_hours.items():
            ps = pairs[key]
            base = [float(first.get(p, 0.0)) for p in ps]
            total = sum(base)
            for p, b in zip(ps, base, strict=True):
                share = b / total if total > 0 else 1.0 / len(ps)
                out[p] = max(out.get(p, 0.0), hours * share)
        return out

    def minimum_hours(self, floors: Mapping[Pair, float]) -> float:
        """The least total hours a plan with ``floors`` (and the fixed lines, and every workload) needs."""
        f = {**floors, **self.fixed()}
        return float(sum(max(float(f.get(p, 0.0)), float(w)) for p, w in self.need.items()))

    def plan(self, floors: Mapping[Pair, float]) -> Plan:
        """The optimiser's plan with ``floors``: within the budget where they fit (the spare
        spread as headroom), else the probe plan of the same floors (:meth:`probe`)."""
        f = {**floors, **self.fixed()}
        if self.minimum_hours(f) <= self.budget + HOURS_ROOM:
            plan = self._plan(f, within=True, check=False)
            if plan.result.summary["unserved_hours_total"] <= HOURS_ROOM:
                self.check(plan)
                return plan  # else the floors fit the budget but not the sites' workstations
        return self.probe(floors)

    def probe(self, floors: Mapping[Pair, float]) -> Plan:
        """A plan with exactly ``floors`` (at least each workload) and every other pair at the
        first plan's hours: its total is their sum, over or under the budget (never returned)."""
        f = {**floors, **self.fixed()}
        need = self.need
        rest = {p: max(float(h), float(need.get(p, 0.0))) for p, h in self.first.hours.items() if p not in f}
        return self._plan({**rest, **f}, within=False)

    def _plan(self, floors: Mapping[Pair, float], within: bool, check: bool = True) -> Plan:
        extra = {p: h - float(self.need.get(p, 0.0)) for p, h in floors.items()}
        extra = {p: h for p, h in extra.items() if h > HOURS_ROOM}
        scenario = self.base
        if not within:
            total = sum(max(float(floors.get(p, 0.0)), float(w)) for p, w in self.need.items())
            scenario = over_budget(self.base, total / self.P + OVER_ROOM_HTV, self.first.result)
        result = optimize(scenario, extra_hours=extra or None)
        plan = Plan(result, plan_hours(result, self.P), dict(floors), within)
        if check:
            self.check(plan)
        return plan

    def check(self, plan: Plan) -> None:
        """Integrity: nothing unserved, the centralised services at their fixed hours, every pair
        at least its workload and its floor, a plan within the budget within it."""
        s = self.base.config.staff
        bad = []
        if plan.result.summary["unserved_hours_total"] > HOURS_ROOM:
            bad.append(f"{plan.result.summary['unserved_hours_total']:.2f} hours unserved")
        for p, w in self.need.items():
            floor = max(float(plan.floors.get(p, 0.0)), float(w))
            got = float(plan.hours.get(p, 0.0))
            if p[1] == "centralised" and abs(got - w) > HOURS_ROOM:
                bad.append(f"{p}: {got:.2f} h, not the fixed {w:.2f} h")
            elif got < floor - HOURS_ROOM:
                bad.append(f"{p}: {got:.2f} h below {floor:.2f} h")
        if plan.within_budget and plan.htv > s.total_htv + tolerances.HTV:
            bad.append(f"{plan.htv:.4f} HTV over the budget {s.total_htv}")
        if bad:
            raise RuntimeError("stress loop: a plan breaks its integrity rules: " + "; ".join(bad))
