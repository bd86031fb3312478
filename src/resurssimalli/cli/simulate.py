"""The ``simulate`` command: allocation (given or optimised now) → replications → run folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.cli.progress import progress_bar
from resurssimalli.pipeline import plan_for
from resurssimalli.report.console import (
    JUDGED_COLUMNS,
    judged_frame,
    kpi_summary_frame,
    print_frame,
    worst_place_frame,
)
from resurssimalli.report.names import Names, scenario_record
from resurssimalli.report.texts import Texts
from resurssimalli.runs import RunFolder, claim_run_path
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.runner import SimulationResult, simulate
from resurssimalli.simulate.stats import summarise_periods
from resurssimalli.simulate.verdicts import judge_local, judge_targets, worst_places


def print_kpis(res: SimulationResult, console: Console, lang: str = "en") -> None:
    """The whole area's KPIs: display names, shares in %, mean and 95 % CI over the replications."""
    t = Texts(lang)
    names = Names(res.scenario.region, t, {res.scenario.name: scenario_record(res.scenario)})
    title = t("con_kpis_title", scenario=names.scenario(res.scenario.name), n=res.replications)
    print_frame(console, kpi_summary_frame(res.summary, t), title, kinds={t("con_n"): "int"}, lang=lang)


def print_verdicts(summary: pd.DataFrame, scenarios: Sequence[Scenario], console: Console, lang: str = "en") -> None:
    """Each scenario's targets judged month by month, the failing months named in words; then,
    per target, the municipality or area that does worst and its month."""
    targets = {s.name: s.config.targets for s in scenarios}
    judged = judge_targets(summary, targets)
    if judged.empty:
        return
    t = Texts(lang)
    names = Names(scenarios[0].region, t, {s.name: scenario_record(s) for s in scenarios})
    cols = JUDGED_COLUMNS(t)
    kinds = {cols[1]: "text", cols[3]: "text"}
    print_frame(console, judged_frame(judged, names), t("con_targets_title"), kinds=kinds, lang=lang)
    worst = worst_places(judge_local(summary, targets, scenarios[0].region.municipalities))
    if not worst.empty:
        frame = worst_place_frame(worst, names)
        kinds = {c: "text" for c in frame.columns}
        print_frame(console, frame, t("con_worst_place_title"), kinds=kinds, lang=lang)


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
    name = f"{scenario.name}-sim"
    out = claim_run_path(out, name)  # the run folder's name is taken (or refused) first
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
