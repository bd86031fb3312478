"""The memo's section on the stress loop (``resurssimalli stress`` run folders, issue 24).

How the loop ended and the plan it returned (its HTV and cost against the first plan's), the
brackets per area × service line in hours and HTV and against the first plan (with their total),
what each ask fixes (scenarios and months), the misses that got no hours with their cause, and the
months the returned plan still misses clearly. Present only when the run folder holds the loop's
files.
"""

from __future__ import annotations

from resurssimalli.report.memo.document import Block, Column, Para, Section, Table
from resurssimalli.report.memo.facts import Facts, kpi_ci, kpi_value
from resurssimalli.report.stress_tables import (
    bracket_totals,
    brackets_frame,
    causes_frame,
    missed_months,
    pair_frame,
)


def _info(f: Facts) -> dict:
    return dict(f.res.manifest.get("stress", {}) or {})


def _status(f: Facts) -> Para:
    """How the loop ended: the returned plan (round, HTV, cost) or, when the budget cannot, the
    lower ends' HTV against it and the plan at the upper ends."""
    t, info = f.t, _info(f)
    key = {
        "met": "stressloop_met",
        "causes_remain": "stressloop_causes_remain",
        "at_risk": "stressloop_at_risk",
        "budget_insufficient": "stressloop_insufficient",
        "undecided": "stressloop_undecided",
        "coupled": "stressloop_coupled",
    }.get(str(info.get("status", "")), "stressloop_max")
    insufficient = key == "stressloop_insufficient"

    def num(name: str, decimals: int) -> str:
        return t.num(float(info.get(name, float("nan"))), decimals)

    return Para(
        t(
            key,
            n=t.num(int(info.get("plan_round", 0) or 0), 0),
            htv=num("plan_htv", 2),
            cost=num("upper_plan_cost_eur" if insufficient else "plan_cost_eur", 0),
            first_cost=num("first_plan_cost_eur", 0),
            total=num("budget_htv", 2),
            lower=num("lower_htv", 2),
            upper=num("upper_minimum_htv" if key == "stressloop_undecided" else "upper_htv", 2),
            tol=_tol(t, info.get("tolerance_htv", 0.1)),
        )
    )


def _range(t, lo: float, hi: float, decimals: int, sign: bool = False) -> str:
    def fmt(x: float) -> str:
        s = t.num(x, decimals)
        return ("+" + s) if sign and x >= 0 and not s.startswith("-") and s != "–" else s

    return f"{fmt(lo)}–{fmt(hi)}" if lo == lo else f"≤ {fmt(hi)}"


def _brackets(f: Facts) -> Table | None:
    t, raw = f.t, f.res.table("stress_brackets.csv")
    b = pair_frame(raw, f.names)
    if b.empty:
        return None
    rows = [
        [r.area, r.line, _range(t, r.lower_hours, r.upper_hours, 0), _range(t, r.lower_htv, r.upper_htv, 2),
         _range(t, r.added_lower_htv, r.added_upper_htv, 2, sign=True)]
        for r in b.itertuples()
    ]  # fmt: skip
    tot = bracket_totals(raw)
    rows.append(
        [t("col_total"), "", _range(t, tot["lower_hours"], tot["upper_hours"], 0),
         _range(t, tot["lower_htv"], tot["upper_htv"], 2),
         _range(t, tot["added_lower_htv"], tot["added_upper_htv"], 2, sign=True)]
    )  # fmt: skip
    cols = (
        Column(t("col_area")),
        Column(t("col_line")),
        Column(t("stressloop_col_hours"), True),
        Column(t("col_htv"), True),
        Column(t("stressloop_col_change"), True),
    )
    tol = _tol(t, _info(f).get("tolerance_htv", 0.1))
    return Table("stress_brackets", t("stressloop_brackets", tol=tol), cols, rows, total_row=True)


def _fixes(f: Facts) -> Table | None:
    t = f.t
    b = brackets_frame(f.res.table("stress_brackets.csv"), f.names).drop_duplicates("unit")
    if b.empty:
        return None
    rows = [[r.unit, r.scenarios, r.months] for r in b.itertuples()]
    cols = (
        Column(t("stressloop_col_queue")),
        Column(t("stressloop_col_scenarios")),
        Column(t("stressloop_col_months")),
    )
    return Table("stress_fixes", t("stressloop_fixes"), cols, rows)


def _causes(f: Facts) -> Table | None:
    t = f.t
    c = causes_frame(f.res.table("stress_causes.csv"), f.names)
    if c.empty:
        return None
    rows = [[r.unit, r.scenario, r.kpi, r.months, r.cause] for r in c.itertuples()]
    cols = (
        Column(t("stressloop_col_queue")),
        Column(t("col_scenario")),
        Column(t("stressloop_col_kpi")),
        Column(t("stressloop_col_months")),
        Column(t("stressloop_col_cause")),
    )
    return Table("stress_causes", t("stressloop_causes"), cols, rows)


def _months(f: Facts) -> Table | None:
    t, n = f.t, f.names
    m = missed_months(f.res.table("stress_months.csv"), n)
    if m.empty:
        return None
    rows = [
        [
            r.scenario,
            n.kpi(r.kpi),
            r.month,
            kpi_value(t, r.kpi, r.mean),
            kpi_ci(t, r.kpi, r.ci_low, r.ci_high),
        ]
        for r in m.itertuples()
    ]
    cols = (
        Column(t("col_scenario")),
        Column(t("stressloop_col_kpi")),
        Column(t("stressloop_col_month")),
        Column(t("stressloop_col_mean"), True),
        Column(t("stressloop_col_ci"), True),
    )
    return Table("stress_months", t("stressloop_months"), cols, rows)


def _tol(t, htv: object) -> str:
    """A tolerance in HTV with the decimals it has (0.1, 0.05, 0.025)."""
    s = t.num(float(htv), 3)  # type: ignore[arg-type]
    return s.rstrip("0").rstrip(",.") if any(c in s for c in ",.") else s


def _precision(f: Facts) -> list[Para]:
    """The replications the bisection ran on and those the asks were settled on, when more; the
    tolerance the brackets were narrowed to, when the budget lay inside them at the stated one."""
    info, t = _info(f), f.t
    start, reps = int(info.get("replications_start", 0) or 0), int(info.get("replications", 0) or 0)
    out = []
    if start and reps > start:
        out.append(Para(t("stressloop_confirm", start=t.num(start, 0), reps=t.num(reps, 0))))
    tol = float(info.get("tolerance_htv", 0.1))
    stated = float(info.get("tolerance_htv_stated", tol))
    if tol < stated - 1e-12:
        out.append(Para(t("stressloop_narrowed", stated=_tol(t, stated), tol=_tol(t, tol))))
    return out


def _leave(f: Facts) -> list[Para]:
    """When the first plan missed only in summer months and the leave plan held them: the loop
    went on with the leave plan, at its substitutes' hours and cost."""
    info = _info(f)
    if not info.get("leave_plan"):
        return []
    hours, eur = float(info.get("substitute_hours", 0.0)), float(info.get("substitute_cost_eur", 0.0))
    return [Para(f.t("stressloop_leave_plan", hours=f.t.num(hours, 0), eur=f.t.num(eur, 0)))]


def stress_loop(f: Facts) -> Section | None:
    """The loop's answer, or None when the run is not a stress run."""
    if f.res.table("stress_iterations.csv") is None or "stress" not in f.res.manifest:
        return None
    info = _info(f)
    tol = _tol(f.t, info.get("tolerance_htv_stated", info.get("tolerance_htv", 0.1)))
    blocks: list[Block] = [Para(f.t("stressloop_text", tol=tol)), *_precision(f), _status(f), *_leave(f)]
    blocks += [b for b in (_brackets(f), _fixes(f), _causes(f), _months(f)) if b is not None]
    return Section("stress_loop", f.t("sec_stress_loop"), blocks)
