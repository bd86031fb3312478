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
from resurssimalli.report.console import SHARE_KPIS, kpi_text, print_frame
from resurssimalli.report.names import Names, scenario_record
from resurssimalli.report.stress_tables import last_queues, missed_months, moves_frame
from resurssimalli.report.texts import Texts
from resurssimalli.runs import RunFolder, claim_run_path
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
    from resurssimalli.experiment.sweep import default_sweep_folder, sweep

    alloc = Allocation.from_run_folder(allocation) if allocation else None
    if out is None and resume is None:
        out = default_sweep_folder()
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
        frame = comparison_frame(res.comparison, _names(scenarios))
        print_frame(console, frame, "Paired differences against the baseline (95% CI)", kinds={"KPI": "text"})
    console.print(Text.assemble("sweep folder: ", (str(res.folder), "bold")))
    return res.folder


def comparison_frame(comp: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The whole area's paired differences in words: scenario, KPI, the baseline's mean, the
    difference (percentage points for shares) and its 95% CI (the scenario's own mean is in
    comparison.csv)."""
    c = comp[comp["group"] == "all"]
    rows = []
    for r in c.itertuples(index=False):
        share = r.kpi in SHARE_KPIS
        diff = (lambda x: f"{100 * x:+.1f} pp") if share else (lambda x: f"{x:+,.1f}")  # noqa: E731
        rows.append(
            (
                names.scenario(str(r.scenario)),
                names.kpi(r.kpi),
                kpi_text(r.kpi, r.baseline_mean),
                diff(r.diff_mean),
                f"{diff(r.diff_ci_low)} – {diff(r.diff_ci_high)}",
            )
        )
    return pd.DataFrame(rows, columns=["scenario", "KPI", "baseline", "difference", "95% CI"])


def _names(scenarios: Sequence[Scenario]) -> Names:
    return Names(scenarios[0].region, Texts("en"), {s.name: scenario_record(s) for s in scenarios})


def _print_moves(res: Any, console: Console, names: Names) -> None:
    """HTV moved to each area × line within the budget (or asked beyond it), the queues located
    as failing in the last iteration and the months that missed clearly."""
    if not res.moves.empty:
        moves = moves_frame(res.moves, names).rename(columns={"hours": "hours a year", "htv": "HTV"})
        title = "Minimum hours raised per area and service line"
        print_frame(console, moves, title, kinds={"hours a year": "int", "HTV": "htv"})
    q = last_queues(res.queues, names)
    if not q.empty:
        q = q.assign(
            kpi=[names.kpi(k) for k in q["kpi"]],
            bound=[kpi_text(k, b) for k, b in zip(q["kpi"], q["bound"], strict=True)],
        ).rename(columns={"kpi": "KPI", "bound": "missed at", "hours": "hours added"})
        title = f"Where the loop located the misses (iteration {int(q['iteration'].iloc[0])})"
        print_frame(console, q.drop(columns="iteration"), title, kinds={"hours added": "int"})
    m = missed_months(res.months, names)
    if not m.empty:
        shown = pd.DataFrame(
            {
                "scenario": m["scenario"],
                "KPI": [names.kpi(k) for k in m["kpi"]],
                "month": m["month"],
                "mean": [kpi_text(k, x) for k, x in zip(m["kpi"], m["mean"], strict=True)],
                "95% CI": [
                    f"{kpi_text(k, lo)} – {kpi_text(k, hi)}"
                    for k, lo, hi in zip(m["kpi"], m["ci_low"], m["ci_high"], strict=True)
                ],
            }
        )
        print_frame(console, shown, "Months missed clearly (last iteration)")


def _judged(names: Names, period: object) -> str:
    """The period a verdict judged: its month (every_month: the worst one), the worst month of each
    replication, or the horizon's mean."""
    p = "" if period is None else str(period)
    if p in ("", "nan"):
        return ""
    return {"worst": "worst month", "horizon": "year"}.get(p) or names.t.month(p)


def _iterations_frame(it: pd.DataFrame, names: Names, productive_hours: float) -> pd.DataFrame:
    """Each iteration's verdict per scenario and target, in display names, with the month judged."""
    rows = []
    for r in it.itertuples(index=False):
        op = "≥" if r.op == ">=" else "≤"
        group = "" if r.group == "all" else f", {names.group(str(r.group))}"
        rows.append(
            (
                int(r.iteration),
                names.scenario(str(r.scenario)),
                f"{names.kpi(r.kpi)}{group} {op} {kpi_text(r.kpi, r.target)}",
                _judged(names, getattr(r, "period", "")),
                kpi_text(r.kpi, r.mean),
                f"{kpi_text(r.kpi, r.ci_low)} – {kpi_text(r.kpi, r.ci_high)}",
                "yes" if bool(r.meets) else "no",
                float(r.extra_hours_total) / productive_hours,
                float(r.unserved_hours_total),
            )
        )
    cols = ["it.", "scenario", "target", "judged", "mean", "95% CI", "meets", "HTV added", "hours unserved"]
    return pd.DataFrame(rows, columns=cols)


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
        fails = res.failing[res.failing["verdict"] == "fails"]
        months = " ".join(sorted(set(" ".join(fails["months"].astype(str)).split())))
        what = (
            "only summer-leave months fail (all coaches' leave at once)"
            if res.summer_leave_only
            else "failing"
        )
        console.print(f"{what}: {months}", highlight=False, markup=False)
        if res.summer_leave_only:
            htv = res.summer_hours / cert.productive_hours_per_htv
            console.print(f"those months alone ask {htv:,.1f} HTV more (the hours table shows the rest)")
    elif res.status == "at_risk":
        console.print(
            "[yellow]every month meets on its mean[/yellow]; some month's 95% CI still reaches past the "
            "target at the replication cap (more replications decide it, not hours)"
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

    out = claim_run_path(out, f"stress-{scenarios[0].name}")  # the run folder's name is taken first
    with progress_bar(console, "stress") as progress:
        res = stress(
            scenarios,
            targets,
            replications=replications,
            jobs=jobs,
            months=months,
            max_iterations=max_iterations,
            progress=progress,
        )
    names = _names(scenarios)
    frame = _iterations_frame(res.iterations, names, scenarios[0].config.staff.productive_hours_per_htv)
    kinds = {"HTV added": "htv", "hours unserved": "int", "target": "text"}
    print_frame(console, frame, "Stress loop iterations (95% CI)", kinds=kinds)
    _print_status(res, console, max_iterations)
    _print_moves(res, console, names)
    with RunFolder.new(f"stress-{scenarios[0].name}", out, scenario=scenarios[0], command="stress") as rf:
        res.write(rf, scenarios, replications)
        rf.extra["compared_scenarios"] = {s.name: scenario_record(s) for s in scenarios[1:]}
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
    from resurssimalli.scenario.load import check_distinct

    check_distinct(scenarios, "optimize --robust")
    res = robust_plan(scenarios, time_limit=time_limit, gap=gap)
    s = res.summary()
    names = _names(scenarios)
    console.print(
        f"robust plan over {len(scenarios)} scenarios: {s['status']}, gap {100 * (s['gap'] or 0):.2f}%; open: "
        f"{', '.join(names.site(x) for x in s['open_sites'])}",
        highlight=False,
        markup=False,
    )
    c = res.scenario_costs
    costs = pd.DataFrame(
        {
            "scenario": [names.scenario(str(x)) for x in c["scenario"]],
            "weight": c["weight"].astype(float),
            "robust plan": c["robust_eur"].astype(float),
            "own optimum": c["own_optimum_eur"].astype(float),
            "baseline's sites": c["baseline_sites_eur"].astype(float),
        }
    )
    kinds = {"weight": "{:.2f}", "robust plan": "eur", "own optimum": "eur", "baseline's sites": "eur"}
    print_frame(console, costs, "Cost by scenario (EUR/year)", kinds=kinds)
    console.print(
        f"extra cost in {names.scenario(str(s['baseline_scenario']))} against its own optimal plan: "
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
