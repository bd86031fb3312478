"""The ``simulate`` command: allocation (given or optimised now) → replications → run folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from resurssimalli.cli.progress import progress_bar
from resurssimalli.pipeline import plan_for
from resurssimalli.report.memo.facts import kpi_value, verdict_text
from resurssimalli.report.texts import Texts
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.runner import SimulationResult, simulate
from resurssimalli.simulate.stats import summarise_periods
from resurssimalli.simulate.verdicts import judge_targets


def summary_table(res: SimulationResult) -> Table:
    """The ``all`` group of the summary: mean and 95 % CI per KPI (replication means of months)."""
    title = f"{res.scenario.name}: {res.replications} replications, 95 % t confidence intervals"
    t = Table(title=Text(title))
    for col in ("kpi", "mean", "95 % CI", "n"):
        t.add_column(col, justify="left" if col == "kpi" else "right")
    s = res.summary[res.summary["group"] == "all"]
    for r in s.itertuples(index=False):
        t.add_row(r.kpi, f"{r.mean:,.3f}", f"{r.ci_low:,.3f} … {r.ci_high:,.3f}", str(r.n))
    return t


def verdict_table(summary: pd.DataFrame, scenarios: Sequence[Scenario]) -> Table | None:
    """Each scenario's targets judged month by month, the failing months named in words."""
    targets = {s.name: s.config.targets for s in scenarios}
    judged = judge_targets(summary, targets)
    if judged.empty:
        return None
    texts = Texts("en")
    t = Table(title="targets, judged month by month (95 % CI over replications)")
    for col in ("scenario", "target", "verdict", "year mean"):
        t.add_column(col, justify="right" if col == "year mean" else "left")
    for r in judged.itertuples(index=False):
        op = "≥" if r.op == ">=" else "≤"
        t.add_row(  # data, never rich markup (a group is written "[group]")
            Text(str(r.scenario)),
            Text(f"{r.kpi} {op} {r.target:g}" + ("" if r.group == "all" else f" [{r.group}]")),
            Text(verdict_text(texts, r)),
            Text(kpi_value(texts, r.kpi, r.horizon_mean)),
        )
    return t


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
    console.print(summary_table(res))
    verdicts = verdict_table(summarise_periods(res.kpis), [scenario])
    if verdicts is not None:
        console.print(verdicts)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
