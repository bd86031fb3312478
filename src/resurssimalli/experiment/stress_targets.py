"""Targets of the stress loop: how a typed target reads, how a plan's simulation is judged
against it, month by month (:mod:`resurssimalli.simulate.verdicts` decides the verdicts)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import KPI_NAMES, Target
from resurssimalli.simulate.stats import t_interval
from resurssimalli.simulate.verdicts import judge_kpis

TARGET_RE = re.compile(
    r"^\s*(?P<kpi>[a-z_0-9]+)(?:\[(?P<group>[^\]]+)\])?\s*(?P<op>>=|<=)\s*(?P<value>[-+0-9.eE]+)"
    r"\s*(?:@\s*(?P<judge>every_month|worst_month|horizon)\s*)?$"
)
ITERATION_COLUMNS = [
    "iteration", "scenario", "kpi", "group", "op", "target", "mean", "ci_low", "ci_high", "n", "meets",
    "htv_allocated", "within_budget", "unserved_hours_total", "sites_open", "replications", "judge", "period",
]  # fmt: skip
MONTH_COLUMNS = [
    "scenario", "kpi", "month_index", "month", "mean", "ci_low", "ci_high", "clearly_missed", "group",
    "mean_misses", "bound_misses", "summer_leave",
]  # fmt: skip


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


def bound(op: str, low: float, high: float, mean: float) -> float:
    """The confidence bound a target is judged on (the mean when there is no interval)."""
    return (low if low == low else mean) if op == ">=" else (high if high == high else mean)


def meets(op: str, value: float, low: float, high: float, mean: float) -> bool:
    """Judged on the confidence bound (the mean when there is no interval)."""
    b = bound(op, low, high, mean)
    return b >= value if op == ">=" else b <= value


def wrong(op: str, value: float, x: float) -> bool:
    """``x`` on the wrong side of the target (NaN never is)."""
    return bool(x < value) if op == ">=" else bool(x > value)


def targets_of(scenario: Scenario, targets: Sequence[Target] | None) -> list[Target]:
    """The targets a scenario is judged on: the given ones, else the scenario's own."""
    return list(targets if targets is not None else scenario.config.targets)


def summer_leave_months(scenario: Scenario) -> frozenset[int]:
    """Calendar months (1–12) in which the scenario sends its coaches on summer leave at once:
    July when every coach's block falls in July (``staff.absence.summer_leave: july``), none when
    the blocks are staggered over the leave season."""
    a = scenario.config.staff.absence
    return frozenset({7}) if a.summer_leave == "july" and a.summer_leave_days > 0 else frozenset()


def leave_months(scenario: Scenario) -> frozenset[int]:
    """Calendar months (1–12) in which the scenario's summer-leave blocks may fall
    (:func:`resurssimalli.simulate.roster.window`: July; June–August for the rota; May–September
    when staggered over the KVTES season); none without summer leave."""
    from resurssimalli.simulate.roster import window

    a = scenario.config.staff.absence
    if a.summer_leave_days <= 0:
        return frozenset()
    return frozenset(d.month for d in window(scenario.config.horizon.start.year, a.summer_leave))


def judge(
    kpis: pd.DataFrame, scenarios: Sequence[Scenario], targets: Sequence[Target] | None
) -> pd.DataFrame:
    """Every scenario × target by its ``judge`` (every month, the worst month or the horizon): the
    month-level verdicts of :mod:`resurssimalli.simulate.verdicts`, one row each."""
    v = judge_kpis(kpis, scenarios, targets)
    got = set(zip(v["scenario"], v["kpi"], v["group"], strict=True))
    for s in scenarios:
        for t in targets_of(s, targets):
            if (s.name, t.kpi, t.group) not in got:
                raise InputError(
                    s.path, "targets", f"a KPI/group the simulation reports; {t.kpi}[{t.group}] missing"
                )
    cols = ["scenario", "kpi", "group", "op", "target", "mean", "ci_low", "ci_high", "n", "meets"]
    return v[[*cols, "judge", "period"]].reset_index(drop=True)


def month_verdicts(
    kpis: pd.DataFrame, judged: pd.DataFrame, scenarios: Sequence[Scenario] = ()
) -> pd.DataFrame:
    """Per scenario × target × month: the mean and interval over replications; ``clearly_missed``
    (the whole interval on the wrong side), ``mean_misses`` (the mean on the wrong side),
    ``bound_misses`` (the judged bound on the wrong side) and ``summer_leave`` (the month is one of
    :func:`summer_leave_months`)."""
    leave = {s.name: summer_leave_months(s) for s in scenarios}
    rows = []
    for t in judged.itertuples():
        sel = kpis[(kpis["scenario"] == t.scenario) & (kpis["kpi"] == t.kpi) & (kpis["group"] == t.group)]
        for (index, label), g in sel.groupby(["month_index", "month"], sort=True):
            mean, low, high, _ = t_interval(g["value"].dropna().to_numpy())
            far = high if t.op == ">=" else low
            b = bound(t.op, low, high, mean)
            summer = int(str(label)[5:7]) in leave.get(t.scenario, frozenset())
            rows.append(
                (t.scenario, t.kpi, int(index), str(label), mean, low, high, wrong(t.op, t.target, far))
                + (t.group, wrong(t.op, t.target, mean), wrong(t.op, t.target, b), summer)
            )
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)
