"""The ``simulate`` command: allocation (given or optimised now) → replications → run folder."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from resurssimalli.cli.progress import progress_bar
from resurssimalli.pipeline import plan_for
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.runner import SimulationResult, simulate


def summary_table(res: SimulationResult) -> Table:
    """The ``all`` group of the summary: mean and 95 % CI per KPI (replication means of months)."""
    t = Table(title=f"{res.scenario.name}: {res.replications} replications, 95 % t confidence intervals")
    for col in ("kpi", "mean", "95 % CI", "n"):
        t.add_column(col, justify="left" if col == "kpi" else "right")
    s = res.summary[res.summary["group"] == "all"]
    for r in s.itertuples(index=False):
        t.add_row(r.kpi, f"{r.mean:,.3f}", f"{r.ci_low:,.3f} … {r.ci_high:,.3f}", str(r.n))
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
    console.print(f"run folder: [bold]{rf.final}[/bold]")
    return rf.final
