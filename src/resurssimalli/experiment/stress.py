"""The closed loop: optimise → simulate every scenario → add capacity where a KPI misses → repeat.

A target is met when its confidence bound is on the right side: the lower bound for ``>=``
targets, the upper bound for ``<=`` targets. A missed target becomes extra required workload
hours for the areas and service lines the KPI points to:

* KPIs reported by municipality (initial interviews, stock, travel) point to the failing
  municipalities' areas and all their customer lines;
* KPIs reported by service line (overdue conversations, utilisation, caseload) point to the
  failing lines in every area;
* when no group fails on its own, all areas and customer lines share the addition.

The addition is ``step × relative shortfall × current hours`` of each (area, line), at least
``min_hours``. The loop ends when every scenario meets every target, when the staff budget
cannot absorb the extra hours (the optimiser leaves them unserved: the failing scenario, area,
line and hours are named), or after ``max_iterations``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.executors import Kind
from resurssimalli.experiment.sweep import grid, run_grid
from resurssimalli.optimize import OptimizeResult, optimize, workload
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, KPI_NAMES, Target
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.stats import summarise

TARGET_RE = re.compile(
    r"^\s*(?P<kpi>[a-z_0-9]+)(?:\[(?P<group>[^\]]+)\])?\s*(?P<op>>=|<=)\s*(?P<value>[-+0-9.eE]+)\s*$"
)
ITERATION_COLUMNS = [
    "iteration",
    "scenario",
    "kpi",
    "group",
    "op",
    "target",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "meets",
    "htv_allocated",
    "extra_hours_total",
    "unserved_hours_total",
    "sites_open",
]


def parse_target(text: str) -> Target:
    """``kpi>=value`` or ``kpi[group]<=value`` → :class:`Target`."""
    m = TARGET_RE.match(text)
    if not m:
        raise InputError(
            "--target", text, "KPI>=VALUE or KPI[GROUP]<=VALUE, e.g. initial_interview_on_time_share>=0.95"
        )
    if m["kpi"] not in KPI_NAMES:
        raise InputError("--target", text, f"a KPI among {list(KPI_NAMES)}")
    return Target(kpi=m["kpi"], op=m["op"], value=float(m["value"]), group=m["group"] or "all")


def meets(op: str, value: float, low: float, high: float, mean: float) -> bool:
    """Judged on the confidence bound (the mean when there is no interval)."""
    if op == ">=":
        return (low if low == low else mean) >= value
    return (high if high == high else mean) <= value


@dataclass(frozen=True)
class StressResult:
    status: str  # "met", "budget_insufficient", "max_iterations"
    iterations: pd.DataFrame
    plan: OptimizeResult
    extra_hours: dict[tuple[str, str], float]
    failing: pd.DataFrame  # scenario, kpi, group, area, service_line, hours_short (when the budget cannot)
    kpis: pd.DataFrame


def _judge(
    summary: pd.DataFrame, scenarios: Sequence[Scenario], targets: Sequence[Target] | None
) -> pd.DataFrame:
    rows = []
    idx = summary.set_index(["scenario", "kpi", "group"])
    for s in scenarios:
        for t in targets if targets is not None else s.config.targets:
            key = (s.name, t.kpi, t.group)
            if key not in idx.index:
                raise InputError(
                    s.path, "targets", f"a KPI/group the simulation reports; {t.kpi}[{t.group}] missing"
                )
            r = idx.loc[key]
            rows.append(
                (
                    s.name,
                    t.kpi,
                    t.group,
                    t.op,
                    t.value,
                    r["mean"],
                    r["ci_low"],
                    r["ci_high"],
                    int(r["n"]),
                    meets(t.op, t.value, r["ci_low"], r["ci_high"], r["mean"]),
                )
            )
    return pd.DataFrame(rows, columns=ITERATION_COLUMNS[1:11])


def _relative_shortfall(op: str, value: float, low: float, high: float, mean: float) -> float:
    bound = (low if low == low else mean) if op == ">=" else (high if high == high else mean)
    scale = abs(value) if value else 1.0
    return max(0.0, (value - bound) / scale if op == ">=" else (bound - value) / scale)


def _targets_of(
    kpi: str, group: str, op: str, value: float, summary: pd.DataFrame, scenario: Scenario
) -> list[tuple[str, str]]:
    """The (area, line) pairs a missed KPI points to."""
    region = scenario.region
    areas = list(region.areas)
    sub = summary[
        (summary["scenario"] == scenario.name) & (summary["kpi"] == kpi) & (summary["group"] != "all")
    ]
    # localise by the group means: a small municipality's interval is too wide to fail on its own
    nan = float("nan")
    failing_groups = (
        [r.group for r in sub.itertuples() if not meets(op, value, nan, nan, r.mean)]
        if group == "all"
        else [group]
    )
    lead_area = region.area_of(region.lead_municipality)

    def lines_of(area: str) -> list[str]:
        # integration-phase services are stationed in the lead municipality's area only
        return [ln for ln in CUSTOMER_LINES if ln != "integration" or area == lead_area]

    pairs: set[tuple[str, str]] = set()
    for g in failing_groups:
        area = g.removeprefix("area:")
        if g in region.municipalities:
            pairs |= {(region.area_of(g), line) for line in lines_of(region.area_of(g))}
        elif area in region.areas:
            pairs |= {(area, line) for line in lines_of(area)}
        elif g == "integration":
            pairs.add((lead_area, g))
        elif g in CUSTOMER_LINES or g == "employer_services":
            pairs |= {(a, g) for a in areas}
    return sorted(pairs) or [(a, line) for a in areas for line in lines_of(a)]


def stress(
    scenarios: Sequence[Scenario],
    targets: Sequence[Target] | None = None,
    *,
    replications: int = 5,
    seed: int | None = None,
    months: int | None = None,
    kind: Kind = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    max_iterations: int = 6,
    step: float = 1.0,
    min_hours: float = 50.0,
) -> StressResult:
    """Run the closed loop; the plan is optimised on the first scenario (normally the baseline)."""
    if not scenarios:
        raise InputError("stress", "SCENARIO", "at least one scenario")
    if targets is None and not any(s.config.targets for s in scenarios):
        raise InputError(scenarios[0].path, "targets", "targets in the scenario files or --target")
    base = scenarios[0]
    seed = base.seed if seed is None else seed
    extra: dict[tuple[str, str], float] = defaultdict(float)
    history: list[pd.DataFrame] = []
    failing = pd.DataFrame(columns=["scenario", "kpi", "group", "area", "service_line", "hours_short"])
    status = "max_iterations"
    plan = kpis = None
    for it in range(1, max_iterations + 1):
        plan = optimize(base, extra_hours=dict(extra) or None)
        unserved = plan.summary["unserved"]
        unserved_total = float(sum(h for lines in unserved.values() for h in lines.values()))
        alloc = Allocation.from_result(plan, source=f"stress iteration {it}")
        kpis = run_grid(
            grid(scenarios, alloc, replications, seed, months), kind=kind, jobs=jobs, scheduler=scheduler
        )
        summary = summarise(kpis)
        judged = _judge(summary, scenarios, targets)
        judged.insert(0, "iteration", it)
        judged["htv_allocated"] = float(plan.allocation["htv"].sum())
        judged["extra_hours_total"] = float(sum(extra.values()))
        judged["unserved_hours_total"] = unserved_total
        judged["sites_open"] = " ".join(plan.summary["sites_open"])
        history.append(judged)
        missed = judged[~judged["meets"]]
        if missed.empty:
            status = "met"
            break
        if unserved_total > 1e-6 and it > 1:
            status = "budget_insufficient"
            rows = []
            for r in missed.itertuples():
                for area, lines in unserved.items():
                    for line, hours in lines.items():
                        rows.append((r.scenario, r.kpi, r.group, area, line, hours))
            failing = pd.DataFrame(rows, columns=failing.columns)
            break
        hours_now = workload(base, dict(extra) or None).set_index(["area", "service_line"])["hours"]
        by_name = {s.name: s for s in scenarios}
        for r in missed.itertuples():
            rel = _relative_shortfall(r.op, r.target, r.ci_low, r.ci_high, r.mean)
            for pair in _targets_of(r.kpi, r.group, r.op, r.target, summary, by_name[r.scenario]):
                extra[pair] += max(min_hours, step * rel * float(hours_now.get(pair, 0.0)))
    assert plan is not None and kpis is not None
    return StressResult(
        status, pd.concat(history, ignore_index=True)[ITERATION_COLUMNS], plan, dict(extra), failing, kpis
    )
