"""The closed loop: optimise → simulate every scenario → move hours to the queue that fails → repeat.

A target is met when its confidence bound over the replications is on the right side (the
lower bound for ``>=``, the upper bound for ``<=``). Every month is judged too: a month misses
clearly when its interval lies wholly on the wrong side; those months are reported, and with
``month_rule="require"`` they count as misses the loop must fix.

Where a target fails, the loop looks at the queue that fails in the simulation, not at group
means: for the initial-interview KPIs the interview queues (``queue:<area>``: the area's
coaches; ``queue:integration``: the integration team, which interviews every integration-phase
customer); for other KPIs the municipalities' areas or the failing service lines. It raises the
minimum hours of that queue's (area, line) pairs — in proportion to their hours — and
re-optimises **within the budget**: spare HTV move there from elsewhere. The size of a step
comes from the queue's own response (secant on hours → KPI bound; the first step is the
relative shortfall × the queue's hours); there is no fixed minimum step.

When the minimum hours no longer fit in ``staff.total_htv``, the loop ends "budget insufficient"
with a :class:`~resurssimalli.experiment.certificate.Certificate`: the minimum-hours model
proven infeasible by the solver, its rows named and re-checkable by arithmetic. Otherwise it
ends "met" or after ``max_iterations``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from resurssimalli import tolerances
from resurssimalli.errors import InputError
from resurssimalli.executors import Kind
from resurssimalli.experiment.certificate import Certificate, minimum_hours_certificate
from resurssimalli.experiment.sweep import grid, run_grid
from resurssimalli.optimize import OptimizeResult, optimize, workload
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, KPI_NAMES, Target
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.stats import summarise, t_interval

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
    "replications",
]


QUEUE_COLUMNS = ["iteration", "scenario", "kpi", "queue", "bound", "hours_added"]


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
    moves: pd.DataFrame  # area, service_line, extra_hours, extra_htv: hours moved to (or asked for) each pair
    queues: pd.DataFrame  # iteration, scenario, kpi, queue, bound, hours_added: where each miss was located
    months: (
        pd.DataFrame
    )  # scenario, kpi, month_index, month, mean, ci_low, ci_high, clearly_missed, iteration
    certificate: Certificate | None = None

    def write(self, rf: Any, scenarios: Sequence[Scenario], replications: int) -> None:
        """The loop's run folder: the final plan, every iteration, KPIs, moves, queues, months."""
        from resurssimalli.experiment.compare import paired_comparison
        from resurssimalli.simulate.stats import summarise_periods

        self.plan.write(rf)
        rf.write_csv("stress_iterations.csv", self.iterations)
        rf.write_parquet("kpis.parquet", self.kpis)
        rf.write_csv("summary.csv", summarise_periods(self.kpis))
        if len(scenarios) > 1:
            rf.write_csv("comparison.csv", paired_comparison(self.kpis, scenarios[0].name))
        rf.write_csv("stress_failing.csv", self.failing)
        rf.write_csv("stress_moves.csv", self.moves)
        rf.write_csv("stress_queues.csv", self.queues)
        rf.write_csv("stress_months.csv", self.months)
        if self.certificate is not None:
            rf.write_csv("stress_certificate.csv", self.certificate.rows)
        extra = [(a, line, h) for (a, line), h in sorted(self.extra_hours.items())]
        extra_df = pd.DataFrame(extra, columns=["area", "service_line", "extra_hours"])
        rf.write_csv("stress_extra_hours.csv", extra_df)
        rf.extra["stress"] = {
            "status": self.status,
            "scenarios": [s.name for s in scenarios],
            "replications": replications,
            "iterations": int(self.iterations["iteration"].max()),
        }


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


def month_verdicts(kpis: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """Per scenario × target × month: the mean and interval over replications, and whether the
    month misses the target clearly (its whole interval on the wrong side: verdict "fails")."""
    rows = []
    for t in judged.itertuples():
        sel = kpis[(kpis["scenario"] == t.scenario) & (kpis["kpi"] == t.kpi) & (kpis["group"] == t.group)]
        for (index, label), g in sel.groupby(["month_index", "month"], sort=True):
            mean, low, high, _ = t_interval(g["value"].dropna().to_numpy())
            missed = (high < t.target) if t.op == ">=" else (low > t.target)
            rows.append((t.scenario, t.kpi, int(index), str(label), mean, low, high, bool(missed)))
    return pd.DataFrame(
        rows,
        columns=["scenario", "kpi", "month_index", "month", "mean", "ci_low", "ci_high", "clearly_missed"],
    )


def _bound(op: str, low: float, high: float, mean: float) -> float:
    return (low if low == low else mean) if op == ">=" else (high if high == high else mean)


def _relative_shortfall(op: str, value: float, low: float, high: float, mean: float) -> float:
    bound = _bound(op, low, high, mean)
    scale = abs(value) if value else 1.0
    return max(0.0, (value - bound) / scale if op == ">=" else (bound - value) / scale)


def queue_pairs(queue: str, scenario: Scenario) -> list[tuple[str, str]]:
    """The (area, line) pairs whose coaches serve an interview queue."""
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    name = queue.removeprefix("queue:")
    if name.startswith("integration"):
        return [(name.split(":", 1)[1] if ":" in name else lead_area, "integration")]
    return [(name, line) for line in CUSTOMER_LINES if line != "integration"]


def failing_queues(
    kpi: str,
    op: str,
    value: float,
    kpis: pd.DataFrame,
    scenario: str,
    by_month: bool = False,
    on_mean: bool = False,
) -> dict[str, float]:
    """Interview queues that miss the target on their own: over the year (confidence bound, or
    the mean ``on_mean``) or, ``by_month``, in a month clearly (the month's whole interval on the
    wrong side). Queue → the value that misses most (the year's bound or mean, or the worst such
    month's far end)."""
    sel = kpis[(kpis["scenario"] == scenario) & (kpis["kpi"] == kpi) & kpis["group"].str.startswith("queue:")]
    out = {}
    for q, g in sel.groupby("group", sort=True):
        year = g.groupby("replication")["value"].mean().dropna().to_numpy()
        mean, low, high, _ = t_interval(year)
        if on_mean:
            low = high = float("nan")  # judged and measured on the mean
        bounds = [] if meets(op, value, low, high, mean) else [_bound(op, low, high, mean)]
        for _, gm in g.groupby("month_index") if by_month else ():
            m_mean, m_low, m_high, _ = t_interval(gm["value"].dropna().to_numpy())
            far = m_high if op == ">=" else m_low
            if far == far and ((far < value) if op == ">=" else (far > value)):
                bounds.append(far)
        if bounds:
            out[str(q)] = min(bounds) if op == ">=" else max(bounds)
    return out


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


class _Steps:
    """Hours added per queue and the queue's bound seen after each total: the next step is the
    secant's, kept within 1/4 … 2 × the last (twice the last where the bound did not move the
    right way), and never below the first rule: the relative shortfall × the queue's hours."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[float, float]]] = defaultdict(list)

    def next_hours(self, key: str, added: float, bound: float, target: float, op: str, hours: float) -> float:
        hist = self.seen[key]
        hist.append((added, bound))
        gap = (target - bound) if op == ">=" else (bound - target)
        first = max(gap / (abs(target) or 1.0), 0.0) * hours
        if len(hist) < 2:
            return first
        (h0, b0), (h1, b1) = hist[-2], hist[-1]
        slope = ((b1 - b0) if op == ">=" else (b0 - b1)) / (h1 - h0) if h1 != h0 else 0.0
        last = max(h1 - h0, 1.0)
        step = gap / slope if slope > 1e-12 else 2 * last
        # never below the first rule's size: a queue pushed far off target by moves elsewhere
        # gets its shortfall's hours at once, not a doubling from a step sized for a near miss
        return max(min(max(step, last / 4), 2 * last), first)


def _add(extra: dict, pairs: list[tuple[str, str]], hours_now: pd.Series, total: float) -> None:
    """Spread ``total`` hours over ``pairs`` in proportion to their current hours."""
    base = {p: float(hours_now.get(p, 0.0)) for p in pairs}
    weight = sum(base.values())
    for p, h in base.items():
        if weight > 0 and h > 0:
            extra[p] += total * h / weight


def _grow(
    extra, steps: _Steps, missed: pd.DataFrame, kpis, scenarios, hours_now, by_month, on_mean
) -> list[tuple]:
    """Raise the minimum hours of the queues (or pairs) behind every missed target.

    A queue first gets what the failing scenario's own workload (the demand model's) needs
    beyond the plan's hours there; once the plan covers that, the step follows the queue's
    response (a secant per scenario and queue). A queue several scenarios miss gets the largest
    step any of them asks, once. ``on_mean``: the misses are clear ones (the mean misses), so
    queues are located and measured on their means, not on intervals noise alone can put on the
    wrong side."""
    by_name = {s.name: s for s in scenarios}
    summary = summarise(kpis)
    needs: dict[str, pd.Series] = {}
    best: dict[str, tuple] = {}  # queue -> the largest step any scenario asks of it
    for r in missed.itertuples():
        scen = by_name[r.scenario]
        queues = {}
        if r.group == "all":
            queues = failing_queues(r.kpi, r.op, r.target, kpis, r.scenario, by_month, on_mean)
        if not queues:  # not a queue KPI, or no queue fails on its own: the KPI's groups
            nan = float("nan")
            low, high = (nan, nan) if on_mean else (r.ci_low, r.ci_high)
            queues = {f"pairs:{r.kpi}:{r.group}": _bound(r.op, low, high, r.mean)}
        if scen.name not in needs:
            needs[scen.name] = workload(scen).set_index(["area", "service_line"])["hours"]
        for q, bound in queues.items():
            pairs = (
                queue_pairs(q, scen)
                if q.startswith("queue:")
                else _targets_of(r.kpi, r.group, r.op, r.target, summary, scen)
            )
            need = needs[scen.name]
            gaps = {p: max(float(need.get(p, 0.0)) - float(hours_now.get(p, 0.0)), 0.0) for p in pairs}
            added = sum(extra.get(p, 0.0) for p in pairs)
            hours = sum(float(hours_now.get(p, 0.0)) for p in pairs)
            step = steps.next_hours(f"{r.scenario}|{q}", added, bound, r.target, r.op, hours)
            step = sum(gaps.values()) if sum(gaps.values()) > 1.0 else step
            if q not in best or step > best[q][0]:
                best[q] = (step, gaps if sum(gaps.values()) > 1.0 else None, pairs, r.scenario, r.kpi, bound)
    rows = []
    for q, (step, gaps, pairs, scenario, kpi, bound) in best.items():
        if gaps is not None:  # the scenario's own workload first
            for p, g in gaps.items():
                extra[p] += g
        else:
            _add(extra, pairs, hours_now, step)
        rows.append((scenario, kpi, q, bound, step))
    return rows


def _moves(extra: dict, productive_hours: float) -> pd.DataFrame:
    rows = [(a, line, h, h / productive_hours) for (a, line), h in sorted(extra.items()) if h > 0]
    return pd.DataFrame(rows, columns=["area", "service_line", "extra_hours", "extra_htv"])


def _failing(missed: pd.DataFrame, cert: Certificate, plan: OptimizeResult) -> pd.DataFrame:
    rows = [
        (r.scenario, r.kpi, r.group, area, line, hours)
        for r in missed.itertuples()
        for area, lines in plan.summary["unserved"].items()
        for line, hours in lines.items()
    ]
    return pd.DataFrame(rows, columns=["scenario", "kpi", "group", "area", "service_line", "hours_short"])


def _iterate(base, scenarios, targets, extra, it, run, month_rule: str) -> tuple:
    """One round: optimise with the minimum hours, simulate, judge the year and the months."""
    plan = optimize(base, extra_hours=dict(extra) or None)
    alloc = Allocation.from_result(plan, source=f"stress iteration {it}")
    kpis = run(alloc)
    summary = summarise(kpis)
    judged = _judge(summary, scenarios, targets)
    months = month_verdicts(kpis, judged)
    clear = months[months["clearly_missed"] & (month_rule == "require")].groupby(["scenario", "kpi"]).size()
    judged["meets"] = [
        m and (s, k) not in clear.index
        for m, s, k in zip(judged["meets"], judged["scenario"], judged["kpi"], strict=True)
    ]
    judged.insert(0, "iteration", it)
    judged["htv_allocated"] = float(plan.allocation["htv"].sum())
    judged["extra_hours_total"] = float(sum(extra.values()))
    judged["unserved_hours_total"] = float(plan.summary["unserved_hours_total"])
    judged["sites_open"] = " ".join(plan.summary["sites_open"])
    return plan, kpis, summary, judged, months.assign(iteration=it)


def _split_misses(missed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Misses whose mean misses too (clear: more hours are due) and those only the interval puts on
    the wrong side (unproven: more replications decide them, not hours)."""
    nan = float("nan")
    clear = [not meets(r.op, r.target, nan, nan, r.mean) for r in missed.itertuples()]
    mask = pd.Series(clear, index=missed.index, dtype=bool)
    return missed[mask], missed[~mask]


def _next_round(
    missed: pd.DataFrame, reps_left: bool, rounds_left: bool, extra, steps, kpis, scenarios, month_rule
) -> tuple[bool, list[tuple]]:
    """What the next round changes: more replications (for misses only the interval makes, while
    the cap allows), more hours (for clear misses; for the rest once replications are capped).
    Returns (double the replications?, the queues that got hours)."""
    clear, unproven = _split_misses(missed)
    more_reps = not unproven.empty and reps_left
    if not rounds_left or (clear.empty and more_reps):
        return more_reps, []
    base = scenarios[0]
    hours_now = workload(base, dict(extra) or None).set_index(["area", "service_line"])["hours"]
    act = clear if not clear.empty else missed
    found = _grow(extra, steps, act, kpis, scenarios, hours_now, month_rule == "require", not clear.empty)
    return more_reps, found


def _check_inputs(scenarios: Sequence[Scenario], targets: Sequence[Target] | None) -> None:
    if not scenarios:
        raise InputError("stress", "SCENARIO", "at least one scenario")
    if targets is None and not any(s.config.targets for s in scenarios):
        raise InputError(scenarios[0].path, "targets", "targets in the scenario files or --target")


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
    max_iterations: int = 8,
    month_rule: str = "report",
    progress: ProgressFn | None = None,
    max_replications: int | None = None,
) -> StressResult:
    """Run the closed loop; the plan is optimised on the first scenario (normally the baseline).

    ``month_rule``: ``"report"`` (default) judges and reports every month but acts on the year's
    bound; ``"require"`` also makes a clearly missed month a miss the loop must fix (July's summer
    leave then dominates: half the coaches away at once keeps July's interviews late whatever the
    yearly HTV). ``progress`` hears stage ``"stress"`` (iterations) and ``"simulate"`` (tasks).

    Hours follow clear misses only (the mean misses the target). A miss that only the confidence
    interval makes (the mean meets) is a question of replications: the next iteration doubles
    them (same seeds: the first replications are the same customers), up to ``max_replications``
    (default 4 × ``replications``, at most ``simulation.max_replications``); only at that cap do
    such misses get hours. So the hours asked do not depend on how many replications one starts with.
    """
    _check_inputs(scenarios, targets)
    base = scenarios[0]
    seed = base.seed if seed is None else seed
    cap = max_replications or min(4 * replications, base.config.simulation.max_replications)
    reps = replications

    def run(alloc: Allocation) -> pd.DataFrame:
        tasks = grid(scenarios, alloc, reps, seed, months)
        return run_grid(tasks, kind=kind, jobs=jobs, scheduler=scheduler, progress=progress)

    extra: dict[tuple[str, str], float] = defaultdict(float)
    steps, history, month_rows, queue_rows = _Steps(), [], [], []
    status, cert = "max_iterations", None
    failing = pd.DataFrame(columns=["scenario", "kpi", "group", "area", "service_line", "hours_short"])
    for it in range(1, max_iterations + 1):
        tick(progress, "stress", it - 1, max_iterations, f"iteration {it}")
        plan, kpis, summary, judged, mv = _iterate(base, scenarios, targets, extra, it, run, month_rule)
        history.append(judged.assign(replications=reps))
        month_rows.append(mv)
        missed = judged[~judged["meets"]]
        if missed.empty:
            status = "met"
            break
        if plan.summary["unserved_hours_total"] > tolerances.HOURS_NOISE:
            cert = minimum_hours_certificate(base, dict(extra))
            if cert.holds():
                status, failing = "budget_insufficient", _failing(missed, cert, plan)
                break
        more_reps, found = _next_round(
            missed, reps < cap, it < max_iterations, extra, steps, kpis, scenarios, month_rule
        )
        queue_rows += [(it, *row) for row in found]
        reps = min(2 * reps, cap) if more_reps else reps
    tick(progress, "stress", max_iterations, max_iterations, status.replace("_", " "))
    return StressResult(
        status,
        pd.concat(history, ignore_index=True)[ITERATION_COLUMNS],
        plan,
        dict(extra),
        failing,
        kpis,
        _moves(extra, base.config.staff.productive_hours_per_htv),
        pd.DataFrame(queue_rows, columns=QUEUE_COLUMNS),
        pd.concat(month_rows, ignore_index=True),
        cert,
    )
