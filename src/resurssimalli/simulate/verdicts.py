"""Targets judged month by month: does the plan keep its promise in every month of the horizon?

A target (``kpi op value`` for a group) is judged on the CI rule used everywhere: ``meets`` when
the whole 95 % CI over replications is on the right side, ``fails`` when none of it is, else
``at_risk`` (one replication: the mean decides). What the CI is taken over depends on ``judge``:

* ``every_month`` — each calendar month on its own (the ``period = YYYY-MM`` rows of
  :func:`~resurssimalli.simulate.stats.summarise_periods`). Met only if every month meets; fails
  if any month fails. The failing (and at-risk) months are named, with the worst month's value.
* ``worst_month`` — each replication's worst month (the ``period = worst`` row).
* ``horizon`` — the mean over the months (the ``period = horizon`` row; the old rule).

Unset, shares and backlogs are judged ``every_month`` and other KPIs over the ``horizon``.

For a planning loop (e.g. the stress loop): ``judge_kpis(kpis, scenarios, targets)`` takes the
long KPI table of a sweep and returns one row per scenario × target with ``meets`` (bool),
``verdict``, the judged ``mean/ci_low/ci_high/n`` and ``period`` (the month judged), the
``failing_months`` and the horizon mean beside it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import Target
from resurssimalli.simulate.stats import HIGHER_IS_BETTER, summarise_periods

# Backlogs (counts of work waiting) judged month by month like shares.
BACKLOGS = frozenset({"overdue_conversations", "initial_interviews_waiting", "demand_to_capacity"})
VERDICT_COLUMNS = [
    "scenario",
    "kpi",
    "group",
    "op",
    "target",
    "judge",
    "verdict",
    "meets",
    "period",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "failing_months",
    "at_risk_months",
    "months_judged",
    "horizon_mean",
    "horizon_ci_low",
    "horizon_ci_high",
]
RANK = {"meets": 0, "at_risk": 1, "fails": 2}


def judge_of(t: Target) -> str:
    """The target's ``judge``; unset: ``every_month`` for shares and backlogs, else ``horizon``."""
    if t.judge is not None:
        return t.judge
    return "every_month" if t.kpi.endswith("_share") or t.kpi in BACKLOGS else "horizon"


def verdict(op: str, target: float, low: float, high: float, mean: float) -> str:
    """``meets`` when the whole CI satisfies the target, ``fails`` when none of it does, else ``at_risk``.

    Without a CI (one replication) the mean decides between meets and fails.
    """
    if math.isnan(low) or math.isnan(high):
        low = high = mean
    ok = (lambda x: x >= target) if op == ">=" else (lambda x: x <= target)
    if ok(low) and ok(high):
        return "meets"
    if not ok(low) and not ok(high):
        return "fails"
    return "at_risk"


def _row_verdict(op: str, value: float, r: pd.Series) -> str:
    return verdict(op, value, float(r["ci_low"]), float(r["ci_high"]), float(r["mean"]))


def _worst_of(op: str, months: pd.DataFrame) -> pd.Series:
    """The month with the worst mean for this target's direction (earliest on ties)."""
    m = months.sort_values("month", kind="stable")
    return m.loc[m["mean"].idxmin() if op == ">=" else m["mean"].idxmax()]


def _every_month(t: Target, rows: pd.DataFrame) -> tuple[str, pd.Series, list[str], list[str], int]:
    months = rows[~rows["period"].isin(["horizon", "worst"]) & rows["mean"].notna()]
    if months.empty:
        horizon = rows[rows["period"] == "horizon"].iloc[0]
        return _row_verdict(t.op, t.value, horizon), horizon, [], [], 0
    v = [_row_verdict(t.op, t.value, r) for _, r in months.iterrows()]
    failing = sorted(m for m, x in zip(months["month"], v, strict=True) if x == "fails")
    at_risk = sorted(m for m, x in zip(months["month"], v, strict=True) if x == "at_risk")
    overall = max(v, key=RANK.__getitem__)
    return overall, _worst_of(t.op, months), failing, at_risk, len(months)


def judge_target(scenario: str, t: Target, rows: pd.DataFrame) -> dict | None:
    """One target against the summary rows (all periods) of its scenario, KPI and group."""
    if rows.empty:
        return None
    if "period" not in rows.columns:  # a summary written before periods existed
        rows = rows.assign(period="horizon", month="")
    horizon = rows[rows["period"] == "horizon"]
    if horizon.empty:
        return None
    h = horizon.iloc[0]
    how = judge_of(t)
    failing: list[str] = []
    at_risk: list[str] = []
    n_months = 0
    if how == "every_month":
        v, judged, failing, at_risk, n_months = _every_month(t, rows)
    else:
        worst = rows[rows["period"] == "worst"]
        judged = worst.iloc[0] if how == "worst_month" and not worst.empty else h
        v = _row_verdict(t.op, t.value, judged)
        if judged is not h and v != "meets":
            (failing if v == "fails" else at_risk).append(str(judged["month"]))
    return {
        "scenario": scenario,
        "kpi": t.kpi,
        "group": t.group,
        "op": t.op,
        "target": float(t.value),
        "judge": how,
        "verdict": v,
        "meets": v == "meets",
        "period": str(judged["period"]) if judged["period"] != "worst" else f"worst {judged['month']}",
        "mean": float(judged["mean"]),
        "ci_low": float(judged["ci_low"]),
        "ci_high": float(judged["ci_high"]),
        "n": int(judged["n"]),
        "failing_months": " ".join(failing),
        "at_risk_months": " ".join(at_risk),
        "months_judged": n_months,
        "horizon_mean": float(h["mean"]),
        "horizon_ci_low": float(h["ci_low"]),
        "horizon_ci_high": float(h["ci_high"]),
    }


def judge_targets(summary: pd.DataFrame, targets: Mapping[str, Sequence[Target]]) -> pd.DataFrame:
    """Judge each scenario's targets against a summary with ``period`` rows.

    ``targets`` maps scenario name → its targets; targets whose KPI/group the summary lacks are
    skipped (the caller decides whether that is an error).
    """
    out = []
    kpis = {t.kpi for ts in targets.values() for t in ts}
    groups = {t.group for ts in targets.values() for t in ts}
    rows = summary[summary["kpi"].isin(kpis) & summary["group"].isin(groups)]  # not all 10^4 groups
    by_key = {k: g for k, g in rows.groupby(["scenario", "kpi", "group"], sort=False)}
    for scenario, ts in targets.items():
        for t in ts:
            r = judge_target(scenario, t, by_key.get((scenario, t.kpi, t.group), summary.iloc[:0]))
            if r is not None:
                out.append(r)
    return pd.DataFrame(out, columns=VERDICT_COLUMNS)


def judge_kpis(
    kpis: pd.DataFrame, scenarios: Sequence[Scenario], targets: Sequence[Target] | None = None
) -> pd.DataFrame:
    """Judge a sweep's long KPI table: ``targets`` for every scenario, or each scenario's own."""
    wanted = {s.name: list(targets if targets is not None else s.config.targets) for s in scenarios}
    return judge_targets(summarise_periods(kpis), wanted)


# ---------------------------------------------------------------------------------------------
# local verdicts: the whole area's targets judged in every municipality and responsibility area


def is_local(group: str, municipalities: Collection[str]) -> bool:
    """A place: a municipality id or a responsibility area (``area:<id>``)."""
    return group.startswith("area:") or group in municipalities


def local_targets(
    summary: pd.DataFrame, targets: Sequence[Target], municipalities: Collection[str]
) -> list[Target]:
    """Each whole-area target again for every municipality and area the summary has its KPI for."""
    out = []
    for t in targets:
        if t.group != "all":
            continue
        groups = summary.loc[summary["kpi"] == t.kpi, "group"].astype(str).unique()
        out += [t.model_copy(update={"group": g}) for g in groups if is_local(g, municipalities)]
    return out


def judge_local(
    summary: pd.DataFrame, targets: Mapping[str, Sequence[Target]], municipalities: Collection[str]
) -> pd.DataFrame:
    """:func:`judge_targets` of every scenario's whole-area targets in each municipality and area."""
    local = {
        s: local_targets(summary[summary["scenario"] == s], ts, municipalities) for s, ts in targets.items()
    }
    return judge_targets(summary, local)


def worst_places(local: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and target, the place that does worst: the worst verdict, then the worst judged
    value (its month in ``period``). Rows of :func:`judge_local`, one per scenario × target."""
    if local.empty:
        return local
    d = local.assign(
        _rank=-local["verdict"].map(RANK), _bad=local["mean"].where(local["op"] == ">=", -local["mean"])
    )
    first = {k: i for i, k in enumerate(dict.fromkeys(zip(local["scenario"], local["kpi"], strict=True)))}
    d = d.sort_values(["_rank", "_bad", "group"], kind="stable")
    out = d.groupby(["scenario", "kpi", "op", "target"], sort=False).head(1)
    out = out.assign(_o=[first[k] for k in zip(out["scenario"], out["kpi"], strict=True)])
    return out.sort_values("_o", kind="stable").drop(columns=["_rank", "_bad", "_o"])  # the targets' order


WORST_PLACE_COLUMNS = ["worst_place", "worst_place_month", "worst_place_mean"]


def with_worst_places(summary: pd.DataFrame, municipalities: Collection[str]) -> pd.DataFrame:
    """``summary.csv`` with the place and month that do worst beside each KPI's whole-area horizon
    row (KPIs whose better direction is known: :data:`HIGHER_IS_BETTER` up, backlogs and
    utilisation down), from the places' monthly means; empty elsewhere."""
    out = summary.copy()
    for c in WORST_PLACE_COLUMNS:
        out[c] = pd.NA
    months = summary[~summary["period"].isin(["horizon", "worst"]) & summary["mean"].notna()]
    months = months[[is_local(str(g), municipalities) for g in months["group"]]]
    for (scenario, kpi), g in months.groupby(["scenario", "kpi"], sort=False):
        if kpi not in HIGHER_IS_BETTER and kpi not in BACKLOGS and kpi != "staff_utilisation":
            continue
        r = g.loc[g["mean"].idxmin() if kpi in HIGHER_IS_BETTER else g["mean"].idxmax()]
        at = (out["scenario"] == scenario) & (out["kpi"] == kpi)
        at &= (out["group"] == "all") & (out["period"] == "horizon")
        out.loc[at, WORST_PLACE_COLUMNS] = [r["group"], r["month"], r["mean"]]
    return out


__all__ = [
    "HIGHER_IS_BETTER", "judge_kpis", "judge_local", "judge_of", "judge_target", "judge_targets", "verdict",
    "with_worst_places", "worst_places",
]  # fmt: skip
