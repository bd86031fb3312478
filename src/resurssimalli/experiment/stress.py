"""The stress loop: the least each failing queue needs, and a plan that holds (issue 24).

1. **The first plan** is the optimiser's plan of the first scenario (normally the baseline),
   simulated in every scenario. Every target is judged month by month
   (:mod:`.stress_targets`); every **unit** — an interview queue, an area (a whole-area target
   of a KPI the areas pool), or the (area, line) pairs of another group — is judged on its own
   mean (:mod:`.stress_units`).
2. **Bisection on the same seeds.** A unit that misses first tries twice the hours it missed with;
   then the middle of its **bracket** (the most hours it missed with, the fewest it held with),
   until the bracket is no wider than ``tolerance_htv``. All units move in one plan a round, and
   every plan is an observation of every unit, so a unit drained by another's rise (the spare
   moves within the budget) is found and bracketed too; floors fall as well as rise.
3. **Causes kept apart.** A unit still missing with twice the hours is not short of staff: it gets
   a cause (:mod:`.stress_causes`) and no hours.
4. **Integrity.** Every plan is the optimiser's, with the fixed lines untouched and every pair at
   least its workload (:mod:`.stress_plans`); floors that do not fit the budget are tried in a plan
   over it (a probe), never returned.
5. **The answer.** When every bracket is an ask and the plan at the upper ends holds: ``met``
   (within the budget; its verdict met), ``causes_remain`` (misses left only where hours do not
   help), ``at_risk`` (every unit holds on its mean, some interval still reaches past the target),
   ``budget_insufficient`` (over the budget: the lower ends alone need more than the budget,
   proven by the minimum-hours model, and the plan at the upper ends, simulated, holds every unit),
   ``undecided`` (the budget lies inside the brackets even once they are narrowed: a budget inside
   them halves the tolerance and bisects on, down to a quarter of the stated one), ``coupled``
   (every bracket settled on the confirming replications, but the plan within the budget at the
   upper ends misses where the plans that tried each ask held: the loop would go round in a
   cycle, the queues share the budget's spare), or ``max_rounds``. The plan returned is the last
   plan simulated within the budget, with its own verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.executors import Kind
from resurssimalli.experiment.certificate import Certificate, minimum_hours_certificate
from resurssimalli.experiment.stress_causes import (
    cause_of,
    fixed_by_leave_plan,
    summer_units,
    with_leave_plan,
)
from resurssimalli.experiment.stress_plans import HOURS_ROOM, Plan, Planner, staffed
from resurssimalli.experiment.stress_rows import (
    bracket_rows,
    cause_rows,
    iteration_rows,
    observation_rows,
)
from resurssimalli.experiment.stress_targets import (
    MONTH_COLUMNS,
    judge,
    meets,
    month_verdicts,
    parse_target,
    summer_leave_months,
)
from resurssimalli.experiment.stress_units import Units
from resurssimalli.experiment.sweep import Task, run_grid
from resurssimalli.optimize import OptimizeResult
from resurssimalli.optimize.leave import LeavePlan
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import Target
from resurssimalli.simulate.allocation import Allocation

DEFAULT_TOLERANCE_HTV = 0.1  # a bracket's width (HTV) at which the bisection stops; an assumption
# the replications every ask is settled on (issue 24: a plan that holds, simulated with 20); a loop
# started on fewer finds its brackets again on these (stress_units.Unit.confirm). An assumption.
CONFIRM_REPLICATIONS = 20
# a budget inside the brackets halves the tolerance until it is not, down to the stated tolerance
# over this factor (issue 24: "met" or "insufficient" with proof); an assumption of the loop
REFINEMENT_FACTOR = 4
STATUSES = ("met", "causes_remain", "at_risk", "budget_insufficient", "undecided", "coupled", "max_rounds")


@dataclass(frozen=True)
class Round:
    """One plan simulated: its number, the units' hours it was asked for, the plan and its verdict."""

    number: int
    asked: dict[str, float]
    plan: Plan
    allocation: Allocation
    kpis: pd.DataFrame
    judged: pd.DataFrame
    months: pd.DataFrame
    replications: int = 0
    roster: LeavePlan | None = None  # the leave plan the scenarios played (None: their own roster)

    @property
    def met(self) -> bool:
        return bool(self.judged["meets"].all())


@dataclass(frozen=True)
class Proof:
    """Why the budget cannot: the lower ends need more hours than it has (the minimum-hours model
    at the lower ends proven infeasible), and the plan at the upper ends, simulated, holds."""

    lower_hours: float  # the lower ends + every other pair's workload + the fixed lines
    upper_hours: float  # the plan at the upper ends
    budget_hours: float
    productive_hours_per_htv: float
    upper_round: int  # the round that simulated the plan at the upper ends
    upper_plan: OptimizeResult
    certificate: Certificate
    upper_minimum_hours: float | None = None  # the upper ends + every other pair's workload + the fixed lines

    def holds(self) -> bool:
        return self.lower_hours > self.budget_hours + HOURS_ROOM and self.certificate.holds()


@dataclass(frozen=True)
class StressResult:
    status: str  # one of STATUSES
    plan: OptimizeResult  # the plan returned: the last simulated within the budget
    verdicts: pd.DataFrame  # that plan's targets judged (its verdict)
    months: pd.DataFrame  # MONTH_COLUMNS + iteration: that plan's months
    kpis: pd.DataFrame  # that plan's KPIs
    brackets: pd.DataFrame  # per unit × (area, line): the bracket in hours and HTV, what it fixes
    causes: pd.DataFrame  # the misses that got no hours, with their cause
    rounds: pd.DataFrame  # every unit in every plan: hours, held or not
    iterations: pd.DataFrame  # every plan's targets judged
    added_hours: dict[tuple[str, str], float]  # the asks' upper ends above the first plan
    first_plan: OptimizeResult
    tolerance_htv: float  # the brackets' width: the stated tolerance, or the narrower one it took
    replications: int
    plan_round: int = 0
    stated_tolerance_htv: float | None = None  # the tolerance asked for (when narrowed)
    proof: Proof | None = None
    roster: LeavePlan | None = None  # the leave plan the returned plan's scenarios played, if any
    floors: dict[tuple[str, str], float] = field(default_factory=dict)  # the returned plan's floors
    round_floors: dict[int, dict[tuple[str, str], float]] = field(default_factory=dict)  # every plan's

    @property
    def certificate(self) -> Certificate | None:
        return self.proof.certificate if self.proof is not None else None

    def write(self, rf: Any, scenarios: Sequence[Scenario], replications: int) -> None:
        """The loop's run folder: the returned plan and its KPIs, brackets, causes, every round."""
        from resurssimalli.experiment.compare import paired_comparison
        from resurssimalli.simulate.stats import summarise_periods

        self.plan.write(rf)
        rf.write_parquet("kpis.parquet", self.kpis)
        rf.write_csv("summary.csv", summarise_periods(self.kpis))
        if len(scenarios) > 1:
            rf.write_csv("comparison.csv", paired_comparison(self.kpis, scenarios[0].name))
        for name, df in (
            ("stress_iterations.csv", self.iterations),
            ("stress_brackets.csv", self.brackets),
            ("stress_causes.csv", self.causes),
            ("stress_rounds.csv", self.rounds),
            ("stress_months.csv", self.months),
        ):
            rf.write_csv(name, df)
        if self.proof is not None:
            rf.write_csv("stress_certificate.csv", self.proof.certificate.rows)
        if self.roster is not None:
            from resurssimalli.pipeline import write_roster

            write_roster(rf, self.roster)
        rf.extra["stress"] = self.manifest(scenarios, replications)

    def manifest(self, scenarios: Sequence[Scenario], replications: int) -> dict[str, Any]:
        s = scenarios[0].config.staff
        P = s.productive_hours_per_htv
        out: dict[str, Any] = {
            "status": self.status,
            "scenarios": [x.name for x in scenarios],
            "replications_start": replications,
            "replications": self.replications,  # those the asks were settled on
            "rounds": int(self.iterations["iteration"].max()),
            "plan_round": self.plan_round,
            "tolerance_htv": self.tolerance_htv,
            "tolerance_htv_stated": self.stated_tolerance_htv or self.tolerance_htv,
            "budget_htv": s.total_htv,
            "plan_htv": float(self.plan.allocation["htv"].sum()),
            "plan_cost_eur": float(self.plan.summary["total_cost_eur"]),
            "first_plan_cost_eur": float(self.first_plan.summary["total_cost_eur"]),
            "asked_htv": sum(self.added_hours.values()) / P,
            "leave_plan": self.roster is not None,  # the scenarios played the leave optimiser's plan
        }
        if self.roster is not None:
            out |= {
                "substitute_hours": self.roster.substitute_hours,
                "substitute_cost_eur": self.roster.substitute_cost_eur,
            }
        if self.proof is not None:
            p = self.proof
            out |= {
                "lower_htv": p.lower_hours / P,
                "upper_htv": p.upper_hours / P,
                "upper_minimum_htv": (p.upper_minimum_hours or p.upper_hours) / P,
                "upper_round": p.upper_round,
                "upper_plan_cost_eur": float(p.upper_plan.summary["total_cost_eur"]),
            }
        return out


class _Simulator:
    """Simulates a plan in every scenario on the same seeds and replications, and judges it."""

    def __init__(self, scenarios, targets, replications, seed, months, kind, jobs, scheduler, progress):
        self.scenarios, self.targets = list(scenarios), targets
        self.replications, self.seed, self.n_months = replications, seed, months
        self.kind, self.jobs, self.scheduler, self.progress = kind, jobs, scheduler, progress
        self.rounds: list[Round] = []
        self._reruns: dict[tuple, pd.DataFrame] = {}
        self.roster: LeavePlan | None = None

    def kpis(self, alloc: Allocation, scenarios: Sequence[Scenario]) -> pd.DataFrame:
        """The plan simulated in ``scenarios``. Scenarios that play a leave plan (``summer_leave:
        planned``) play one plan for this allocation: the leave optimiser's for the first scenario
        (leave is planned in spring for the expected year; the other scenarios test it)."""
        htv = float(alloc.allocation["htv"].sum())
        staffed_ = [staffed(s, htv) for s in scenarios]
        if any(s.config.staff.absence.summer_leave == "planned" for s in staffed_):
            alloc = self.with_roster(alloc, staffed_[0])
        reps = range(self.replications)
        tasks = [Task(s, alloc, r, self.seed, self.n_months) for s in staffed_ for r in reps]
        return run_grid(
            tasks, kind=self.kind, jobs=self.jobs, scheduler=self.scheduler, progress=self.progress
        )

    def with_roster(self, alloc: Allocation, scenario: Scenario) -> Allocation:
        """``alloc`` with the leave optimiser's plan for it (planned in ``scenario``; kept as
        :attr:`roster`, the last one made)."""
        from resurssimalli.optimize.leave import leave_rows
        from resurssimalli.pipeline import plan_roster

        if alloc.leave is not None:
            return alloc
        self.roster = plan_roster(with_leave_plan(scenario), alloc)
        return alloc.with_leave(leave_rows(self.roster))

    def rerun(self, number: int, scenarios: Sequence[Scenario]) -> pd.DataFrame:
        """Round ``number``'s plan again, in other scenarios (a cause's test; once per round,
        scenarios and replications)."""
        key = (number, self.replications, tuple(s.config.model_dump_json() for s in scenarios))
        if key not in self._reruns:
            self._reruns[key] = self.kpis(self.rounds[number].allocation, scenarios)
        return self._reruns[key]

    def simulate(self, number: int, plan: Plan, asked: dict[str, float]) -> Round:
        alloc = Allocation.from_result(plan.result, source=f"stress round {number}")
        self.roster = None
        kpis = self.kpis(alloc, self.scenarios)
        judged = judge(kpis, self.scenarios, self.targets)
        months = month_verdicts(kpis, judged, self.scenarios).assign(iteration=number)
        r = Round(number, dict(asked), plan, alloc, kpis, judged, months, self.replications, self.roster)
        self.rounds.append(r)
        return r


def _check_inputs(
    scenarios: Sequence[Scenario], targets: Sequence[Target] | None, tolerance_htv: float
) -> None:
    if not scenarios:
        raise InputError("stress", "SCENARIO", "at least one scenario")
    if targets is None and not any(s.config.targets for s in scenarios):
        raise InputError(scenarios[0].path, "targets", "targets in the scenario files or --target")
    if not tolerance_htv > 0:
        raise InputError("--tolerance-htv", "tolerance_htv", f"a positive HTV, got {tolerance_htv!r}")


def _settle_causes(units: Units, sim: _Simulator) -> None:
    """Units that missed with twice their hours get their cause (and no hours from now on)."""
    for u in units.staffing():
        if u.bracket()[1] is None and u.doubled_and_missed():
            u.cause = cause_of(u, sim.scenarios, sim.rerun)


def _adopt_leave_plan(units: Units, sim: _Simulator) -> bool:
    """Before any hours are asked (issue 25): when the first plan misses only in summer-leave
    months somewhere, and the same plan simulated with the leave optimiser's plan holds those
    units, every scenario plays the leave plan from now on (the units are judged afresh)."""
    if all(s.config.staff.absence.summer_leave == "planned" for s in sim.scenarios):
        return False
    summer = summer_units(units.staffing(), sim.scenarios)
    if not summer:
        return False
    planned = [with_leave_plan(s) for s in sim.scenarios]
    fixed = fixed_by_leave_plan(summer, sim.rerun(0, planned))
    if not fixed:
        return False
    for u in fixed:
        u.leave_fixed = True
    sim.scenarios = planned
    units.restart(planned)
    return True


def _settled(last: Round, units: Units) -> bool:
    """The last plan was the one at every unit's upper end and every unit held in it."""
    holding = all(u.obs and u.obs[-1].holds for u in units.staffing())
    return holding and last.asked == units.upper_ends()


def _confirming(sim: _Simulator, units: Units, confirm: int) -> bool:
    """Settled on fewer replications than ``confirm``: go on with ``confirm`` (the same seeds and
    more), every unit from the bracket found so far."""
    if sim.replications >= confirm:
        return False
    sim.replications = confirm
    units.confirm()
    return True


def stress(
    scenarios: Sequence[Scenario],
    targets: Sequence[Target] | None = None,
    *,
    replications: int = 10,
    tolerance_htv: float = DEFAULT_TOLERANCE_HTV,
    seed: int | None = None,
    months: int | None = None,
    kind: Kind = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    max_rounds: int = 40,
    confirm_replications: int = CONFIRM_REPLICATIONS,
    progress: ProgressFn | None = None,
) -> StressResult:
    """Run the loop (module docstring); the plan is optimised on the first scenario. Every plan is
    simulated with ``replications`` replications from ``seed`` (the first scenario's unset), so
    every bisection step compares the same customers; once settled, the brackets are found again
    on ``confirm_replications`` when that is more (the same seeds and more). ``progress`` hears
    ``"stress"`` and ``"simulate"``."""
    _check_inputs(scenarios, targets, tolerance_htv)
    base = scenarios[0]
    seed = base.seed if seed is None else seed
    sim = _Simulator(scenarios, targets, replications, seed, months, kind, jobs, scheduler, progress)
    planner = Planner(base)
    tol = tolerance_htv * planner.P
    units = Units(scenarios, targets, planner.need)
    # the first plan, and whether the leave plan holds its summer, judged on the confirming
    # replications: the same decision whatever the bisection starts from
    sim.replications = max(replications, confirm_replications)
    units.observe(0, sim.simulate(0, planner.first, {}).kpis, planner.first.hours, sim.replications)
    start = 1
    if _adopt_leave_plan(units, sim):  # the first plan again, with the leave plan
        units.observe(1, sim.simulate(1, planner.first, {}).kpis, planner.first.hours, sim.replications)
        start = 2
    sim.replications = replications
    finest = tol / REFINEMENT_FACTOR
    while True:
        settled, coupled, start = _bisect(
            units, sim, planner, tol, start, max_rounds, confirm_replications, progress
        )  # fmt: skip
        if not (settled and _inside(sim.rounds[-1], units, planner)) or tol / 2 < finest - 1e-9:
            break
        tol /= 2  # the budget lies inside the brackets: narrow them until it does not
    tick(progress, "stress", max_rounds, max_rounds, "done")
    return _result(settled, sim, units, planner, (tol / planner.P, tolerance_htv), coupled)


def _inside(last: Round, units: Units, planner: Planner) -> bool:
    """Settled over the budget with the lower ends' minimum hours within it: the budget lies inside
    the brackets (narrower brackets decide between "met" and "budget insufficient")."""
    if last.plan.within_budget:
        return False
    return planner.minimum_hours(_floors(units, planner, units.lower_ends())) <= planner.budget + HOURS_ROOM


def _floors(units: Units, planner: Planner, hours: dict[str, float]) -> dict[tuple[str, str], float]:
    """Per (area, line) the floor a plan gives when each unit in ``hours`` gets its hours."""
    return planner.unit_floors(hours, {k: units.units[k].pairs for k in hours})


def _bisect(
    units: Units, sim: _Simulator, planner: Planner, tol: float, n: int, max_rounds: int, confirm: int,
    progress: ProgressFn | None,
) -> tuple[bool, bool, int]:  # fmt: skip
    """Rounds ``n``... until every bracket is an ask and the plan at the upper ends holds
    (settled), or a plan would be simulated again with nothing new to learn (a cycle: the queues
    are coupled through the plan), or the rounds run out. Settled or cycling on fewer than
    ``confirm`` replications, the loop goes on with ``confirm``. Returns (settled, coupled, the
    next round's number)."""
    seen: set[tuple] = set()
    while n <= max_rounds:
        tick(progress, "stress", n - 1, max_rounds, f"round {n}")
        _settle_causes(units, sim)
        candidates = _uncovered(units.candidates(tol), units, planner)
        if not candidates and _settled(sim.rounds[-1], units):
            if not _confirming(sim, units, confirm):
                return True, False, n
            candidates = _uncovered(units.candidates(tol), units, planner)
        asked = {**units.upper_ends(), **candidates}
        state = (sim.replications, bool(candidates), tuple(sorted(asked.items())))
        if state in seen:  # this plan was simulated on these replications: nothing new to learn
            if not _confirming(sim, units, confirm):
                return False, True, n
            continue
        seen.add(state)
        floors = _floors(units, planner, asked)
        plan = planner.probe(floors) if candidates else planner.plan(floors)
        units.observe(n, sim.simulate(n, plan, asked).kpis, plan.hours, sim.replications)
        units.checked(asked, tol)
        n += 1
    _settle_causes(units, sim)
    return _settled(sim.rounds[-1], units) and not units.candidates(tol), False, n


def _uncovered(candidates: dict[str, float], units: Units, planner: Planner) -> dict[str, float]:
    """The candidates a plan can try: a unit whose pairs the settled units' upper ends (those not
    trying hours themselves) already give at least the hours it would try (a queue inside a
    whole-area ask) cannot be simulated there, and needs no ask of its own — the plan at the upper
    ends gives it more. Two units trying hours on the same pairs (an area's queue and its
    conversations) are both tried: the plan gives the pairs the larger."""
    upper = {k: h for k, h in units.upper_ends().items() if k not in candidates}
    out = {}
    for key, hours in candidates.items():
        floors = _floors(units, planner, upper)
        given = sum(floors.get(p, 0.0) for p in units.units[key].pairs)
        if given < hours - 1.0:
            out[key] = hours
    return out


def _status(settled: bool, last: Round, units: Units, proof: Proof | None, coupled: bool = False) -> str:
    if coupled:
        return "coupled"
    if not settled:
        return "max_rounds"
    if not last.plan.within_budget:
        return "budget_insufficient" if proof is not None and proof.holds() else "undecided"
    if last.met:
        return "met"
    return "causes_remain" if units.caused() else "at_risk"


def _proof(last: Round, units: Units, planner: Planner) -> Proof:
    """The lower ends' minimum hours (with the minimum-hours model's verdict on them) against the
    budget, beside the plan at the upper ends."""
    lower = _floors(units, planner, units.lower_ends())
    upper = planner.minimum_hours(_floors(units, planner, units.upper_ends()))
    need = planner.need
    extra = {p: h - float(need.get(p, 0.0)) for p, h in {**lower, **planner.fixed()}.items()}
    cert = minimum_hours_certificate(planner.base, {p: h for p, h in extra.items() if h > HOURS_ROOM})
    return Proof(
        planner.minimum_hours(lower),
        float(last.plan.hours.sum()),
        planner.budget,
        planner.P,
        last.number,
        last.plan.result,
        cert,
        upper,
    )


def _result(
    settled: bool, sim: _Simulator, units: Units, planner: Planner, tolerances: tuple[float, float],
    coupled: bool,
) -> StressResult:  # fmt: skip
    """``tolerances``: the brackets' tolerance (HTV) and the one stated."""
    tolerance_htv, stated = tolerances
    last = sim.rounds[-1]
    proof = _proof(last, units, planner) if settled and not last.plan.within_budget else None
    status = _status(settled, last, units, proof, coupled)
    kept = next(r for r in reversed(sim.rounds) if r.plan.within_budget)
    upper = _floors(units, planner, units.upper_ends())
    first = planner.first.hours
    added = {p: h - float(first.get(p, 0.0)) for p, h in sorted(upper.items())}
    return StressResult(
        status=status,
        plan=kept.plan.result,
        verdicts=kept.judged,
        months=kept.months[[*MONTH_COLUMNS, "iteration"]],
        kpis=kept.kpis,
        brackets=bracket_rows(units, planner, tolerance_htv),
        causes=cause_rows(units, planner),
        rounds=observation_rows(units, sim.rounds, planner.P),
        iterations=iteration_rows(sim.rounds),
        added_hours={p: h for p, h in added.items() if h > HOURS_ROOM},
        first_plan=planner.first.result,
        tolerance_htv=tolerance_htv,
        stated_tolerance_htv=stated,
        replications=sim.replications,
        plan_round=kept.number,
        proof=proof,
        roster=kept.roster,
        floors=dict(kept.plan.floors),
        round_floors={r.number: dict(r.plan.floors) for r in sim.rounds},
    )


__all__ = ["StressResult", "meets", "parse_target", "stress", "summer_leave_months", "STATUSES"]
