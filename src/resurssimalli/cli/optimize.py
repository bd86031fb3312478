"""``resurssimalli optimize``: solve, print the plan for planners, write the run folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.optimize.api import OptimizeResult, optimize
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario


def htv_table(result: OptimizeResult) -> pd.DataFrame:
    """HTV by area (rows) and service line (columns), with totals."""
    alloc = result.allocation
    if alloc.empty:
        return pd.DataFrame()
    t = alloc.pivot_table(index="area", columns="service_line", values="htv", aggfunc="sum", fill_value=0.0)
    t["total"] = t.sum(axis=1)
    t.loc["total"] = t.sum(axis=0)
    return t.reset_index()


def _status_line(s: dict) -> str:
    label = "proven optimal" if s["status"] == "optimal" else f"NOT proven optimal ({s['status']})"
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "unknown"
    weight = s["objective"] - s["total_cost_eur"] if s.get("objective") is not None else 0.0
    extra = f" (objective {s['objective']:,.0f} incl. the split goal's weight)" if abs(weight) >= 0.5 else ""
    return (
        f"{s['scenario']} ({s['objective_name']}): cost {s['total_cost_eur']:,.0f} EUR/year{extra}, "
        f"{label}, gap {gap}; {s.get('optimality_note', '')}; "
        f"build {s['build_seconds']:.2f} s, solve {s['solve_seconds']:.2f} s"
    )


def _shortfall_lines(s: dict) -> list[str]:
    out = []
    if s["unserved"]:
        out.append(f"shortfalls placed by the rule: {s.get('shortfall_rule', '')}")
    for area, lines in s["unserved"].items():
        for line, hours in lines.items():
            if hours >= 0.5:  # whole hours; the summary keeps the exact figures
                out.append(f"shortfall {area} / {line}: {hours:,.0f} hours a year unserved")
    for point, u in s.get("coverage", {}).get("uncovered", {}).items():
        out.append(f"shortfall {point}: {u['visits']:,.0f} visits a year unserved — {u['why']}")
    return out


def _value_lines(s: dict) -> list[str]:
    """The marginal value of one more HTV with its valid range, and whole HTV by re-solving."""
    out = []
    ranges = s.get("shadow_price_htv_valid_for_extra_htv", {})
    for area, price in s.get("shadow_price_htv", {}).items():
        lo, hi = ranges.get(area, [None, None])
        span = f"{'-∞' if lo is None else f'{lo:+.2f}'} … {'+∞' if hi is None else f'{hi:+.2f}'} HTV"
        out.append(f"{area}: one more HTV saves {price:,.0f} EUR/year per HTV (before its salary) for {span}")
    value = s.get("htv_value")
    if value:
        more, fewer = value.get("one_more_eur"), value.get("one_fewer_eur")
        fmt = lambda x: "not proven" if x is None else f"{x:,.0f} EUR/year"  # noqa: E731
        out.append(f"a whole HTV (re-solved, before salary): one more saves {fmt(more)}, one fewer costs {fmt(fewer)}")
    return out


def print_result(result: OptimizeResult, console: Console) -> None:
    from resurssimalli.report.console import df_table

    s = result.summary
    console.print(Text(_status_line(s)), highlight=False)
    console.print(
        f"HTV: required by the workload {s['htv_required']:.2f}, allocated {s['htv_allocated']:.2f} "
        f"of {s['htv_total']:g}; longest trip {s['longest_trip_minutes']:.1f} min",
        highlight=False,
    )
    console.print(df_table(htv_table(result), "HTV by area and service line", "{:,.2f}"))
    if s.get("split"):
        parts = [
            f"{g} {v['share']:.0%} (plan {v['target']:.0%}"
            + (f", {v['deviation_htv']:.2f} HTV outside the band)" if v["deviation_htv"] > 1e-6 else ")")
            for g, v in s["split"].items()
        ]
        console.print("customer-facing split: " + "; ".join(parts), highlight=False)
    open_sites = result.sites[result.sites["open"]]
    console.print(df_table(open_sites, "Open sites", "{:,.2f}"))
    for line in _shortfall_lines(s) + _value_lines(s):  # Text: names from input files are not markup
        console.print(Text(line), highlight=False)


def optimize_command(
    scenario: Scenario,
    out: Path | None,
    console: Console,
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    objective: str | None = None,
    pareto: int | None = None,
    split_sensitivity: bool = False,
) -> Path:
    """Optimise, print, write allocation/sites/access/costs.csv, summary.json (+ pareto.csv,
    + split_sensitivity.csv)."""
    result = optimize(
        scenario, objective=objective, time_limit=time_limit, gap=gap, pareto=pareto, marginals=True
    )
    print_result(result, console)
    if result.pareto is not None:
        from resurssimalli.report.console import df_table

        console.print(df_table(result.pareto, "Cost–accessibility front", "{:,.1f}"))
    sens = None
    if split_sensitivity:
        from resurssimalli.experiment.split import split_sensitivity as sensitivity
        from resurssimalli.report.console import df_table

        sens = sensitivity(scenario)
        console.print(df_table(sens, "The 40/40/20 split by mapping of lines to groups", "{:,.3f}"))
    with RunFolder.new(scenario.name, out, scenario=scenario, command="optimize") as rf:
        result.write(rf)
        if sens is not None:
            rf.write_csv("split_sensitivity.csv", sens)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
