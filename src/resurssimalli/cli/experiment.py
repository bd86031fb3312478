"""The ``sweep``, ``stress`` and ``optimize --robust`` commands: call the stage, print, write."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.cli.progress import progress_bar
from resurssimalli.executors import Kind
from resurssimalli.report.console import df_table
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import Target
from resurssimalli.simulate import Allocation


def sweep_command(
    scenarios: Sequence[Scenario],
    console: Console,
    *,
    replications: int,
    jobs: int | None,
    scheduler: str | None,
    resume: Path | None,
    out: Path | None,
    allocation: Path | None,
    seed: int | None,
    months: int | None,
    kind: Kind,
) -> Path:
    from resurssimalli.experiment.sweep import sweep

    alloc = Allocation.from_run_folder(allocation) if allocation else None
    with progress_bar(console, "sweep") as progress:
        res = sweep(
            scenarios,
            replications,
            allocation=alloc,
            seed=seed,
            months=months,
            kind=kind,
            jobs=jobs,
            scheduler=scheduler,
            resume=resume,
            out=out,
            progress=progress,
        )
    console.print(f"{res.computed} tasks computed, {res.reused} reused from the earlier run")
    if not res.comparison.empty:
        comp = res.comparison[res.comparison["group"] == "all"].drop(columns="group")
        console.print(df_table(comp, "Paired differences against the baseline (95 % CI)", "{:,.3f}"))
    console.print(Text.assemble("sweep folder: ", (str(res.folder), "bold")))
    return res.folder


def _print_moves(res, console: Console) -> None:
    """Hours and HTV moved to each area × line within the budget (or asked beyond it), and the
    months that missed clearly in the last iteration."""
    if not res.moves.empty:
        moves = res.moves.rename(columns={"extra_hours": "hours", "extra_htv": "HTV"})
        console.print(df_table(moves, "Minimum hours raised per area and line (a year)", "{:,.2f}"))
        console.print(f"  total {res.moves['extra_htv'].sum():,.2f} HTV", highlight=False)
    for r in res.queues.itertuples():
        console.print(
            f"  iteration {r.iteration}: {r.scenario} {r.queue} at {r.bound:.3f} -> +{r.hours_added:,.0f} h",
            highlight=False,
            markup=False,
        )
    m = res.months
    last = m[(m["iteration"] == m["iteration"].max()) & m["clearly_missed"]] if not m.empty else m
    for r in last.itertuples():
        console.print(
            f"  {r.scenario}: {r.month} missed clearly ({r.kpi} {r.mean:.3f}, "
            f"CI {r.ci_low:.3f}-{r.ci_high:.3f})",
            highlight=False,
            markup=False,
        )


def _iterations_table(it: pd.DataFrame) -> pd.DataFrame:
    """Each iteration's verdict per scenario and target, compact for the console."""
    target = (
        it["kpi"] + it["group"].map(lambda g: "" if g == "all" else f"[{g}]") + " " + it["op"] + " "
        + it["target"].map("{:g}".format)
    )
    cols = ["iteration", "scenario", "target", "mean", "ci_low", "ci_high", "meets"]
    cols += ["extra_hours_total", "unserved_hours_total"]
    return it.assign(target=target)[cols].rename(
        columns={"iteration": "it", "extra_hours_total": "extra h", "unserved_hours_total": "unserved h"}
    )


def _print_status(res: Any, console: Console, max_iterations: int) -> None:
    if res.status == "met":
        n = res.iterations["iteration"].max()
        console.print(f"[green]every scenario meets its targets[/green] after {n} iteration(s)")
    elif res.status == "budget_insufficient":
        cert = res.certificate
        console.print(
            f"[red]budget insufficient[/red]: the minimum hours need {cert.required_htv:,.2f} HTV "
            f"of {cert.total_htv:,.2f} (short {cert.short_htv:,.2f} HTV; "
            f"minimum-hours model {cert.solver_status})",
            highlight=False,
        )
    else:
        console.print(f"[yellow]targets still missed after {max_iterations} iterations[/yellow]")


def stress_command(
    scenarios: Sequence[Scenario],
    console: Console,
    *,
    targets: Sequence[Target] | None,
    replications: int,
    jobs: int | None,
    months: int | None,
    max_iterations: int,
    out: Path | None,
) -> Path:
    from resurssimalli.experiment.stress import stress

    res = stress(
        scenarios, targets, replications=replications, jobs=jobs, months=months, max_iterations=max_iterations
    )
    console.print(df_table(_iterations_table(res.iterations), "Stress loop iterations (95 % CI)", "{:,.3f}"))
    _print_status(res, console, max_iterations)
    _print_moves(res, console)
    with RunFolder.new(f"stress-{scenarios[0].name}", out, scenario=scenarios[0], command="stress") as rf:
        res.write(rf, scenarios, replications)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final


def robust_command(
    scenarios: Sequence[Scenario],
    console: Console,
    *,
    out: Path | None,
    time_limit: float | None,
    gap: float | None,
) -> Path:
    from resurssimalli.experiment.robust import robust_plan

    res = robust_plan(scenarios, time_limit=time_limit, gap=gap)
    s = res.summary()
    console.print(
        f"robust plan over {len(scenarios)} scenarios: {s['status']}, gap {s['gap'] or 0:.2%}; open: "
        f"{', '.join(s['open_sites'])}",
        highlight=False,
    )
    costs = res.scenario_costs.assign(weight=res.scenario_costs["weight"].map("{:.2f}".format))
    console.print(df_table(costs, "Cost by scenario (EUR/year)", "{:,.0f}"))
    console.print(
        f"extra cost in {s['baseline_scenario']} against its own optimal plan: "
        f"{s['extra_cost_in_baseline_eur']:,.0f} EUR/year",
        highlight=False,
        markup=False,
    )
    with RunFolder.new(
        f"robust-{scenarios[0].name}", out, scenario=scenarios[0], command="optimize --robust"
    ) as rf:
        rf.write_csv("sites.csv", res.sites)
        rf.write_csv("allocation.csv", res.allocation)
        rf.write_csv("access.csv", res.access)
        rf.write_csv("costs.csv", res.costs)
        rf.write_csv("robust_costs.csv", res.scenario_costs)
        rf.write_csv("unserved.csv", res.unserved)
        rf.write_json("summary.json", s)
        rf.extra["robust"] = {"scenarios": {x.name: x.hash for x in scenarios}}
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
