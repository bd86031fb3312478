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
from resurssimalli.report.console import LINE_SHORT, SHARE_KPIS, kpi_text, print_frame
from resurssimalli.report.names import Names, scenario_record
from resurssimalli.report.stress_tables import (
    bracket_totals,
    brackets_frame,
    causes_frame,
    missed_months,
    pair_frame,
)
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


def _range(lo: float, hi: float, fmt: str) -> str:
    return f"{fmt.format(lo)}–{fmt.format(hi)}" if lo == lo and hi == hi else f"≤ {fmt.format(hi)}"


def _print_asks(res: Any, console: Console, names: Names) -> None:
    """Per area × line the bracket (hours and HTV a year, and against the first plan), the
    scenarios and months each queue's upper end fixes, the misses that got no hours with their
    cause, and the months the returned plan still misses clearly."""
    b, p = brackets_frame(res.brackets, names), pair_frame(res.brackets, names)
    if not b.empty:
        shown = pd.DataFrame(
            {
                "area": p["area"],
                "line": [LINE_SHORT.get(x, x) for x in p["line"]],
                "hours a year": [_range(lo, hi, "{:,.0f}") for lo, hi in zip(p["lower_hours"], p["upper_hours"], strict=True)],
                "HTV": [_range(lo, hi, "{:.2f}") for lo, hi in zip(p["lower_htv"], p["upper_htv"], strict=True)],
                "vs first plan": [
                    _range(lo, hi, "{:+.2f}") for lo, hi in zip(p["added_lower_htv"], p["added_upper_htv"], strict=True)
                ],
            }
        )
        tot = bracket_totals(res.brackets)
        total = (
            "total", "", _range(tot["lower_hours"], tot["upper_hours"], "{:,.0f}"),
            _range(tot["lower_htv"], tot["upper_htv"], "{:.2f}"),
            _range(tot["added_lower_htv"], tot["added_upper_htv"], "{:+.2f}"),
        )  # fmt: skip
        shown = pd.concat([shown, pd.DataFrame([total], columns=shown.columns)], ignore_index=True)
        title = f"What each area and line needs (bracket within {res.tolerance_htv:g} HTV)"
        stated = res.stated_tolerance_htv or res.tolerance_htv
        if res.tolerance_htv < stated - 1e-12:
            title += f", narrowed from {stated:g}: the budget lay inside the brackets"
        print_frame(console, shown, title, kinds={c: "text" for c in shown.columns})
        fixes = b.drop_duplicates("unit")[["unit", "scenarios", "months"]]
        fixes = fixes.rename(columns={"unit": "queue or area", "months": "months its upper end fixes"})
        print_frame(console, fixes, "What each ask fixes", kinds={c: "text" for c in fixes.columns})
    c = causes_frame(res.causes, names)
    if not c.empty:
        c = c.rename(columns={"unit": "queue or area", "kpi": "KPI"})
        print_frame(console, c, "Misses that get no hours, and their cause")
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
        print_frame(console, shown, "Months the returned plan misses clearly")


def _judged(names: Names, period: object) -> str:
    """The period a verdict judged: its month (every_month: the worst one), the worst month of each
    replication, or the horizon's mean."""
    p = "" if period is None else str(period)
    if p in ("", "nan"):
        return ""
    return {"worst": "worst month", "horizon": "year"}.get(p) or names.t.month(p)


def verdict_frame(judged: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The returned plan's verdict per scenario and target, in display names, with the month judged."""
    rows = []
    for r in judged.itertuples(index=False):
        op = "≥" if r.op == ">=" else "≤"
        group = "" if r.group == "all" else f", {names.group(str(r.group))}"
        rows.append(
            (
                names.scenario(str(r.scenario)),
                f"{names.kpi(r.kpi)}{group} {op} {kpi_text(r.kpi, r.target)}",
                _judged(names, getattr(r, "period", "")),
                kpi_text(r.kpi, r.mean),
                f"{kpi_text(r.kpi, r.ci_low)} – {kpi_text(r.kpi, r.ci_high)}",
                "yes" if bool(r.meets) else "no",
            )
        )
    return pd.DataFrame(rows, columns=["scenario", "target", "judged", "mean", "95% CI", "meets"])


def _cost(result: Any) -> str:
    return f"{float(result.summary['total_cost_eur']):,.0f} EUR a year"


def _status_line(res: Any) -> str:
    """How the loop ended, in one line with rich markup."""
    htv = float(res.plan.allocation["htv"].sum())
    plan = f"the plan of round {res.plan_round}: {htv:,.2f} HTV, {_cost(res.plan)} (first plan {_cost(res.first_plan)})"
    if res.status == "met":
        return f"[green]every scenario meets its targets within the budget[/green] — {plan}"
    if res.status == "causes_remain":
        return f"[yellow]every miss staff can fix is fixed within the budget[/yellow]; the rest has a cause below — {plan}"
    if res.status == "at_risk":
        return f"[yellow]every queue meets on its mean, an interval still reaches past a target[/yellow] — {plan}"
    p = res.proof
    if res.status == "budget_insufficient":
        P = p.productive_hours_per_htv
        return (
            f"[red]budget insufficient[/red]: the asks' lower ends, with every other area and line at its "
            f"workload, need {p.lower_hours / P:,.2f} HTV of {p.budget_hours / P:,.2f} (minimum-hours model "
            f"{p.certificate.solver_status}); the first plan with the asks' upper ends ({p.upper_hours / P:,.2f} "
            f"HTV, {_cost(p.upper_plan)}) held every queue, round {p.upper_round}"
        )
    if res.status == "undecided":
        P = p.productive_hours_per_htv
        upper = p.upper_minimum_hours if p.upper_minimum_hours is not None else p.upper_hours
        return (
            f"[yellow]the budget lies inside the brackets[/yellow] even at {res.tolerance_htv:g} HTV: with "
            f"every other queue at its workload the lower ends need {p.lower_hours / P:,.2f} HTV, the upper "
            f"ends {upper / P:,.2f}; the budget is {p.budget_hours / P:,.2f}"
        )
    if res.status == "coupled":
        return (
            "[yellow]every ask held its queue with the rest at the first plan's hours, but within the budget "
            "the plan at the upper ends still misses (below): the queues share the budget's spare[/yellow]"
            f" — returned: {plan}"
        )
    return f"[yellow]the brackets did not settle in the rounds allowed[/yellow] — returned: {plan}"


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
    tolerance_htv: float = 0.1,
    confirm_replications: int = 20,
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
            max_rounds=max_iterations,
            tolerance_htv=tolerance_htv,
            confirm_replications=confirm_replications,
            progress=progress,
        )
    names = _names(scenarios)
    frame = verdict_frame(res.verdicts, names)
    print_frame(console, frame, "The returned plan's verdict (95% CI)", kinds={"target": "text"})
    console.print(_status_line(res), highlight=False)
    if res.roster is not None:
        console.print(
            f"the first plan missed only in summer-leave months where the leave optimiser's plan holds: "
            f"every scenario played it (substitutes {res.roster.substitute_hours:,.0f} h, "
            f"{res.roster.substitute_cost_eur:,.0f} EUR); no staff asked for the summer",
            highlight=False,
        )
    _print_asks(res, console, names)
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
