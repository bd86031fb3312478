"""The memo's body sections: plan, costs, access, stress test, cost against access.

Each builder takes the run's :class:`Facts` and returns a :class:`Section` (or ``None`` to
leave the section out). Numbers are formatted here, in the memo's language; names come from
:class:`~resurssimalli.report.names.Names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resurssimalli.report import tables
from resurssimalli.report.marginal import marginal_rows, marginal_texts
from resurssimalli.report.memo.document import Block, Column, Figure, Para, Section, Table
from resurssimalli.report.memo.facts import Facts, kpi_value, target_text
from resurssimalli.report.suppression import hidden_within
from resurssimalli.report.texts import MISSING, SUPPRESSED, Texts

VERDICT_ORDER = ("fails", "at_risk", "meets")


def not_computed(f: Facts, files: list[str]) -> Para:
    return Para(f.t("not_computed", files=", ".join(files)))


def figure(f: Facts, key: str) -> list[Block]:
    file = f.figure(key)
    return [Figure(key, file, f.t(f"fig_{key}"))] if file else []


def _unserved_hours(solver: Mapping) -> float:
    unserved = solver.get("unserved_hours_total", solver.get("unserved"))
    if isinstance(unserved, Mapping):
        return float(
            sum(v for d in unserved.values() for v in (d.values() if isinstance(d, Mapping) else [d]))
        )
    return float(unserved) if isinstance(unserved, int | float) else 0.0


def _solver_blocks(f: Facts) -> list[Block]:
    s, t = f.res.solver, f.t
    if s is None:
        return []
    gap = s.get("gap")
    status = str(s.get("status"))
    out: list[Block] = [
        Para(
            t(
                "solver_status",
                status=t.name("status", status),
                gap=t.pct(gap, 2) if isinstance(gap, int | float) else MISSING,
            )
        )
    ]
    hours = _unserved_hours(s)
    if hours > 1e-6:
        out.append(Para(t("unserved_warning", hours=t.num(hours, 0))))
    return out


def _sites_table(f: Facts) -> Block:
    t, n = f.t, f.names
    if f.sites is None:
        return not_computed(f, ["sites.csv"])
    rows = [
        [
            n.municipality(r.municipality),
            r.name,
            t.name("kind", r.kind),
            t.num(r.htv, 1),
            t.num(r.workstations, 0),
            t.num(r.workstations_used, 0),
        ]
        for r in f.sites.itertuples()
    ]
    cols = [Column(t(k)) for k in ("col_municipality", "col_site", "col_kind")] + [
        Column(t(k), True) for k in ("col_htv", "col_workstations", "col_workstations_used")
    ]
    return Table("sites", t("plan_sites"), tuple(cols), rows)


def _htv_table(f: Facts) -> list[Block]:
    t, n = f.t, f.names
    if f.htv is None:
        return [not_computed(f, ["allocation.csv"])]
    htv = f.htv
    cols = (Column(t("col_area")), *[Column(n.line(c), True) for c in htv.columns])
    rows = [[n.area(a), *[t.num(v, 2) for v in htv.loc[a]]] for a in htv.index]
    return [Table("htv", t("plan_htv"), cols, rows, total_row=True), *figure(f, "htv")]


def plan(f: Facts) -> Section:
    """Solver status, the sites to open and the HTV by area and service line."""
    blocks = [*_solver_blocks(f), _sites_table(f), *_htv_table(f)]
    return Section("plan", f.t("sec_plan"), blocks)


def _budget_table(f: Facts, split: tables.CostSplit) -> Table:
    t, n = f.t, f.names
    budget = split.budget
    items = [c for c in budget.columns if c != tables.TOTAL]
    cols = (
        Column(t("col_municipality")),
        *[Column(t.name("cost", c), True) for c in items],
        Column(t("col_budget_total"), True),
        Column(t("col_social_cost"), True),
    )
    rows = [
        [
            n.municipality(m),
            *[t.num(budget.loc[m, c], 0) for c in items],
            t.num(budget.loc[m, tables.TOTAL], 0),
            t.num(split.social.get(m, 0.0), 0),
        ]
        for m in budget.index
    ]
    return Table("costs", t("plan_costs"), cols, rows, total_row=True)


def _central_table(f: Facts) -> list[Block]:
    t, n = f.t, f.names
    central = tables.central_cost(f.res)
    if central is None:
        return []
    key = f.scenario.config.costs.central_cost_key
    rows = [
        [n.municipality(r.municipality), t.pct(r.share, 1), t.num(r.eur, 0)] for r in central.itertuples()
    ]
    cols = (Column(t("col_municipality")), Column(t("col_share"), True), Column(t("col_eur"), True))
    return [
        Para(t("plan_central_text", lead=n.municipality(f.scenario.region.lead_municipality))),
        Table("central", t("plan_central", key=t.name("key", key)), cols, rows, total_row=True),
    ]


def costs(f: Facts) -> Section:
    """What the municipalities pay (budget) beside the value of customers' time (social cost)."""
    t = f.t
    if f.costs is None:
        return Section("costs", t("sec_costs"), [not_computed(f, ["costs.csv"])])
    split = f.costs
    blocks: list[Block] = [
        Para(
            t(
                "costs_text",
                budget=t.num(split.budget.loc[tables.TOTAL, tables.TOTAL], 0),
                social=t.num(split.social.get(tables.TOTAL, 0.0), 0),
                eur_h=t.num(f.scenario.config.access.customer_time_eur_per_hour, 0),
            )
        ),
        _budget_table(f, split),
    ]
    penalty = float(split.penalty.get(tables.TOTAL, 0.0))
    if penalty > 0.5:
        blocks.append(Para(t("costs_penalty", eur=t.num(penalty, 0))))
    blocks += _central_table(f)
    return Section("costs", t("sec_costs"), blocks)


def _village_counts(f: Facts) -> dict[str, str]:
    """Customers per demand point as shown: small counts (and the cells that would give them
    away against the municipality's count) as "…" when suppressing."""
    by_point = f.access_points
    counts = by_point.set_index("demand_point")["customers"]
    hide = (
        hidden_within(counts, by_point.set_index("demand_point")["municipality"])
        if f.suppression
        else counts.isna()
    )
    return {p: SUPPRESSED if hide[p] else f.t.num(v, 0) for p, v in counts.items()}


def _access_table(f: Facts) -> Table:
    t, n = f.t, f.names
    shown = _village_counts(f)
    rows = [
        [
            n.point(r.demand_point),
            n.municipality(r.municipality),
            n.site(r.site),
            shown[r.demand_point],
            t.num(r.mean_minutes, 1),
            t.num(r.max_minutes, 1),
            t.pct(r.within_share, 0),
        ]
        for r in f.access_points.itertuples()
    ]
    cols = [Column(t(k)) for k in ("col_demand_point", "col_municipality", "col_site")] + [
        Column(t(k), True) for k in ("col_customers", "col_mean_minutes", "col_max_minutes", "col_within")
    ]
    return Table("access", t("access_table"), tuple(cols), rows)


def access(f: Facts) -> Section:
    """Share of customers within the travel limit, mean and longest trip, per village."""
    t, n, a = f.t, f.names, f.access
    if a is None or f.access_points is None:
        return Section("access", t("sec_access"), [not_computed(f, ["access.csv"]), *figure(f, "map")])
    text = t(
        "access_text",
        within=t.pct(a.within_share, 1),
        limit=t.num(a.limit, 0),
        mean=t.num(a.mean_minutes, 1),
        longest=t.num(a.longest_minutes, 1),
        longest_point=n.point(a.longest_point),
        longest_site=n.site(a.longest_site),
    )
    return Section("access", t("sec_access"), [Para(text), _access_table(f), *figure(f, "map")])


def _verdict_cell(t: Texts, r: Any) -> str:
    """The judged value and the verdict in words; the worst month when a month misses the target."""
    text = f"{kpi_value(t, r.kpi, r.mean)} {t(f'verdict_{r.verdict}')}"
    if r.judge != "horizon" and r.verdict != "meets":
        text += f" ({t.month(str(r.period).removeprefix('worst '))})"
    return text


def _verdict_table(f: Facts) -> Table:
    """Scenario rows x target columns: the mean and the verdict in words."""
    t, n, st = f.t, f.names, f.stress
    targets = list(dict.fromkeys(zip(st["kpi"], st["group"], st["op"], st["target"], strict=True)))
    cols = [Column(t("col_scenario"))]
    for kpi, group, op, value in targets:
        where = "" if group == "all" else f", {n.group(group)}"
        cols.append(Column(f"{n.kpi(kpi)}{where} {target_text(t, op, kpi, value)}", True))
    cols.append(Column(t("col_verdict")))
    rows = []
    for sc, g in st.groupby("scenario", sort=False):
        cells = {(r.kpi, r.group, r.op, r.target): r for r in g.itertuples()}
        row = [n.scenario(str(sc))]
        for key in targets:
            r = cells.get(key)
            row.append(MISSING if r is None else _verdict_cell(t, r))
        worst = min(g["verdict"], key=VERDICT_ORDER.index)
        row.append(t(f"overall_{worst}"))
        rows.append(row)
    return Table("verdicts", t("stress_verdicts"), tuple(cols), rows)


def stress(f: Facts) -> Section:
    """Each scenario against the targets, in words; the details are in an appendix."""
    t = f.t
    if f.stress is None:
        return Section("stress", t("sec_stress"), [not_computed(f, ["summary.csv", "kpis.parquet"])])
    blocks: list[Block] = [Para(t("stress_text"))]
    if f.stress.empty:
        blocks.append(Para(t("stress_no_targets")))
    else:
        blocks.append(_verdict_table(f))
    return Section("stress", t("sec_stress"), blocks)  # the target KPIs' figure is in the grounds


def front(f: Facts) -> Section:
    """The cost-access front and the marginal value of one more HTV."""
    t, n = f.t, f.names
    blocks: list[Block] = []
    p = f.res.table("pareto.csv")
    if p is None:
        blocks.append(not_computed(f, ["pareto.csv"]))
    else:
        changes = "sites_opened" in p.columns
        rows = [
            [t.num(r.point, 0), t.num(r.cost_eur, 0), t.num(r.max_minutes, 1), t.num(r.mean_minutes, 1)]
            + ([n.site_changes(r.sites_opened, r.sites_closed)] if changes else [])
            for r in p.itertuples()
        ]
        cols = (
            Column(t("col_point")),
            *[Column(t(k), True) for k in ("col_cost", "col_max_minutes", "col_mean_minutes")],
            *([Column(t("col_site_changes"))] if changes else []),
        )
        blocks += [Para(t("front_text")), Table("pareto", t("front_table"), cols, rows), *figure(f, "pareto")]
    solver = f.res.solver or {}
    rows = marginal_rows(solver, t, n.area)
    if not rows:
        blocks.append(not_computed(f, ["summary.json: shadow_price_htv"]))
    else:
        cols = (
            Column(t("col_area")), Column(t("col_eur_before_salary"), True), Column(t("col_valid_htv"), True)
        )
        text, *whole = marginal_texts(solver, t, f.scenario.config.staff.cost_per_htv_eur)
        blocks += [Para(text), Table("marginal", t("marginal_table"), cols, rows), *(Para(w) for w in whole)]
    return Section("front", t("sec_front"), blocks)
