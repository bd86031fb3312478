"""The closed loop: optimise → simulate every scenario → raise the hours of the queues that fail → repeat.

Each target is judged by its ``judge`` (``every_month``, ``worst_month`` or ``horizon``; unset:
every month for shares and backlogs), with the month-level verdicts of
:mod:`resurssimalli.simulate.verdicts`: met when the confidence interval of every month judged (or
of the year) lies on the right side. Every month is reported (``stress_months.csv``).

Where a target fails, the loop looks at the queue that fails in the simulation in the months that
fail, not at group means: for the initial-interview KPIs the interview queues (``queue:<area>``:
the area's coaches; ``queue:integration``: the integration team, which interviews every
integration-phase customer); for other KPIs the municipalities' areas or the failing service
lines. That queue's hours in the plan plus a step become the minimum hours (a floor) of its
(area, line) pairs, and the loop re-optimises **within the budget**: spare HTV move there from
queues that have not failed. A floor is never lowered, so a queue the simulation found failing
never loses hours again and each queue's hours only rise — the loop converges monotonically and
ends when the floors no longer fit the budget. The step comes from the queue's own response
(secant on its hours → its bound; the first step is the relative shortfall × the queue's hours),
never below the failing scenario's own workload there; there is no fixed minimum step.

Months outside the summer leave come first. A month in which the scenario sends every coach on
summer leave at once (July with ``staff.absence.summer_leave: july``) is acted on only when
nothing else fails; if its floors do not fit the budget, the result says so (``failing`` names the
months, ``summer_leave`` true) with the certificate.

When the minimum hours no longer fit in ``staff.total_htv``, the loop ends "budget insufficient"
with a :class:`~resurssimalli.experiment.certificate.Certificate`: the minimum-hours model
proven infeasible by the solver, its rows named and re-checkable by arithmetic. Otherwise it
ends "met" or after ``max_iterations``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from resurssimalli import tolerances
from resurssimalli.errors import InputError
from resurssimalli.executors import Kind
from resurssimalli.experiment.certificate import Certificate, minimum_hours_certificate
from resurssimalli.experiment.queue_demand import load_ratio, on_duty_share, pair_hours_a_day
from resurssimalli.experiment.sweep import grid, run_grid
from resurssimalli.optimize import OptimizeResult, optimize, workload
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES, KPI_NAMES, Target
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.stats import summarise, t_interval
from resurssimalli.simulate.verdicts import judge_kpis

TARGET_RE = re.compile(
    r"^\s*(?P<kpi>[a-z_0-9]+)(?:\[(?P<group>[^\]]+)\])?\s*(?P<op>>=|<=)\s*(?P<value>[-+0-9.eE]+)"
    r"\s*(?:@\s*(?P<judge>every_month|worst_month|horizon)\s*)?$"
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
    "judge",
    "period",
]


QUEUE_COLUMNS = ["iteration", "scenario", "kpi", "queue", "bound", "hours_added"]
MONTH_COLUMNS = [
    "scenario",
    "kpi",
    "month_index",
    "month",
    "mean",
    "ci_low",
    "ci_high",
    "clearly_missed",
    "group",
    "mean_misses",
    "bound_misses",
    "summer_leave",
]
# Misses whose interval straddles the target double the replications up to this many (unless
# ``max_replications`` says otherwise) before they get hours: whatever the start, the hours are
# sized on means over the same replications (same seeds). An assumption of the loop, not data.
DECISION_REPLICATIONS = 20
MOVE_HOURS = 0.5  # a floor less than half an hour a year above the first plan's hours is no move
FAILING_COLUMNS = [
    "scenario",
    "kpi",
    "group",
    "area",
    "service_line",
    "hours_short",
    "months",
    "summer_leave",
    "verdict",
]


def parse_target(text: str) -> Target:
    """``kpi>=value`` or ``kpi[group]<=value``, optionally ``@every_month``, ``@worst_month`` or
    ``@horizon`` (the target's ``judge``; unset: :func:`~resurssimalli.simulate.verdicts.judge_of`)
    → :class:`Target`."""
    m = TARGET_RE.match(text)
    if not m:
        raise InputError(
            "--target",
            text,
            "KPI>=VALUE or KPI[GROUP]<=VALUE[@every_month|@worst_month|@horizon], "
            "e.g. initial_interview_on_time_share>=0.95",
        )
    if m["kpi"] not in KPI_NAMES:
        raise InputError("--target", text, f"a KPI among {list(KPI_NAMES)}")
    try:
        value = float(m["value"])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError("--target", text, f"a finite number after {m['op']}, got {m['value']!r}")
    return Target(kpi=m["kpi"], op=m["op"], value=value, group=m["group"] or "all", judge=m["judge"])


def meets(op: str, value: float, low: float, high: float, mean: float) -> bool:
    """Judged on the confidence bound (the mean when there is no interval)."""
    bound = _bound(op, low, high, mean)
    return bound >= value if op == ">=" else bound <= value


def _bound(op: str, low: float, high: float, mean: float) -> float:
    """The confidence bound a target is judged on (the mean when there is no interval)."""
    return (low if low == low else mean) if op == ">=" else (high if high == high else mean)


@dataclass(frozen=True)
class StressResult:
    status: str  # "met", "budget_insufficient", "at_risk" (only intervals miss, at the cap), "max_iterations"
    iterations: pd.DataFrame
    plan: OptimizeResult
    extra_hours: dict[tuple[str, str], float]
    failing: pd.DataFrame  # FAILING_COLUMNS: what the budget cannot give, the months, summer leave?
    kpis: pd.DataFrame
    moves: pd.DataFrame  # area, service_line, extra_hours, extra_htv: hours above the first plan's per pair
    queues: pd.DataFrame  # iteration, scenario, kpi, queue, bound, hours_added: where each miss was located
    months: pd.DataFrame  # MONTH_COLUMNS + iteration: every month judged
    certificate: Certificate | None = None
    # floors above the first plan's hours for the months outside the summer leave (the moves)
    added_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    summer_hours: float = 0.0  # what the summer-leave months asked on top (in the certificate)

    @property
    def summer_leave_only(self) -> bool:
        """The budget cannot hold only months of summer leave (others meet, or only their interval
        straddles the target)."""
        fails = self.failing[self.failing["verdict"] == "fails"]
        return self.status == "budget_insufficient" and bool(len(fails)) and bool(fails["summer_leave"].all())

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
            "summer_leave_only": self.summer_leave_only,
            "summer_leave_hours": self.summer_hours,
            "failing_months": sorted(
                set(" ".join(self.failing.loc[self.failing["verdict"] == "fails", "months"]).split())
            ),
        }


def summer_leave_months(scenario: Scenario) -> frozenset[int]:
    """Calendar months (1–12) in which the scenario sends its coaches on summer leave at once:
    July when every coach's block falls in July (``staff.absence.summer_leave: july``), none when
    the blocks are staggered over the leave season."""
    a = scenario.config.staff.absence
    return frozenset({7}) if a.summer_leave == "july" and a.summer_leave_days > 0 else frozenset()


def _judge(
    kpis: pd.DataFrame, scenarios: Sequence[Scenario], targets: Sequence[Target] | None
) -> pd.DataFrame:
    """Every scenario × target by its ``judge`` (every month, the worst month or the horizon): the
    month-level verdicts of :mod:`resurssimalli.simulate.verdicts`, one row each."""
    v = judge_kpis(kpis, scenarios, targets)
    got = set(zip(v["scenario"], v["kpi"], v["group"], strict=True))
    for s in scenarios:
        for t in targets if targets is not None else s.config.targets:
            if (s.name, t.kpi, t.group) not in got:
                raise InputError(
                    s.path, "targets", f"a KPI/group the simulation reports; {t.kpi}[{t.group}] missing"
                )
    return v[[*ITERATION_COLUMNS[1:11], "judge", "period"]].reset_index(drop=True)


def _wrong(op: str, value: float, x: float) -> bool:
    """``x`` on the wrong side of the target (NaN never is)."""
    return bool(x < value) if op == ">=" else bool(x > value)


def month_verdicts(
    kpis: pd.DataFrame, judged: pd.DataFrame, scenarios: Sequence[Scenario] = ()
) -> pd.DataFrame:
    """Per scenario × target × month: the mean and interval over replications; ``clearly_missed``
    (the whole interval on the wrong side: verdict "fails"), ``mean_misses`` (the mean on the
    wrong side), ``bound_misses`` (the judged bound on the wrong side) and ``summer_leave`` (the
    month is one of :func:`summer_leave_months`)."""
    leave = {s.name: summer_leave_months(s) for s in scenarios}
    rows = []
    for t in judged.itertuples():
        sel = kpis[(kpis["scenario"] == t.scenario) & (kpis["kpi"] == t.kpi) & (kpis["group"] == t.group)]
        for (index, label), g in sel.groupby(["month_index", "month"], sort=True):
            mean, low, high, _ = t_interval(g["value"].dropna().to_numpy())
            far = high if t.op == ">=" else low
            bound = _bound(t.op, low, high, mean)
            summer = int(str(label)[5:7]) in leave.get(t.scenario, frozenset())
            rows.append(
                (t.scenario, t.kpi, int(index), str(label), mean, low, high, _wrong(t.op, t.target, far))
                + (t.group, _wrong(t.op, t.target, mean), _wrong(t.op, t.target, bound), summer)
            )
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def queue_pairs(queue: str, scenario: Scenario) -> list[tuple[str, str]]:
    """The (area, line) pairs whose coaches serve an interview queue."""
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    name = queue.removeprefix("queue:")
    if name.startswith("integration"):
        return [(name.split(":", 1)[1] if ":" in name else lead_area, "integration")]
    return [(name, line) for line in CUSTOMER_LINES if line != "integration"]


def _worst(rows: pd.DataFrame, op: str, months: Sequence[str] | None, on_mean: bool) -> float:
    """One group's KPI ``rows`` at its worst: the year's (``months`` None) or the worst of
    ``months``, each on its mean (``on_mean``) or its confidence bound over the replications."""
    if months is None:
        samples = [rows.groupby("replication")["value"].mean()]
    else:
        samples = [g["value"] for _, g in rows[rows["month"].isin(list(months))].groupby("month")]
    values = []
    for x in samples:
        mean, low, high, _ = t_interval(x.dropna().to_numpy())
        values.append(mean if on_mean else _bound(op, low, high, mean))
    values = [v for v in values if v == v]
    return (min(values) if op == ">=" else max(values)) if values else float("nan")


def failing_queues(
    kpi: str,
    op: str,
    value: float,
    kpis: pd.DataFrame,
    scenario: str,
    months: Sequence[str] | None = None,
    on_mean: bool = False,
) -> dict[str, float]:
    """Interview queues that miss the target on their own — over the year (``months`` None) or in
    one of ``months`` — judged on the mean (``on_mean``) or the confidence bound. Queue → the
    value that misses most."""
    sel = kpis[(kpis["scenario"] == scenario) & (kpis["kpi"] == kpi) & kpis["group"].str.startswith("queue:")]
    worst = {str(q): _worst(g, op, months, on_mean) for q, g in sel.groupby("group", sort=True)}
    return {q: b for q, b in worst.items() if _wrong(op, value, b)}


def _targets_of(
    kpi: str, group: str, op: str, value: float, summary: pd.DataFrame, scenario: Scenario
) -> list[tuple[str, str]]:
    """The (area, line) pairs a missed KPI without queues points to."""
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
    """A queue's hours and its bound seen after each round: the next step is the secant's, kept
    within 1/4 … 2 × the last change of hours (twice it where the bound did not move the right
    way), and never below the first rule: the relative shortfall × the queue's hours."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[float, float]]] = defaultdict(list)

    def next_hours(self, key: str, at: float, bound: float, target: float, op: str, hours: float) -> float:
        """The hours to add to a queue that holds ``hours`` (seen at ``at`` on the secant's axis)."""
        hist = self.seen[key]
        hist.append((at, bound))
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


@dataclass(frozen=True)
class _Act:
    """A miss the next round acts on: in which months (None: the year), measured on the mean
    (a clear miss) or on the confidence bound (a miss only the interval makes, at the cap)."""

    scenario: str
    kpi: str
    group: str
    op: str
    target: float
    months: tuple[str, ...] | None
    summer: tuple[str, ...]  # those of ``months`` that are summer-leave months
    on_mean: bool

    @property
    def summer_only(self) -> bool:
        return self.months is not None and set(self.months) <= set(self.summer)


def _acts_of(missed: pd.DataFrame, months: pd.DataFrame) -> tuple[list[_Act], list[_Act]]:
    """Clear misses (verdict "fails": the whole interval misses, in a month for ``every_month`` /
    ``worst_month``, over the year for ``horizon``) and unproven ones (the interval straddles the
    target: replications decide them first). Both are later sized on means."""
    clear, unproven = [], []
    for r in missed.itertuples():
        head = (r.scenario, r.kpi, r.group, r.op, float(r.target))
        if r.judge == "horizon":
            far = r.ci_high if r.op == ">=" else r.ci_low
            fails = _wrong(r.op, r.target, far if far == far else r.mean)
            (clear if fails else unproven).append(_Act(*head, None, (), _wrong(r.op, r.target, r.mean)))
            continue
        m = months[
            (months["scenario"] == r.scenario) & (months["kpi"] == r.kpi) & (months["group"] == r.group)
        ]
        fails = m["clearly_missed"].astype(bool)
        found = False
        for sel, out in ((m[fails], clear), (m[~fails & m["bound_misses"].astype(bool)], unproven)):
            if not sel.empty:
                summer = tuple(sel.loc[sel["summer_leave"].astype(bool), "month"])
                mean_misses = bool(sel["mean_misses"].astype(bool).any())
                out.append(_Act(*head, tuple(sel["month"]), summer, mean_misses))
                found = True
        if not found:  # the worst month misses though no calendar month does: the year's bound
            unproven.append(_Act(*head, None, (), False))
    return clear, unproven


def _without_summer(acts: list[_Act]) -> list[_Act]:
    """The acts with their summer-leave months left out (acts only in summer leave dropped)."""
    return [
        a
        if a.months is None
        else replace(a, months=tuple(m for m in a.months if m not in a.summer), summer=())
        for a in acts
        if not a.summer_only
    ]


def _to_act(clear: list[_Act], unproven: list[_Act], reps_left: bool) -> list[_Act]:
    """What gets hours this round: clear misses outside the summer leave; then clear misses in
    summer-leave months (half the coaches away at once); then, once replications are capped,
    unproven misses (outside the summer leave first)."""
    rest = _without_summer(clear)
    if rest or clear:
        return rest or clear
    if reps_left:
        return []
    return _without_summer(unproven) or unproven


class _Pins:
    """The minimum hours per (area, line) the loop asks. A queue that fails gets a floor: its
    plan's hours plus a step — or, when it had more hours in an earlier round (moves elsewhere
    drained it), those hours back (plus the step it needed even then). A floor is never lowered,
    so a queue the simulation found failing never loses hours again."""

    def __init__(self, base_need: pd.Series) -> None:
        self.base_need = base_need  # the base scenario's workload hours per (area, line)
        self.floor: dict[tuple[str, str], float] = {}
        self.first: pd.Series | None = None
        # scenario|queue|kpi -> every round's (hours, worst month's mean, op, target)
        self.seen: dict[str, list[tuple[float, float, str, float]]] = defaultdict(list)
        self.steps = _Steps()
        self.per_day: dict[str, pd.DataFrame] = {}
        self.summer_asked = False  # a summer-leave month has been given its own ask
        self.before_summer: dict[tuple[str, str], float] | None = None  # the floors before it
        self.start: dict[tuple[str, str], float] = {}  # the floors as the round began

    def load(self, scenario: Scenario, pairs, month: str) -> float:
        """The demand model's work a day for ``pairs`` in ``month`` ÷ the share of coaches on duty."""
        if scenario.name not in self.per_day:
            self.per_day[scenario.name] = pair_hours_a_day(scenario)
        per_day = self.per_day[scenario.name]
        rows = per_day.reindex([p for p in pairs if p in per_day.index])
        work = float(rows[month].sum()) if month in rows.columns else 0.0
        return work / on_duty_share(scenario, month, summer_leave_months(scenario))

    def extra(self) -> dict[tuple[str, str], float]:
        """``optimize``'s ``extra_hours``: the floors above the base workload."""
        out = {p: h - float(self.base_need.get(p, 0.0)) for p, h in sorted(self.floor.items())}
        return {p: h for p, h in out.items() if h > tolerances.HOURS_NOISE}

    def added(self, summer: bool = False) -> dict[tuple[str, str], float]:
        """The floors above the first plan's hours: what the loop moved to (or asked for) a pair —
        for months outside the summer leave, or with ``summer`` the summer-leave months' ask too."""
        first = self.first if self.first is not None else pd.Series(dtype=float)
        floor = self.floor if summer or self.before_summer is None else self.before_summer
        out = {p: h - float(first.get(p, 0.0)) for p, h in sorted(floor.items())}
        return {p: h for p, h in out.items() if h >= MOVE_HOURS}

    def remember(self, judged: pd.DataFrame, kpis: pd.DataFrame, months: pd.DataFrame, hours_now, scenarios):
        """Note every queue's hours and its worst month (on its means, outside the summer leave)."""
        by_name = {s.name: s for s in scenarios}
        for r in judged.itertuples():
            m = months[(months["scenario"] == r.scenario) & (months["kpi"] == r.kpi)]
            leave = set(m.loc[m["summer_leave"].astype(bool), "month"])
            sel = kpis[(kpis["scenario"] == r.scenario) & (kpis["kpi"] == r.kpi)]
            sel = sel[sel["group"].str.startswith("queue:") & ~sel["month"].isin(leave)]
            for q, g in sel.groupby("group", sort=True):
                held = sum(float(hours_now.get(p, 0.0)) for p in queue_pairs(str(q), by_name[r.scenario]))
                worst = _worst(g, r.op, sorted(set(g["month"])), True)
                self.seen[f"{r.scenario}|{q}|{r.kpi}"].append((held, worst, r.op, float(r.target)))

    def _earlier(self, key: str, total: float) -> tuple[float, float, str, float] | None:
        """The round in which the queue had the most hours, when that is more than now (moves
        elsewhere drained it): (hours, worst month's mean, op, target); else None."""
        earlier = self.seen.get(key, [])[:-1]
        if not earlier:
            return None
        best = max(earlier, key=lambda x: x[0])
        return best if best[0] > total + tolerances.HOURS_NOISE else None

    def raise_queue(self, key: str, pairs, hours_now, bound: float, act: _Act, need, ratio) -> float:
        """Raise the floors of a queue's pairs; returns the hours added to the queue. The hours it
        starts from: now, or — drained by moves elsewhere — what it had before; then × the load
        ratio (the failing month's load over the busiest month it held, :mod:`.queue_demand`), or
        when the demand model does not explain the miss, the secant step (first: the shortfall
        rule). At least the failing scenario's own workload there."""
        if act.summer_only and not self.summer_asked:
            self.summer_asked, self.before_summer = True, dict(self.floor)
        # from the plan's hours, or the round's starting floors where the budget could not give
        # them (not floors other scenarios raised this round: the largest ask wins, none compounds)
        held = {p: max(float(hours_now.get(p, 0.0)), self.start.get(p, 0.0)) for p in pairs}
        total = sum(held.values())
        step = self.steps.next_hours(key, total, bound, act.target, act.op, total)
        earlier = None if act.summer_only else self._earlier(key.rsplit("|", 1)[0] + f"|{act.kpi}", total)
        if earlier is not None and not _wrong(earlier[2], earlier[3], earlier[1]):
            new = earlier[0]  # it met with these hours: back to them
        elif ratio is not None and ratio > 1.0 + 1e-9:
            new = (earlier[0] if earlier is not None else total) * ratio
        else:
            new = earlier[0] * (1.0 + _shortfall(*earlier[1:])) if earlier is not None else total + step
        gap = sum(max(float(need.get(p, 0.0)) - h, 0.0) for p, h in held.items())
        new = max(new, total + gap)
        for p, h in held.items():
            share = h / total if total > 0 else 1.0 / len(held)
            self.floor[p] = max(self.floor.get(p, 0.0), new * share, float(need.get(p, 0.0)))
        return new - total


def _shortfall(worst: float, op: str, target: float) -> float:
    """The relative shortfall of ``worst`` against the target (0 when it meets)."""
    return max((target - worst) if op == ">=" else (worst - target), 0.0) / (abs(target) or 1.0)


def _located(a: _Act, kpis: pd.DataFrame) -> dict[str, float] | None:
    """Where an act points: the interview queues whose own mean misses in its months (queues are
    small: their intervals are too wide to judge them on); a KPI without queues, or a clear miss no
    queue makes on its own: the KPI's group at its bound (``pairs:<kpi>:<group>``). None: a miss
    only the interval makes where every queue meets on its mean — replications decide it, not hours."""
    queues = (
        failing_queues(a.kpi, a.op, a.target, kpis, a.scenario, a.months, True) if a.group == "all" else {}
    )
    if queues:
        return queues
    has_queues = bool(((kpis["kpi"] == a.kpi) & kpis["group"].str.startswith("queue:")).any())
    if has_queues and a.group == "all" and not a.on_mean:
        return None
    return {f"pairs:{a.kpi}:{a.group}": _act_bound(a, kpis)}


def _grow(pins: _Pins, acts: list[_Act], kpis: pd.DataFrame, scenarios, hours_now: pd.Series) -> list[tuple]:
    """Raise the floors of the queues (or pairs) behind every act; a queue several scenarios miss
    keeps the largest floor any of them asks. Rows: scenario, kpi, queue, bound, hours added."""
    by_name = {s.name: s for s in scenarios}
    summary = summarise(kpis)
    needs: dict[str, pd.Series] = {}
    rows = []
    pins.start = dict(pins.floor)
    for a in acts:
        scen = by_name[a.scenario]
        if scen.name not in needs:
            needs[scen.name] = workload(scen).set_index(["area", "service_line"])["hours"]
        for q, bound in (_located(a, kpis) or {}).items():
            pairs = (
                queue_pairs(q, scen)
                if q.startswith("queue:")
                else _targets_of(a.kpi, a.group, a.op, a.target, summary, scen)
            )
            key = f"{a.scenario}|{q}|{'summer' if a.summer_only else 'rest'}"
            ratio = _ratio(pins, a, q, pairs, kpis, by_name) if q.startswith("queue:") else None
            added = pins.raise_queue(key, pairs, hours_now, bound, a, needs[scen.name], ratio)
            rows.append((a.scenario, a.kpi, q, bound, added))
    return rows


def _ratio(pins: _Pins, a: _Act, q: str, pairs, kpis: pd.DataFrame, by_name) -> float | None:
    """Queue ``q``'s load ratio for act ``a``: its failing months in the act's scenario over the
    busiest month it held on its mean — in that scenario, else in another (the same plan)."""
    means = kpis[(kpis["kpi"] == a.kpi) & (kpis["group"] == q)].groupby(["scenario", "month"])["value"].mean()
    fail, own, other = [], [], []
    for (name, month), v in means.items():
        load = pins.load(by_name[name], pairs, str(month))
        if name == a.scenario and (a.months is None or month in a.months) and _wrong(a.op, a.target, v):
            fail.append(load)
        elif not _wrong(a.op, a.target, v):
            (own if name == a.scenario else other).append(load)
    return load_ratio(fail, own or other)


def _act_bound(a: _Act, kpis: pd.DataFrame) -> float:
    """The value an act misses by: its worst month's (or the year's) mean or bound."""
    sel = kpis[(kpis["scenario"] == a.scenario) & (kpis["kpi"] == a.kpi) & (kpis["group"] == a.group)]
    return _worst(sel, a.op, a.months, a.on_mean)


def _moves(added: dict, productive_hours: float) -> pd.DataFrame:
    rows = [(a, line, h, h / productive_hours) for (a, line), h in sorted(added.items()) if h > 0]
    return pd.DataFrame(rows, columns=["area", "service_line", "extra_hours", "extra_htv"])


def _failing(clear: list[_Act], unproven: list[_Act], plan: OptimizeResult) -> pd.DataFrame:
    """Per miss left (``verdict`` "fails", or "at_risk" where only the interval misses): the pairs
    the budget cannot give their minimum hours, the months and whether they all are summer leave."""
    rows = [
        (a.scenario, a.kpi, a.group, area, line, hours, " ".join(a.months or ("horizon",)), a.summer_only, v)
        for acts, v in ((clear, "fails"), (unproven, "at_risk"))
        for a in acts
        for area, lines in plan.summary["unserved"].items()
        for line, hours in lines.items()
    ]
    return pd.DataFrame(rows, columns=FAILING_COLUMNS)


def _plan_hours(plan: OptimizeResult, productive_hours: float) -> pd.Series:
    """The plan's staff hours a year per (area, line)."""
    return plan.allocation.groupby(["area", "service_line"])["htv"].sum() * productive_hours


def _iterate(base, scenarios, targets, extra, it, run) -> tuple:
    """One round: optimise with the minimum hours, simulate, judge every target by its ``judge``."""
    plan = optimize(base, extra_hours=dict(extra) or None)
    alloc = Allocation.from_result(plan, source=f"stress iteration {it}")
    kpis = run(alloc)
    judged = _judge(kpis, scenarios, targets)
    months = month_verdicts(kpis, judged, scenarios)
    judged.insert(0, "iteration", it)
    judged["htv_allocated"] = float(plan.allocation["htv"].sum())
    judged["extra_hours_total"] = float(sum(extra.values()))
    judged["unserved_hours_total"] = float(plan.summary["unserved_hours_total"])
    judged["sites_open"] = " ".join(plan.summary["sites_open"])
    return plan, kpis, judged, months.assign(iteration=it)


def _next_round(
    missed: pd.DataFrame,
    months: pd.DataFrame,
    reps_left: bool,
    rounds_left: bool,
    pins: _Pins,
    kpis,
    scenarios,
    hours_now,
) -> tuple[bool, list[tuple]]:
    """What the next round changes: more replications while any miss is unproven (its interval
    straddles the target) and the cap allows — then no hours, so the hours are decided on the same
    replications whatever the start — else higher floors (:func:`_to_act`). Returns (double the
    replications?, the queues that got hours)."""
    clear, unproven = _acts_of(missed, months)
    more_reps = bool(unproven) and reps_left
    if not rounds_left or more_reps:  # hours wait for the replications: the same start for any start
        return more_reps, []
    return more_reps, _grow(pins, _to_act(clear, unproven, reps_left), kpis, scenarios, hours_now)


def _end(missed, plan, base: Scenario, pins: _Pins, months: pd.DataFrame, cert) -> tuple:
    """(``"met"`` / ``"budget_insufficient"`` / None to go on, the failing table, the certificate)."""
    failing = pd.DataFrame(columns=FAILING_COLUMNS)
    if missed.empty:
        return "met", failing, cert
    if plan.summary["unserved_hours_total"] > tolerances.HOURS_NOISE:
        cert = minimum_hours_certificate(base, pins.extra())
        clear, unproven = _acts_of(missed, months)
        if cert.holds() and not clear:  # the plan meets on its means: intervals alone miss
            return "at_risk", _failing([], unproven, plan), cert
        if cert.holds() and (pins.summer_asked or not all(a.summer_only for a in clear)):
            return "budget_insufficient", _failing(clear, unproven, plan), cert
    return None, failing, cert


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
    progress: ProgressFn | None = None,
    max_replications: int | None = None,
) -> StressResult:
    """Run the closed loop; the plan is optimised on the first scenario (normally the baseline).

    Each target is judged by its ``judge`` (unset: every month for shares and backlogs, else the
    horizon; :mod:`resurssimalli.simulate.verdicts`). While any miss is unproven (its interval
    straddles the target) the next iteration only doubles the replications (same seeds: the first
    replications are the same customers), up to ``max_replications`` (default
    :data:`DECISION_REPLICATIONS` or ``replications`` if more, at most
    ``simulation.max_replications``): so the hours are decided on the same replications whatever
    the start. Then clear misses (the whole interval misses) get hours, sized on means; unproven
    ones at the cap get hours where a queue misses on its mean, else the loop ends ``"at_risk"``.
    Months outside the summer leave are fixed first; summer-leave months only when nothing else
    fails, with an ask of their own before "budget insufficient" (``failing`` then says so).
    ``progress`` hears stage ``"stress"`` and ``"simulate"``.
    """
    _check_inputs(scenarios, targets)
    base = scenarios[0]
    seed = base.seed if seed is None else seed
    decide = max(DECISION_REPLICATIONS, replications)
    cap = max_replications or min(decide, base.config.simulation.max_replications)
    reps = replications
    P = base.config.staff.productive_hours_per_htv

    def run(alloc: Allocation) -> pd.DataFrame:
        tasks = grid(scenarios, alloc, reps, seed, months)
        return run_grid(tasks, kind=kind, jobs=jobs, scheduler=scheduler, progress=progress)

    pins = _Pins(workload(base).set_index(["area", "service_line"])["hours"])
    history, month_rows, queue_rows = [], [], []
    status, cert, pre = "max_iterations", None, None
    for it in range(1, max_iterations + 1):
        tick(progress, "stress", it - 1, max_iterations, f"iteration {it}")
        plan, kpis, judged, mv = _iterate(base, scenarios, targets, pins.extra(), it, run)
        pre = pre if pins.summer_asked else (plan, kpis)  # the last plan before a summer-leave ask
        hours_now = _plan_hours(plan, P)
        pins.first = hours_now if pins.first is None else pins.first
        pins.remember(judged, kpis, mv, hours_now, scenarios)
        history.append(judged.assign(replications=reps))
        month_rows.append(mv)
        missed = judged[~judged["meets"]]
        end, failing, cert = _end(missed, plan, base, pins, mv, cert)
        if end is not None:
            status = end
            break
        more_reps, found = _next_round(
            missed, mv, reps < cap, it < max_iterations, pins, kpis, scenarios, hours_now
        )
        queue_rows += [(it, *row) for row in found]
        if not found and not more_reps and it < max_iterations:
            status = "at_risk"  # every failing month meets on its means: more hours would not decide it
            break
        reps = min(2 * reps, cap) if more_reps else reps
    tick(progress, "stress", max_iterations, max_iterations, status.replace("_", " "))
    tables = (history, queue_rows, month_rows)
    return _result(status, tables, (plan, kpis), pre, pins, failing, cert, P)


def _result(status: str, tables: tuple, last, pre, pins: _Pins, failing, cert, P: float) -> StressResult:
    """The loop's result. When only summer-leave months are left failing, the plan (and its
    KPIs) is the last one before their ask: the plan that holds the other months."""
    history, queue_rows, month_rows = tables
    fails = failing[failing["verdict"] == "fails"]
    summer_only = status == "budget_insufficient" and len(fails) and bool(fails["summer_leave"].all())
    plan, kpis = pre if summer_only and pins.summer_asked else last
    return StressResult(
        status,
        pd.concat(history, ignore_index=True)[ITERATION_COLUMNS],
        plan,
        pins.extra(),
        failing,
        kpis,
        _moves(pins.added(), P),
        pd.DataFrame(queue_rows, columns=QUEUE_COLUMNS),
        pd.concat(month_rows, ignore_index=True),
        cert,
        pins.added(),
        sum(pins.added(summer=True).values()) - sum(pins.added().values()),
    )
