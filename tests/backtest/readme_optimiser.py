"""The READMEs' optimiser figures, computed fresh (seconds): the baseline plan, its split, costs,
access, the hard split band, youth counted as weaker position and the shadow prices of a short
budget. Each figure is the text the README prints (rounded as printed)."""

from __future__ import annotations

import pandas as pd
from readme_figures import ROOT, eur, md_table, pct

from resurssimalli.experiment.split import YOUTH_AS_WEAKER, split_sensitivity
from resurssimalli.optimize import optimize
from resurssimalli.optimize.inputs import build_input
from resurssimalli.report import kpi_definitions
from resurssimalli.report.names import Names
from resurssimalli.report.texts import Texts
from resurssimalli.scenario import load_scenario

BASELINE = ROOT / "scenarios" / "baseline.yaml"
LINES_EN = [
    "job_brokering",
    "competence_development",
    "multi_sector",
    "youth",
    "integration",
    "employer_services",
    "centralised",
]  # fmt: skip  (the README's column order)
LINE_HEADERS = [
    "job brokering",
    "competence",
    "multi-sector",
    "youth",
    "integration",
    "employer",
    "centralised",
]
SHORT_BUDGETS = (26.0, 27.5)  # optimize/README's shadow-price example: a budget below the work


def _scenario(overrides: dict | None = None):
    return load_scenario(BASELINE, overrides or {})


def _htv(x: float) -> str:
    return "–" if abs(x) < 0.005 else f"{x:.2f}"


def plan_table_en(plan, names: Names) -> str:
    """README.md's plan table: areas (display names) × service lines, totals in bold."""
    wide = plan.allocation.pivot_table(index="area", columns="service_line", values="htv", aggfunc="sum")
    wide = wide.reindex(columns=LINES_EN).fillna(0.0)
    wide = wide.reindex([a for a in names.region.areas if a in wide.index])
    rows = [[names.area(a), *(_htv(v) for v in r), f"**{r.sum():.2f}**"] for a, r in wide.iterrows()]
    rows.append(["**total**", *(f"{v:.2f}" for v in wide.sum()), f"**{wide.to_numpy().sum():.2f}**"])
    header = ["area (vastuualue)", *LINE_HEADERS, "**total HTV**"]
    return md_table(header, rows, right=set(range(1, len(header))))


def plan_table_ids(plan) -> str:
    """optimize/README.md's plan table: ids, every line alphabetically, and a total row/column."""
    wide = plan.allocation.pivot_table(index="area", columns="service_line", values="htv", aggfunc="sum")
    wide = wide.reindex(columns=sorted(wide.columns)).fillna(0.0).sort_index()
    wide["total"] = wide.sum(axis=1)
    wide.loc["total"] = wide.sum()
    rows = [[str(a), *(f"{v:.2f}" for v in r)] for a, r in wide.iterrows()]
    return md_table(["area", *wide.columns], rows)


COST_COLUMNS = {"staff_local": "local staff", "staff_central": "central staff", "site_fixed": "sites",
                "staff_travel": "staff travel", "customer_travel": "customer travel"}  # fmt: skip


def cost_table(plan, names: Names) -> str:
    """optimize/README.md's cost by municipality (euros a year) and the total."""
    wide = plan.costs.pivot_table(index="municipality", columns="cost_item", values="eur", aggfunc="sum")
    extra = sorted(set(wide.columns) - set(COST_COLUMNS))
    if any(wide[c].abs().sum() > 0.5 for c in extra):  # a penalty in the plan: the table would hide it
        raise ValueError(f"cost items the README's table has no column for: {extra}")
    wide = wide.reindex(columns=list(COST_COLUMNS)).fillna(0.0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index]
    wide["total"] = wide.sum(axis=1)
    wide.loc["total"] = wide.sum()
    rows = [
        [names.municipality(m) if m != "total" else "total", *(eur(v) for v in r)] for m, r in wide.iterrows()
    ]
    return md_table(["municipality", *COST_COLUMNS.values(), "total"], rows, right=set(range(1, 7)))


def open_sites(plan, names: Names) -> str:
    """The open sites by kind, display names."""
    open_ = plan.sites[plan.sites.open]
    parts = []
    for kind, label in (("office", "offices"), ("service_point", "service points"), ("popup", "pop-ups")):
        ids = [s for s in open_.loc[open_.kind == kind, "site"]]
        if ids:
            parts.append(f"{label}: " + ", ".join(names.site(s) for s in ids))
    return "; ".join(parts)


def longest_trip(plan, names: Names) -> tuple[str, str, str]:
    """Longest trip (min), its route and the mean trip, as printed."""
    a = plan.access[plan.access.site != "(uncovered)"]
    far = a.loc[a.minutes.idxmax()]
    s = plan.summary
    return (f"{s['longest_trip_minutes']:.1f}", f"{names.point(far.demand_point)} → {names.site(far.site)}",
            f"{s['mean_trip_minutes']:.1f}")  # fmt: skip


def split_deviation(split: dict, tolerance: float, names: Names) -> str:
    """Where the split goal is missed: ``0.16 HTV below the 15 % floor of competence development``."""
    out = []
    for g, v in split.items():
        if v["deviation_htv"] < 0.005:
            continue
        side = ("below the", v["target"] - tolerance, "floor") if v["share"] < v["target"] else (
            "above the", v["target"] + tolerance, "ceiling")  # fmt: skip
        out.append(f"{v['deviation_htv']:.2f} HTV {side[0]} {100 * side[1]:.0f} % {side[2]} of "
                   f"{names.t.name('split', g).lower()}")  # fmt: skip
    return "; ".join(out) if out else "no HTV outside the band"


def service_point_shares(plan, scenario) -> str:
    """The share of a municipality's visits its open service point takes, lowest–highest."""
    visits = {p.id: p.visits for p in build_input(scenario).points}
    a = plan.access.assign(visits=lambda d: d.demand_point.map(visits) * d.share)
    points = plan.sites[plan.sites.open & (plan.sites.kind == "service_point")]
    shares = [a.loc[(a.municipality == m) & (a.site == s), "visits"].sum() / a.loc[a.municipality == m, "visits"].sum()
              for s, m in zip(points.site, points.municipality, strict=True)]  # fmt: skip
    return f"{100 * min(shares):.0f}–{100 * max(shares):.0f} %"


def _pairs_within_limit(scenario) -> int:
    inp = build_input(scenario)
    return sum(1 for pairs in inp.pairs.values() for q in pairs if q.minutes <= inp.max_travel_minutes)


def _one(values: dict) -> float:
    """The one value every area shares (the README states one); an error when areas differ."""
    vals = {round(float(v), 6) for v in values.values()}
    if len(vals) != 1:
        raise ValueError(f"areas differ ({values}): the README's sentence states one value for all")
    return vals.pop()


def _signed(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def short_budget(total: float) -> dict[str, str]:
    """Shadow price, its range and the whole-HTV value at a budget below the work (optimize/README)."""
    s = optimize(_scenario({"staff": {"total_htv": total}}), marginals=True).summary
    key = f"short{str(total).replace('.', '_').removesuffix('_0')}"
    lo = _one({a: r[0] for a, r in s["shadow_price_htv_valid_for_extra_htv"].items()})
    hi = _one({a: r[1] for a, r in s["shadow_price_htv_valid_for_extra_htv"].items()})
    shares = [v for d in s["served_share"].values() for v in d.values()]
    return {
        f"{key}_unserved": eur(s["unserved_hours_total"]),
        f"{key}_short_share": pct(1.0 - _one(dict(enumerate(shares)))),  # "every area and line" the same
        f"{key}_price": eur(_one(s["shadow_price_htv"])),
        f"{key}_range": f"{_signed(lo)} to {_signed(hi)}",
        f"{key}_whole_more": eur(s["htv_value"]["one_more_eur"]),
    }


def _split_figures(scenario, s: dict, names: Names) -> dict[str, str]:
    split = s["split"]
    tol = scenario.config.staff.split_tolerance
    sens = split_sensitivity(scenario)
    youth = sens[(sens.mapping == YOUTH_AS_WEAKER) & (sens.group == "weaker_position")].set_index(
        "split_mode"
    )
    hard = optimize(_scenario({"staff": {"split_mode": "hard"}})).summary
    return {
        "split_weaker_share": pct(split["weaker_position"]["share"]),
        "split_competence_share": pct(split["competence_development"]["share"]),
        "split_shares": " / ".join(f"{100 * v['share']:.1f}" for v in split.values()),
        "split_deviation": split_deviation(split, tol, names),
        "hard_cost": eur(hard["total_cost_eur"]),
        "hard_unserved": eur(hard["unserved_hours_total"]),
        "hard_headroom": pct(hard["headroom_share"]),
        "youth_weaker_share": pct(youth.loc["goal", "share"], 0),
        "youth_hard_unserved": eur(youth.loc["hard", "unserved_hours_total"]),
    }


def _baseline_figures(scenario, plan, names: Names) -> dict[str, str]:
    s = plan.summary
    items = s["cost_items"]
    longest, route, mean = longest_trip(plan, names)
    by_line = plan.allocation.groupby("service_line")["htv"].sum()
    return {
        "htv_required": f"{s['htv_required']:.2f}",
        "htv_spare": f"{s['htv_total'] - s['htv_required']:.2f}",
        "headroom": pct(s["headroom_share"]),
        "plan_table_en": plan_table_en(plan, names),
        "plan_table_ids": plan_table_ids(plan),
        "cost_table": cost_table(plan, names),
        "open_sites": open_sites(plan, names),
        "longest_trip_min": longest,
        "longest_trip_route": route,
        "mean_trip_min": mean,
        "cost_total_meur": f"{s['total_cost_eur'] / 1e6:.2f}",
        "cost_total_eur": eur(s["total_cost_eur"]),
        "cost_staff_meur": f"{items['staff'] / 1e6:.2f}",
        "cost_premises_meur": f"{items['site_fixed'] / 1e6:.2f}",
        "cost_travel_meur": f"{(items['staff_travel'] + items['customer_travel']) / 1e6:.2f}",
        "shortfalls": "No unserved hours"
        if s["unserved_hours_total"] < 0.5
        else f"{eur(s['unserved_hours_total'])} unserved hours",  # fmt: skip
        "uncovered": "no uncovered visits"
        if s["coverage"]["visits_uncovered"] < 0.5
        else f"{eur(s['coverage']['visits_uncovered'])} uncovered visits",  # fmt: skip
        "integration_htv": f"{by_line.get('integration', 0.0):.2f}",
        "centralised_htv": f"{by_line.get('centralised', 0.0):.2f}",
        "service_point_shares": service_point_shares(plan, scenario),
        "shadow_price_max": eur(max(abs(v) for v in s["shadow_price_htv"].values())),
        "pairs_within_limit": eur(_pairs_within_limit(scenario)),
    }


def kpi_table() -> str:
    """README.md's KPI table: every KPI ``kpi_definitions("en")`` returns, in its order."""
    d = kpi_definitions("en")
    cell = lambda x: str(x).replace("|", "\\|")  # noqa: E731
    rows = [[f"`{r.kpi}`", cell(r.unit), cell(r.groups), cell(r.definition)] for r in d.itertuples()]
    return md_table(["KPI", "unit", "groups", "definition"], rows)


def calibration_check() -> dict[str, str]:
    """The fit's out-of-sample check (July 2022 -> July 2023, all municipalities) from the shipped
    ``calibration_fit.csv``, which test_calibration_fit re-fits."""
    d = pd.read_csv(ROOT / "src" / "resurssimalli" / "data" / "calibration_fit.csv", comment="#")
    c = d[(d["check"] == "check_2022_2023") & (d["group"] == "change_total")]
    return {
        "calibration_check_plan": f"{c['plan'].sum():+,.0f}",
        "calibration_check_model": f"{c['model'].sum():+,.0f}",
    }


def optimiser_figures() -> dict[str, str]:
    """Every fresh figure of both READMEs (the optimiser's, and the KPI table), by span name."""
    scenario = _scenario()
    plan = optimize(scenario)
    names = Names(scenario.region, Texts("en"))
    out = _baseline_figures(scenario, plan, names) | _split_figures(scenario, plan.summary, names)
    out["kpi_table"] = kpi_table()
    out |= calibration_check()
    for total in SHORT_BUDGETS:
        out |= short_budget(total)
    return out
