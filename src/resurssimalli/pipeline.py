"""The main job (``resurssimalli run``): optimise → simulate (with the structural-change
scenarios against the same plan) → write one run folder → memo.

Each stage is called through its public API; this module only orders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console

from resurssimalli.experiment.compare import paired_comparison
from resurssimalli.experiment.sweep import grid, run_grid
from resurssimalli.optimize import optimize
from resurssimalli.optimize.commands import print_result
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario, load_scenario
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.commands import summary_table
from resurssimalli.simulate.stats import summarise


def sibling_scenarios(scenario: Scenario) -> list[Scenario]:
    """Scenarios in the same folder whose ``extends:`` chain starts from this scenario's file."""
    own = str(Path(scenario.path).resolve())
    out = []
    for p in sorted(Path(scenario.path).resolve().parent.glob("*.yaml")):
        if str(p) == own:
            continue
        s = load_scenario(p)
        if s.chain[0] == own:
            out.append(s)
    return out


def run_pipeline(
    scenario: Scenario,
    out: Path | None,
    console: Console,
    *,
    compare: Sequence[Scenario] = (),
    replications: int | None = None,
    months: int | None = None,
    jobs: int | None = None,
    pareto: int | None = 5,
    lang: str = "fi",
    memo: bool = True,
) -> Path:
    """Run every stage on ``scenario``; ``compare`` scenarios are simulated on the same plan."""
    console.print("[bold]1/3 optimise[/bold]")
    plan = optimize(scenario, pareto=pareto)
    print_result(plan, console)
    alloc = Allocation.from_result(plan, source=f"optimize({scenario.name})")

    console.print(
        f"[bold]2/3 simulate[/bold] {scenario.name}" + (f" + {len(compare)} scenarios" if compare else "")
    )
    jobs = jobs or 1
    sim = simulate(scenario, alloc, replications=replications, months=months, jobs=jobs)
    kpis = sim.kpis
    if compare:
        tasks = grid(compare, alloc, sim.replications, sim.seed, months)
        others = run_grid(tasks, kind="processes" if jobs > 1 else "serial", jobs=jobs)
        kpis = pd.concat([kpis, others[kpis.columns]], ignore_index=True)
    console.print(summary_table(sim))

    with RunFolder.new(scenario.name, out, scenario=scenario, command="run") as rf:
        plan.write(rf)
        sim.write(rf)
        if compare:
            rf.write_parquet("kpis.parquet", kpis)
            rf.write_csv("summary.csv", summarise(kpis))
            rf.write_csv("comparison.csv", paired_comparison(kpis, scenario.name))
            rf.extra["compared_scenarios"] = {
                s.name: {"file": str(s.path), "hash_sha256": s.hash} for s in compare
            }
    console.print(f"run folder: [bold]{rf.final}[/bold]")
    if memo:
        from resurssimalli.report import write_report

        console.print("[bold]3/3 memo[/bold]")
        for p in write_report(rf.final, lang=lang):
            console.print(f"  wrote {p.name}")
    return rf.final
