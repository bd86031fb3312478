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
from resurssimalli.runs import RunFolder, claim_run_path
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
    return t.rename_axis(names.t("con_col_service_line")).reset_index()


def sites_frame(result: OptimizeResult, names: Names) -> pd.DataFrame:
    """The open sites: display name, municipality, kind, HTV and workstations used of available."""
    s = result.sites[result.sites["open"].astype(bool)]
    t = names.t
    used = [
        t("con_of", used=t.num(u, 0), all=t.num(w, 0)) for u, w in zip(s["workstations_used"], s["workstations"], strict=True)
    ]
    return pd.DataFrame(
        {
            t("con_col_site"): [names.site(x) for x in s["site"]],
            t("con_col_municipality"): [names.municipality(m) for m in s["municipality"]],
            t("con_col_kind"): [t.name("kind", k) for k in s["kind"]],
            "HTV": s["htv"].astype(float).to_numpy(),
            t("con_col_workstations"): used,
        }
    )


def _pct(x: float, decimals: int = 0, t: Texts | None = None) -> str:
    return t.pct(x, decimals) if t is not None else f"{100.0 * x:.{decimals}f}%"


def _status_line(s: dict, names: Names) -> str:
    t = names.t
    label = t("con_proven") if s["status"] == "optimal" else t("con_not_proven", status=s["status"])
    gap = _pct(s["gap"], 2, t) if s.get("gap") is not None else t("con_unknown")
    weight = s["objective"] - s["total_cost_eur"] if s.get("objective") is not None else 0.0
    extra = t("con_objective_extra", objective=t.num(s["objective"], 0)) if abs(weight) >= 0.5 else ""
    items = s.get("cost_items") or {}
    social = sum(v for k, v in items.items() if cost_kind(k) == "social")
    budget = sum(v for k, v in items.items() if cost_kind(k) == "budget")
    cost = (
        t("con_cost_split", budget=t.num(budget, 0), social=t.num(social, 0))
        if items
        else t("con_cost_total", cost=t.num(s["total_cost_eur"], 0))
    )
    return t(
        "con_status_line", scenario=names.scenario(s["scenario"]), objective=t.name("objective", s["objective_name"]),
        cost=cost, extra=extra, label=label, gap=gap, note=s.get("optimality_note", ""),
        build=t.num(s["build_seconds"], 2), solve=t.num(s["solve_seconds"], 2),
    )  # fmt: skip


def _shortfall_lines(s: dict, names: Names) -> list[str]:
    t = names.t
    out = []
    if s["unserved"]:
        out.append(t("con_shortfall_rule", rule=s.get("shortfall_rule", "")))
    for area, lines in s["unserved"].items():
        for line, hours in lines.items():
            if hours >= 0.5:  # whole hours; the summary keeps the exact figures
                out.append(t("con_shortfall_hours", area=names.area(area), line=names.line(line), hours=t.num(hours, 0)))
    for point, u in s.get("coverage", {}).get("uncovered", {}).items():
        out.append(t("con_shortfall_visits", point=names.point(point), visits=t.num(u["visits"], 0), why=u["why"]))
    return out


def _value_lines(s: dict, names: Names) -> list[str]:
    """The marginal value of one more HTV with its valid range, and whole HTV by re-solving."""
    t = names.t
    out = []
    ranges = s.get("shadow_price_htv_valid_for_extra_htv", {})

    def signed(x: float | None, inf: str) -> str:
        return inf if x is None else ("+" if x >= 0 else "") + t.num(x, 2)

    for area, price in s.get("shadow_price_htv", {}).items():
        lo, hi = ranges.get(area, [None, None])
        span = t("con_span", low=signed(lo, "-∞"), high=signed(hi, "+∞"))
        out.append(t("con_shadow", area=names.area(area), price=t.num(price, 0), span=span))
    value = s.get("htv_value")
    if value:
        more, fewer = value.get("one_more_eur"), value.get("one_fewer_eur")
        fmt = lambda x: t("con_not_proven_value") if x is None else t("con_eur_year", eur=t.num(x, 0))  # noqa: E731
        out.append(t("con_whole_htv", more=fmt(more), fewer=fmt(fewer)))
    return out


def _split_line(split: dict, names: Names) -> str:
    t = names.t
    parts = [
        t("con_split_part", group=t.name("split", g), share=_pct(v["share"], 0, t), target=_pct(v["target"], 0, t),
          outside=t("con_split_outside", htv=t.num(v["deviation_htv"], 2)) if v["deviation_htv"] > 1e-6 else "")
        for g, v in split.items()
    ]  # fmt: skip
    return t("con_split_line", parts="; ".join(parts))


def print_result(result: OptimizeResult, scenario: Scenario, console: Console, lang: str = "en") -> None:
    """The plan for planners at the console's width: display names, no cut word or number."""
    s = result.summary
    t = Texts(lang)
    names = Names(scenario.region, t, {scenario.name: scenario_record(scenario)})
    console.print(Text(_status_line(s, names)), highlight=False)
    console.print(
        t("con_htv_line", required=t.num(s["htv_required"], 2), allocated=t.num(s["htv_allocated"], 2),
          total=t.num(s["htv_total"], 2), longest=t.num(s["longest_trip_minutes"], 1)),
        highlight=False, markup=False,
    )  # fmt: skip
    kinds = {t("con_col_service_line"): "text"} | _htv_kinds(result, names)
    print_frame(console, htv_frame(result, names), t("con_htv_title"), kinds=kinds, lang=lang)
    if s.get("split"):
        console.print(Text(_split_line(s["split"], names)), highlight=False)
    print_frame(console, sites_frame(result, names), t("con_sites_title"), kinds={"HTV": "htv"}, lang=lang)
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
    out = claim_run_path(out, scenario.name)  # the run folder's name is taken (or refused) first
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
