"""The ``simulate`` command: allocation (given or optimised now) → replications → run folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.cli.progress import progress_bar
from resurssimalli.pipeline import plan_for
from resurssimalli.report.console import judged_frame, kpi_summary_frame, print_frame
from resurssimalli.report.names import Names, scenario_record
from resurssimalli.report.texts import Texts
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.runner import SimulationResult, simulate
from resurssimalli.simulate.stats import summarise_periods
from resurssimalli.simulate.verdicts import judge_targets


def print_kpis(res: SimulationResult, console: Console) -> None:
    """The whole area's KPIs: display names, shares in %, mean and 95 % CI over the replications."""
    names = Names(res.scenario.region, Texts("en"), {res.scenario.name: scenario_record(res.scenario)})
    title = f"{names.scenario(res.scenario.name)}: {res.replications} replications, 95% t confidence intervals"
    print_frame(console, kpi_summary_frame(res.summary, names.t), title, kinds={"n": "int"})


def print_verdicts(summary: pd.DataFrame, scenarios: Sequence[Scenario], console: Console) -> None:
    """Each scenario's targets judged month by month, the failing months named in words."""
    judged = judge_targets(summary, {s.name: s.config.targets for s in scenarios})
    if judged.empty:
        return
    names = Names(scenarios[0].region, Texts("en"), {s.name: scenario_record(s) for s in scenarios})
    title = "Targets, judged month by month (95% CI over replications)"
    print_frame(console, judged_frame(judged, names), title, kinds={"target": "text", "verdict": "text"})


def print_unplaced(res: SimulationResult, console: Console) -> None:
    """Say when the scenario's staff budget is larger than the fixed plan places (never silent)."""
    if res.unplaced_htv > 0:
        budget = float(res.scenario.config.staff.total_htv)
        console.print(
            f"note: the plan places {budget - res.unplaced_htv:,.2f} of the scenario's {budget:,.2f} HTV "
            f"(staff.total_htv); the other {res.unplaced_htv:,.2f} HTV are not simulated: more staff "
            "need a new plan (resurssimalli run or optimize on this scenario)",
            highlight=False,
            markup=False,
        )


def simulate_command(
    scenario: Scenario,
    out: Path | None,
    console: Console,
    *,
    allocation: Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    months: int | None = None,
    precision: float | None = None,
    event_log: bool = False,
) -> Path:
    """Run the simulation and write ``kpis.parquet``, ``summary.csv`` and figures to a new run folder."""
    if allocation is None:
        console.print("no --allocation: optimising the scenario first")
    plan = plan_for(scenario, allocation)
    optimised = plan.optimised
    with progress_bar(console, "simulate") as progress:
        res = simulate(
            scenario,
            plan.allocation,
            replications=replications,
            seed=seed,
            jobs=jobs,
            months=months,
            precision=precision,
            event_log=event_log,
            progress=progress,
        )
    name = f"{scenario.name}-sim"
    with RunFolder.new(name, out, scenario=scenario, command="simulate", seed=res.seed) as rf:
        if optimised is not None:
            rf.write_csv("allocation.csv", optimised.allocation)
            rf.write_csv("sites.csv", optimised.sites)
            rf.write_csv("access.csv", optimised.access)
        res.write(rf)
    print_kpis(res, console)
    print_unplaced(res, console)
    print_verdicts(summarise_periods(res.kpis), [scenario], console)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
