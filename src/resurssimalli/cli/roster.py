"""The ``roster`` command: the summer-leave plan and its substitutes for a scenario's plan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.optimize.leave import LeavePlan, roster_table
from resurssimalli.pipeline import plan_for, plan_roster, write_roster
from resurssimalli.report.console import print_frame
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario


def month_frame(plan: LeavePlan) -> pd.DataFrame:
    """Per month of the season: person-weeks on leave, substitute hours, the lowest week's
    capacity (with substitutes) against its work, and hours short."""
    t = roster_table(plan)
    g = t.groupby("month")
    week = t.groupby(["month", "week_start"])[["capacity_hours", "work_hours"]].sum()
    lowest = (week["capacity_hours"] / week["work_hours"]).groupby("month").min()
    return pd.DataFrame(
        {
            "month": g.size().index,
            "person-weeks on leave": g["people_on_leave"].sum().to_numpy(),
            "substitute h": g["substitute_hours"].sum().round(0).to_numpy(),
            "lowest week capacity/work": lowest.round(2).to_numpy(),
            "short h": g["short_hours"].sum().round(0).to_numpy(),
        }
    )


def print_roster(plan: LeavePlan, console: Console) -> None:
    """The plan by month, its cost, and every week and team it cannot cover."""
    s = plan.summary()
    title = (f"Summer-leave plan {s['season_year']}: {s['people']} people, "
             f"{s['leave_weeks_each']} weeks each "
             f"in blocks of >= {s['min_block_weeks']} weeks")  # fmt: skip
    kinds = {"month": "int", "lowest week capacity/work": "{:,.2f}"}
    print_frame(console, month_frame(plan), title, kinds=kinds)
    console.print(
        f"substitutes: {s['substitute_hours']:,.0f} h, {s['substitute_cost_eur']:,.0f} EUR; "
        f"leave weeks outside June-August: {s['leave_weeks_outside_june_august']}; "
        f"July wishes met: {s['july_wishes_met']} of {s['july_wishes']}",
        highlight=False, markup=False,
    )  # fmt: skip
    for problem in plan.problems:
        console.print(Text.assemble(("cannot be covered: ", "bold red"), problem))


def roster_command(
    scenario: Scenario, out: Path | None, console: Console, allocation: Path | None = None
) -> Path:
    """Plan the summer leave on the scenario's plan (optimised now, or ``--allocation``) and write
    ``roster.csv``, ``leave_plan.csv``, ``roster.json`` and ``roster.png`` to a new run folder."""
    plan = plan_for(scenario, allocation)
    leave = plan_roster(scenario, plan.allocation)
    with RunFolder.new(f"{scenario.name}-roster", out, scenario=scenario, command="roster") as rf:
        if plan.optimised is not None:
            plan.optimised.write(rf)
        write_roster(rf, leave, "en")
    print_roster(leave, console)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
