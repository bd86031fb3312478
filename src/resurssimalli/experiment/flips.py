"""Where each verdict flips: for the assumptions that matter most, the verdict at the low and high
end of the range with every other assumption at the scenario's value (the tornado's bars), and,
where an end gives the other verdict, the value at which it flips, found by bisection between the
scenario's value and that end.

A verdict is a target met on the worst month's mean (``initial_interview_on_time_share >= 0.9``)
or a candidate site opened. Every point goes through the caller's ``run`` (a batch on the
executors, stored, so a resumed run repeats nothing): one batch for the ends, then one per
bisection step for every search at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from resurssimalli.experiment.factors import Factor
from resurssimalli.experiment.sensitivity_eval import SITE_PREFIX, WORST_MONTH, Point
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.verdicts import judge_of

Outputs = Mapping[str, float]
RunFn = Callable[[list[Point]], dict[str, Outputs]]
PointFn = Callable[[Mapping[str, float], bool], Point]
OAT_COLUMNS = ["factor", "output", "x_low", "x_base", "x_high", "at_low", "at_base", "at_high"]
FLIP_COLUMNS = [
    "verdict", "output", "factor", "side", "holds_at_base", "flips", "x_base", "x_holds", "x_flips",
    "value_base", "value_holds", "value_flips",
]  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """A yes/no answer of the plan: ``output op target`` (a site: open when its output is 1)."""

    name: str
    output: str
    op: str
    target: float

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value >= self.target if self.op == ">=" else value <= self.target

    @property
    def needs_simulation(self) -> bool:
        return not self.output.startswith(SITE_PREFIX)


def verdicts(scenario: Scenario, outputs: Sequence[str]) -> list[Verdict]:
    """The scenario's area-wide targets on the worst-month shares (judged month by month) and
    every candidate site's open state."""
    by_kpi = {kpi: out for out, kpi in WORST_MONTH.items()}
    out = [
        Verdict(f"{t.kpi} {t.op} {t.value:g}", by_kpi[t.kpi], t.op, float(t.value))
        for t in scenario.config.targets
        if t.kpi in by_kpi and t.group == "all" and judge_of(t) in ("every_month", "worst_month")
    ]
    return out + [Verdict(o, o, ">=", 0.5) for o in outputs if o.startswith(SITE_PREFIX)]


def chosen(verdicts_: Sequence[Verdict], importance: pd.DataFrame, top: int) -> dict[str, list[str]]:
    """Per verdict the ``top`` factors of its output by importance (above zero only)."""
    out = {}
    for v in verdicts_:
        rows = importance[(importance["output"] == v.output) & (importance["importance"] > 0)]
        out[v.name] = list(rows.sort_values("rank", kind="stable")["factor"].head(top))
    return out


def _xs(factors: Sequence[Factor], name: str, x: float) -> dict[str, float]:
    return {f.name: (x if f.name == name else f.base_x) for f in factors}


def one_at_a_time(
    factors: Sequence[Factor], names: Sequence[str], point: PointFn, run: RunFn
) -> tuple[pd.DataFrame, dict[tuple[str, str], Outputs]]:
    """Each named factor at its range's ends (others at the scenario's values): the tornado table
    (one row per factor × output) and the outputs by (factor, end)."""
    by = {f.name: f for f in factors}
    base = point(_xs(factors, "", 0.0), True)
    ends = {(n, e): point(_xs(factors, n, getattr(by[n], e)), True) for n in names for e in ("low", "high")}
    res = run([base, *ends.values()])
    got = {k: res[p.key] for k, p in ends.items()} | {("", "base"): res[base.key]}
    rows = [
        (
            n,
            o,
            by[n].low,
            by[n].base_x,
            by[n].high,
            got[(n, "low")].get(o),
            res[base.key][o],
            got[(n, "high")].get(o),
        )
        for n in names
        for o in res[base.key]
    ]
    return pd.DataFrame(rows, columns=OAT_COLUMNS), got


@dataclass
class _Search:
    verdict: Verdict
    factor: Factor
    side: str
    holds: float  # x where the verdict is the scenario's
    flips: float  # x where it is the other


def _searches(
    verdicts_: Sequence[Verdict],
    picked: Mapping[str, list[str]],
    by: Mapping[str, Factor],
    got: Mapping[tuple[str, str], Outputs],
) -> tuple[list[_Search], list[tuple]]:
    """A search for every (verdict, factor, end) whose end gives the other verdict; rows for the
    pairs that do not flip within the range."""
    searches, steady = [], []
    base = got[("", "base")]
    for v in verdicts_:
        at_base = v.holds(base.get(v.output, math.nan))
        for name in picked.get(v.name, []):
            f = by[name]
            found = False
            for side in ("low", "high"):
                if v.holds(got[(name, side)].get(v.output, math.nan)) != at_base:
                    searches.append(_Search(v, f, side, f.base_x, getattr(f, side)))
                    found = True
            if not found:
                steady.append((v.name, v.output, name, "", at_base, False, f.base_x, math.nan, math.nan))
    return searches, steady


def flip_values(
    factors: Sequence[Factor],
    verdicts_: Sequence[Verdict],
    picked: Mapping[str, list[str]],
    got: Mapping[tuple[str, str], Outputs],
    point: PointFn,
    run: RunFn,
    steps: int,
) -> pd.DataFrame:
    """Bisection (``steps`` halvings) between the scenario's value and each end that flips a
    verdict; a choice flips at the alternative itself."""
    by = {f.name: f for f in factors}
    searches, rows = _searches(verdicts_, picked, by, got)
    base = got[("", "base")]
    for _ in range(steps):
        live = [s for s in searches if s.factor.kind != "choice" and not _settled(s)]
        if not live:
            break
        mids = [(s, (s.holds + s.flips) / 2) for s in live]
        pts = [point(_xs(factors, s.factor.name, x), s.verdict.needs_simulation) for s, x in mids]
        res = run(pts)
        at_base = {s.verdict.name: s.verdict.holds(base.get(s.verdict.output, math.nan)) for s in live}
        for (s, x), p in zip(mids, pts, strict=True):
            if s.verdict.holds(res[p.key].get(s.verdict.output, math.nan)) == at_base[s.verdict.name]:
                s.holds = x
            else:
                s.flips = x
    for s in searches:
        at_base = s.verdict.holds(base.get(s.verdict.output, math.nan))
        rows.append((s.verdict.name, s.verdict.output, s.factor.name, s.side, at_base, True, s.factor.base_x,
                     s.holds, s.flips))  # fmt: skip
    out = pd.DataFrame(rows, columns=FLIP_COLUMNS[:9])
    for col, xcol in (("value_base", "x_base"), ("value_holds", "x_holds"), ("value_flips", "x_flips")):
        out[col] = [_text(by[n], x) for n, x in zip(out["factor"], out[xcol], strict=True)]
    return out[FLIP_COLUMNS]


def _settled(s: _Search) -> bool:
    """An integer value whose two ends are neighbouring values: nothing lies between."""
    if not s.factor.integer:
        return False
    a, b = s.factor.value(s.holds), s.factor.value(s.flips)
    return isinstance(a, int) and isinstance(b, int) and abs(a - b) <= 1


def _text(f: Factor, x: float) -> str:
    """A factor's value at x as text: a number or word, or ×factor for a mapping scaled."""
    if isinstance(x, float) and math.isnan(x):
        return ""
    v = f.value(x)
    if isinstance(v, (dict, list)):
        return f"×{x:.3g}" if f.kind in ("relative", "spread") else str(v)
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v)
