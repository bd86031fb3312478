"""``resurssimalli optimize``: solve, print the plan for planners, write the run folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.text import Text

from resurssimalli.optimize.api import OptimizeResult, optimize
from resurssimalli.report.console import print_frame
from resurssimalli.report.names import TOTAL, Names, scenario_record
from resurssimalli.report.tables import cost_kind
from resurssimalli.report.texts import Texts
from resurssimalli.runs import RunFolder
from resurssimalli.scenario.load import Scenario


def htv_table(result: OptimizeResult) -> pd.DataFrame:
    """HTV by area (rows) and service line (columns), with totals (ids; for files and code)."""
    alloc = result.allocation
    if alloc.empty:
        return pd.DataFrame()
    t = alloc.pivot_table(index="area", columns="service_line", values="htv", aggfunc="sum", fill_value=0.0)
    t["total"] = t.sum(axis=1)
    t.loc["total"] = t.sum(axis=0)
    return t.reset_index()


def htv_frame(result: OptimizeResult, names: Names) -> pd.DataFrame:
    """HTV by service line (rows) and area (columns) with totals, in display names: pivoted so
    that the four areas fit 80 columns beside the line names."""
    alloc = result.allocation
    if alloc.empty:
        return pd.DataFrame()
    t = alloc.pivot_table(index="service_line", columns="area", values="htv", aggfunc="sum", fill_value=0.0)
    order = [a for a in names.region.areas if a in t.columns]
    t = t[order]
    t[TOTAL] = t.sum(axis=1)
    t.loc[TOTAL] = t.sum(axis=0)
    t.columns = [names.area(c) for c in t.columns]
    t.index = [names.line(i) for i in t.index]
    return t.rename_axis("service line").reset_index()


def sites_frame(result: OptimizeResult, names: Names) -> pd.DataFrame:
    """The open sites: display name, municipality, kind, HTV and workstations used of available."""
    s = result.sites[result.sites["open"].astype(bool)]
    return pd.DataFrame(
        {
            "site": [names.site(x) for x in s["site"]],
            "municipality": [names.municipality(m) for m in s["municipality"]],
            "kind": [names.t.name("kind", k) for k in s["kind"]],
            "HTV": s["htv"].astype(float).to_numpy(),
            "workstations used": [f"{u:,.0f} of {w:,.0f}" for u, w in zip(s["workstations_used"], s["workstations"], strict=True)],
        }
    )


def _pct(x: float, decimals: int = 0) -> str:
    return f"{100.0 * x:.{decimals}f}%"


def _status_line(s: dict, names: Names) -> str:
    label = "proven optimal" if s["status"] == "optimal" else f"NOT proven optimal ({s['status']})"
    gap = _pct(s["gap"], 2) if s.get("gap") is not None else "unknown"
    weight = s["objective"] - s["total_cost_eur"] if s.get("objective") is not None else 0.0
    extra = (
        f" (the MIP's objective before the tie-break {s['objective']:,.0f}, incl. the split goal's weight)"
        if abs(weight) >= 0.5
        else ""
    )
    items = s.get("cost_items") or {}
    social = sum(v for k, v in items.items() if cost_kind(k) == "social")
    budget = sum(v for k, v in items.items() if cost_kind(k) == "budget")
    cost = (
        f"the municipalities pay {budget:,.0f} EUR/year, customers' travel is worth {social:,.0f} EUR/year"
        if items
        else f"cost {s['total_cost_eur']:,.0f} EUR/year"
    )
    objective = names.t.name("objective", s["objective_name"])
    return (
        f"{names.scenario(s['scenario'])} (objective: {objective}): {cost}{extra}; {label}, gap {gap}; "
        f"{s.get('optimality_note', '')}; build {s['build_seconds']:.2f} s, solve {s['solve_seconds']:.2f} s"
    )


def _shortfall_lines(s: dict, names: Names) -> list[str]:
    out = []
    if s["unserved"]:
        out.append(f"shortfalls placed by the rule: {s.get('shortfall_rule', '')}")
    for area, lines in s["unserved"].items():
        for line, hours in lines.items():
            if hours >= 0.5:  # whole hours; the summary keeps the exact figures
                out.append(f"shortfall {names.area(area)} / {names.line(line)}: {hours:,.0f} hours a year unserved")
    for point, u in s.get("coverage", {}).get("uncovered", {}).items():
        out.append(f"shortfall {names.point(point)}: {u['visits']:,.0f} visits a year unserved — {u['why']}")
    return out


def _value_lines(s: dict, names: Names) -> list[str]:
    """The marginal value of one more HTV with its valid range, and whole HTV by re-solving."""
    out = []
    ranges = s.get("shadow_price_htv_valid_for_extra_htv", {})
    for area, price in s.get("shadow_price_htv", {}).items():
        lo, hi = ranges.get(area, [None, None])
        span = f"{'-∞' if lo is None else f'{lo:+,.2f}'} to {'+∞' if hi is None else f'{hi:+,.2f}'} HTV"
        out.append(
            f"{names.area(area)}: one more HTV saves {price:,.0f} EUR/year (before its salary) "
            f"while the change stays within {span}"
        )
    value = s.get("htv_value")
    if value:
        more, fewer = value.get("one_more_eur"), value.get("one_fewer_eur")
        fmt = lambda x: "not proven" if x is None else f"{x:,.0f} EUR/year"  # noqa: E731
        out.append(f"a whole HTV (re-solved, before salary): one more saves {fmt(more)}, one fewer costs {fmt(fewer)}")
    return out


def _split_line(split: dict, names: Names) -> str:
    parts = [
        f"{names.t.name('split', g)} {_pct(v['share'])} (plan {_pct(v['target'])}"
        + (f", {v['deviation_htv']:,.2f} HTV outside the band)" if v["deviation_htv"] > 1e-6 else ")")
        for g, v in split.items()
    ]
    return "customer-facing split: " + "; ".join(parts)


def print_result(result: OptimizeResult, scenario: Scenario, console: Console) -> None:
    """The plan for planners at the console's width: display names, no cut word or number."""
    s = result.summary
    names = Names(scenario.region, Texts("en"), {scenario.name: scenario_record(scenario)})
    console.print(Text(_status_line(s, names)), highlight=False)
    console.print(
        f"HTV: required by the workload {s['htv_required']:,.2f}, allocated {s['htv_allocated']:,.2f} "
        f"of {s['htv_total']:,.2f}; longest trip {s['longest_trip_minutes']:,.1f} min",
        highlight=False,
    )
    print_frame(console, htv_frame(result, names), "HTV by service line and area", kinds={"service line": "text"} | _htv_kinds(result, names))
    if s.get("split"):
        console.print(Text(_split_line(s["split"], names)), highlight=False)
    print_frame(console, sites_frame(result, names), "Open sites", kinds={"HTV": "htv"})
    for line in _shortfall_lines(s, names) + _value_lines(s, names):  # Text: names from input files are not markup
        console.print(Text(line), highlight=False)


def _htv_kinds(result: OptimizeResult, names: Names) -> dict[str, str]:
    return {names.area(a): "htv" for a in [*names.region.areas, TOTAL]}


def pareto_frame(pareto: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The cost–accessibility front for the console: one row per point, whole euros and minutes."""
    cols = {
        "point": "point",
        "travel_limit_minutes": "limit min",
        "cost_eur": "EUR/year",
        "max_minutes": "longest min",
        "mean_minutes": "mean min",
        "visits_uncovered": "visits unserved",
    }
    out = pareto[[c for c in cols if c in pareto.columns]].rename(columns=cols)
    if "sites_opened" in pareto.columns:
        out["sites against point 1"] = [
            names.site_changes(o, c) for o, c in zip(pareto["sites_opened"], pareto["sites_closed"], strict=True)
        ]
    return out


def split_frame(sens: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The split sensitivity for the console: words for groups and modes, shares in %."""
    return pd.DataFrame(
        {
            "mapping of lines": sens["mapping"].astype(str),
            "split as": sens["split_mode"].map({"goal": "goal", "hard": "hard band"}).fillna(sens["split_mode"]),
            "group": [names.t.name("split", g) for g in sens["group"]],
            "plan": sens["target"].astype(float),
            "share": sens["share"].astype(float),
            "HTV outside the band": sens["deviation_htv"].astype(float),
            "hours unserved": sens["unserved_hours_total"].astype(float),
        }
    )


SPLIT_KINDS = {"plan": "share", "share": "share", "HTV outside the band": "htv", "hours unserved": "int"}


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
    print_result(result, scenario, console)
    if result.pareto is not None:
        kinds = {"EUR/year": "eur", "limit min": "decimal", "longest min": "decimal", "mean min": "decimal"}
        names = Names(scenario.region, Texts("en"))
        kinds |= {"visits unserved": "int", "sites against point 1": "text"}
        print_frame(console, pareto_frame(result.pareto, names), "Cost–accessibility front", kinds=kinds)
    sens = None
    if split_sensitivity:
        from resurssimalli.experiment.split import split_sensitivity as sensitivity

        sens = sensitivity(scenario)
        names = Names(scenario.region, Texts("en"))
        title = "The 40/40/20 split by mapping of lines to groups"
        print_frame(console, split_frame(sens, names), title, kinds=SPLIT_KINDS)
    with RunFolder.new(scenario.name, out, scenario=scenario, command="optimize") as rf:
        result.write(rf)
        if sens is not None:
            rf.write_csv("split_sensitivity.csv", sens)
    console.print(Text.assemble("run folder: ", (str(rf.final), "bold")))
    return rf.final
