"""README.md's summer-leave figures (issue 25): the baseline's leave plan and what it does to July.

:func:`regenerate_leave_tables` (a few minutes) plans the roster on the optimised baseline
(``pipeline.plan_roster``), stores its numbers in ``readme_leave_plan.csv`` and simulates the
same plan with the planned roster, everyone's leave in July and the office's rota (10
replications, the scenario seed, common random numbers), storing every month's whole-area means
and 95 % intervals in ``readme_leave.csv``. :func:`leave_figures` renders the spans from them.
"""

from __future__ import annotations

import pandas as pd
from readme_figures import HERE, ROOT, eur, pct

from resurssimalli.optimize import optimize
from resurssimalli.optimize.leave import leave_rows, roster_table
from resurssimalli.pipeline import plan_roster
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate_many
from resurssimalli.simulate.stats import summarise_months

BASELINE = ROOT / "scenarios" / "baseline.yaml"
PLAN = HERE / "readme_leave_plan.csv"
MONTHS = HERE / "readme_leave.csv"
ROSTERS = ("planned", "july", "rota")
KPIS = ("initial_interview_on_time_share", "conversations_on_time_share", "demand_to_capacity")
REPLICATIONS = 10


def regenerate_leave_tables() -> list:
    """Plan, simulate and store the tables the leave figures are rendered from."""
    base = load_scenario(BASELINE)
    alloc = Allocation.from_result(optimize(base))
    roster = plan_roster(base, alloc)
    s, table = roster.summary(), roster_table(roster)
    week = table.groupby(["month", "week_start"])["people_on_leave"].sum().groupby("month").max()
    plan = {
        "people": s["people"], "weeks_each": s["leave_weeks_each"], "block": s["min_block_weeks"],
        "margin": 1 + s["capacity_margin"], "substitute_hours": s["substitute_hours"],
        "substitute_eur": s["substitute_cost_eur"], "july_max": week[7], "june_max": week[6],
        "july_sub": s["substitute_hours_by_month"][7], "june_sub": s["substitute_hours_by_month"][6],
        "wishes": s["july_wishes"], "wishes_met": s["july_wishes_met"],
        "outside": s["leave_weeks_outside_june_august"], "first": table["week_start"].min(),
        "last": table["week_start"].max(),
    }  # fmt: skip
    pd.Series(plan).to_csv(PLAN, header=["value"])
    with_leave = alloc.with_leave(leave_rows(roster))
    scenarios = [load_scenario(BASELINE, {"name": r, "staff": {"absence": {"summer_leave": r}}}) for r in ROSTERS]
    sims = simulate_many(scenarios, with_leave, replications=REPLICATIONS, jobs=2)
    kpis = pd.concat([sims[r].kpis for r in ROSTERS], ignore_index=True)
    kpis = kpis[(kpis["group"] == "all") & kpis["kpi"].isin(KPIS)]
    summarise_months(kpis)[["scenario", "kpi", "month", "mean", "ci_low", "ci_high"]].to_csv(
        MONTHS, index=False, float_format="%.10g"
    )
    return [PLAN, MONTHS]


def _value(m: pd.DataFrame, roster: str, kpi: str, month: str, ci: bool = False) -> str:
    r = m[(m["scenario"] == roster) & (m["kpi"] == kpi) & (m["month"] == month)].iloc[0]
    share = kpi.endswith("_share")
    text = pct(r["mean"]) if share else f"{r['mean']:.2f}"
    if ci:
        text += f" (CI {pct(r['ci_low']).removesuffix(' %')}–{pct(r['ci_high'])})"
    return text


def leave_figures() -> dict[str, str]:
    """The leave spans of README.md, from the stored tables."""
    p = pd.read_csv(PLAN, index_col=0)["value"]
    m = pd.read_csv(MONTHS)
    i, c, d = KPIS
    july = "2024-07"
    first, last = pd.Timestamp(p["first"]), pd.Timestamp(p["last"]) + pd.Timedelta(days=4)
    return {
        "leave_plan": (
            f"The {int(p['people'])} people behind the plan each take {int(p['weeks_each'])} whole weeks "
            f"of leave in {first:%-d.%-m.}–{last:%-d.%-m.%Y}, in blocks of at least {int(p['block'])} weeks, "
            f"with someone of every interview queue on duty every week; at most {int(p['july_max'])} are "
            f"away in a July week and {int(p['june_max'])} in a June week; {int(p['wishes_met'])} of the "
            f"{int(p['wishes'])} July wishes are met and {int(p['outside'])} leave weeks fall in May or "
            f"September. Keeping every team's (area × service line) weekly hours at its work × {float(p['margin']):g} takes "
            f"{eur(float(p['substitute_hours']))} substitute hours ({eur(float(p['substitute_eur']))} €; "
            f"{eur(float(p['july_sub']))} h in July, {eur(float(p['june_sub']))} h in June)"
        ),
        "leave_july": (
            f"initial interviews on time {_value(m, 'planned', i, july, True)} and conversations "
            f"{_value(m, 'planned', c, july, True)}, work-to-capacity {_value(m, 'planned', d, july)}, against "
            f"{_value(m, 'july', i, july)} / {_value(m, 'july', c, july)} / {_value(m, 'july', d, july)} with "
            f"everyone's leave in July and {_value(m, 'rota', i, july)} / {_value(m, 'rota', c, july)} / "
            f"{_value(m, 'rota', d, july)} with the office's rota"
        ),
        "leave_price": (
            f"conversations on time {_value(m, 'planned', c, '2023-08')} and {_value(m, 'planned', c, '2023-09')} "
            f"in August and September 2023 against {_value(m, 'july', c, '2023-08')} and "
            f"{_value(m, 'july', c, '2023-09')} with all leave in July; in June {_value(m, 'planned', c, '2024-06')} "
            f"against {_value(m, 'july', c, '2024-06')}"
        ),
    }
