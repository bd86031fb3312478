"""The memo's first two pages: a decision proposal in the form Finnish municipal boards use.

* *päätösehdotus* — what the board decides: the staff per area, the sites, the follow-up;
* *perustelut* — what fails, where and when, why, the summer (the leave plan's effect and
  price, when a summer month fails or the plan needs substitutes), and what the plan does about
  it (the target KPIs' figure);
* *talousvaikutukset* — what the municipalities pay, and what one HTV more or fewer buys in
  each area (``htv_value.csv``, computed by ``run``);
* *riskit ja epävarmuus* — the assumptions that matter most and the confidence.

Every number comes from the run's tables (:class:`Facts`); everything else is in the appendices.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.memo.document import Block, Bullets, Column, Figure, Para, Section, Table
from resurssimalli.report.memo.facts import Facts, kpi_ci, kpi_value, target_text

RANK = {"meets": 0, "at_risk": 1, "fails": 2}
# the assumptions that decide the verdicts and the euros most (shown with their values)
KEY_ASSUMPTIONS = (
    "staff.customer_time_share",
    "service.meeting_minutes",
    "staff.absence.summer_leave",
    "outcomes.effect_size",
)


def ref(f: Facts, *ids: str) -> str:
    """The appendix letters of sections ``ids`` (``A``, ``A, B, C``), as lettered in this memo."""
    letters = dict(f.extra.get("letters", {}))
    return ", ".join(letters[i] for i in ids if i in letters) or "–"


def _month(f: Facts, r: Any) -> str:
    return str(r.period).removeprefix("worst ")


def _base_rows(f: Facts, frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame()
    return frame[frame["scenario"] == f.scenario.name]


def _target_name(f: Facts, r: Any) -> str:
    return f"{f.names.kpi(r.kpi)} {target_text(f.t, r.op, r.kpi, r.target)}"


def _worst_value(f: Facts, r: Any) -> str:
    """``heinäkuu 2024: 52,1 % (luottamusväli [49,5 %; 54,8 %])``."""
    t = f.t
    if r.judge == "horizon":
        return kpi_value(t, r.kpi, r.mean)
    return t(
        "prop_value_in",
        month=t.month(_month(f, r)),
        value=kpi_value(t, r.kpi, r.mean),
        ci=kpi_ci(t, r.kpi, r.ci_low, r.ci_high),
    )


def _missed(f: Facts) -> list[Any]:
    """The plan's scenario's targets that are not met, worst first."""
    rows = _base_rows(f, f.stress)
    if rows.empty:
        return []
    missed = rows[rows["verdict"] != "meets"]
    return sorted(missed.itertuples(), key=lambda r: -RANK[r.verdict])


def _when(f: Facts, r: Any) -> str:
    """The month a target was judged in, or the whole run for a target judged over the horizon."""
    return f.t.month(_month(f, r)) if r.judge != "horizon" else f.t("choice_horizon")


def _areas_htv(f: Facts) -> str:
    htv = f.htv
    if htv is None:
        return f.t("none")
    by_area = htv[tables.TOTAL].drop(tables.TOTAL)
    return ", ".join(f"{f.names.area(str(a))} {f.t.num(v, 2)}" for a, v in by_area.items())


def _sites_by_kind(f: Facts) -> str:
    sites = f.sites
    if sites is None:
        return f.t("none")
    parts = []
    for kind in ("office", "service_point", "popup"):
        names = list(sites.loc[sites["kind"] == kind, "name"])
        if names:
            parts.append(f"{f.t(f'prop_kind_{kind}')} {', '.join(names)}")
    return "; ".join(parts)


def decision(f: Facts) -> Section:
    """Päätösehdotus: the staff per area, the sites, and the follow-up of what fails."""
    t = f.t
    htv = f.htv.loc[tables.TOTAL, tables.TOTAL] if f.htv is not None else f.scenario.config.staff.total_htv
    if f.sites is None or f.htv is None:  # no plan in this run: nothing to decide on
        return Section("decision", t("sec_decision"), [Para(t("line_no_plan"))])
    items = [
        t("prop_decide_staff", htv=t.num(htv, 2), areas=_areas_htv(f), a=ref(f, "plan")),
        t("prop_decide_sites", sites=_sites_by_kind(f)),
    ]
    missed = _missed(f)
    if missed:
        named = "; ".join(
            f"{f.names.kpi(r.kpi)}: {_when(f, r)} {kpi_value(t, r.kpi, r.mean)}" for r in missed
        )
        items.append(t("prop_decide_follow", targets=named))
    else:
        items.append(t("prop_decide_monitor"))
    return Section("decision", t("sec_decision"), [Para(t("prop_decide_head")), Bullets(items)])


def _local_text(f: Facts, r: Any) -> str | None:
    """``Heikoimmin Parkano, huhtikuu 2024: 1,0 %``: the place that does worst for a target."""
    local = _base_rows(f, f.local)
    if local.empty:
        return None
    hit = local[(local["kpi"] == r.kpi) & (local["op"] == r.op) & (local["target"] == r.target)]
    if hit.empty:
        return None
    w = next(hit.itertuples())
    return f.t(
        "prop_worst_place",
        place=f.names.group(str(w.group)),
        verdict=f.t(f"verdict_{w.verdict}"),
        value=_worst_value(f, w),
    )


def _what_fails(f: Facts) -> list[Block]:
    t = f.t
    missed = _missed(f)
    if f.stress is None:
        return [Para(t("line_no_stress"))]
    if not missed:
        return [Para(t("prop_all_met", scenario=f.names.scenario(f.scenario.name)))]
    out = []
    for r in missed:
        months = str((r.failing_months if r.verdict == "fails" else r.at_risk_months) or "").split()
        text = t(
            "prop_fails",
            target=_target_name(f, r),
            verdict=t(f"verdict_{r.verdict}"),
            n=len(months),
            worst=_worst_value(f, r),
            year=kpi_value(t, r.kpi, r.horizon_mean),
        )
        local = _local_text(f, r)
        out.append(text + (" " + local if local else ""))
    return [Para(t("prop_fails_head", scenario=f.names.scenario(f.scenario.name))), Bullets(out)]


def _why(f: Facts) -> list[Block]:
    """The month's work against its on-duty time, in the worst month of the first missed target."""
    missed = [r for r in _missed(f) if r.kpi != "demand_to_capacity" and r.judge != "horizon"]
    summary = f.res.table("summary.csv")
    if not missed or summary is None:  # the ratio itself missing its target says why by itself
        return []
    month = _month(f, missed[0])
    d = summary[
        (summary["scenario"] == f.scenario.name)
        & (summary["kpi"] == "demand_to_capacity")
        & (summary["group"] == "all")
    ]
    in_month, year = d[d["period"] == month], d[d["period"] == "horizon"]
    if in_month.empty or year.empty:
        return []
    ratio, mean = float(in_month["mean"].iloc[0]), float(year["mean"].iloc[0])
    key = "prop_why_over" if ratio > 1.0 else "prop_why_under"
    return [
        Para(
            f.t(
                key,
                month=f.t.month(month),
                ratio=f.t.num(ratio, 2),
                mean=f.t.num(mean, 2),
                a=ref(f, "stress"),
            )
        )
    ]


def _summer(f: Facts) -> list[Block]:
    """When a summer month fails or the leave plan needs substitutes: the cause and what the plan
    does (:func:`resurssimalli.report.memo.leave.leave_line`)."""
    from resurssimalli.report.memo.leave import leave_line

    text = leave_line(f)
    return [Para(text)] if text else []


def _others(f: Facts) -> list[Block]:
    """The compared scenarios that miss a target: each with its worst target and month."""
    st = f.stress
    if st is None:
        return []
    rows = st[(st["scenario"] != f.scenario.name) & (st["verdict"] != "meets")]
    if rows.empty:
        n = st["scenario"].nunique() - 1
        return [Para(f.t("prop_others_meet", n=n))] if n > 0 else []
    parts = []
    for sc, g in rows.groupby("scenario", sort=False):
        r = sorted(g.itertuples(), key=lambda x: -RANK[x.verdict])[0]
        where = _when(f, r)
        parts.append(
            f"{f.names.scenario(str(sc))} ({f.names.kpi(r.kpi)} {f.t(f'verdict_{r.verdict}')}, "
            f"{where} {kpi_value(f.t, r.kpi, r.mean)})"
        )
    return [Para(f.t("prop_others", n=st["scenario"].nunique() - 1, scenarios="; ".join(parts)))]


def _remedy(f: Facts) -> list[Block]:
    """What the plan does, and the compared scenario that lifts the worst month most (if any)."""
    t = f.t
    out = [
        t(
            "prop_plan_does",
            htv=t.num(f.scenario.config.staff.total_htv, 2),
            a=ref(f, "plan", "costs", "access"),
        )
    ]
    missed = [r for r in _missed(f) if r.judge != "horizon"]
    st = f.stress
    if missed and st is not None:
        r = missed[0]
        same = st[
            (st["kpi"] == r.kpi)
            & (st["op"] == r.op)
            & (st["target"] == r.target)
            & (st["scenario"] != f.scenario.name)
        ]
        better = same[
            (same["mean"] > r.ci_high) if r.op == ">=" else (same["mean"] < r.ci_low)
        ]  # beyond its CI
        if not better.empty:
            idx = better["mean"].idxmax() if r.op == ">=" else better["mean"].idxmin()
            b = next(better.loc[[idx]].itertuples())
            out.append(
                t(
                    "prop_best_alternative",
                    scenario=f.names.scenario(str(b.scenario)),
                    kpi=f.names.kpi(r.kpi),
                    value=_worst_value(f, b),
                    base=kpi_value(t, r.kpi, r.mean),
                )
            )
    return [Para(" ".join(out))]


def grounds(f: Facts) -> Section:
    """Perustelut: what fails, where and when, why, what the plan does; the target KPIs' figure."""
    file = f.figure("targets")
    fig = [Figure("targets", file, f.t("fig_targets"))] if file else []
    from resurssimalli.report.memo.summary import basis_lines

    blocks = [
        *fig,
        *_what_fails(f),
        *_why(f),
        *_summer(f),
        *_others(f),
        *_remedy(f),
        *(Para(text) for text in basis_lines(f)),  # the data, a pack's estimates, the leave plan
    ]  # the figure first: text flows around a page
    return Section("grounds", f.t("sec_grounds"), blocks)


def _cost_text(f: Facts) -> Para:
    t, c = f.t, f.costs
    if c is None:
        return Para(t("line_no_cost"))
    total = c.budget.loc[tables.TOTAL]
    items = ", ".join(
        f"{t.name('cost', str(k))} {t.num(v, 0)}" for k, v in total.items() if k != tables.TOTAL
    )
    return Para(
        t(
            "prop_costs",
            budget=t.num(total[tables.TOTAL], 0),
            items=items,
            a=ref(f, "costs"),
            social=t.num(c.social.get(tables.TOTAL, 0.0), 0),
        )
    )


def _buys_cell(f: Facts, r: Any | None) -> str:
    from resurssimalli.report.outcomes_section import _change_cell

    return _change_cell(f.t, None if r is None else pd.Series(r._asdict()))


def _value_table(f: Facts) -> list[Block]:
    """One HTV fewer / more in each area: person-days and the municipalities' benefit share a year."""
    t = f.t
    v = f.htv_value
    if v is None or v.empty:
        return [Para(t("prop_value_missing"))]
    whole = v[v["group"] == "all"]
    cells = {(r.place, r.change, r.kpi): r for r in whole.itertuples()}
    rows = []
    for area in dict.fromkeys(whole["place"]):
        rows.append(
            [
                f.names.area(str(area)),
                *[
                    _buys_cell(f, cells.get((area, change, kpi)))
                    for change in ("minus_htv", "plus_htv")
                    for kpi in ("unemployment_days", "benefit_cost_municipal_eur")
                ],
            ]
        )
    cols = (
        Column(t("col_area")),
        *[
            Column(t(k), True)
            for k in ("prop_col_minus_days", "prop_col_minus_eur", "prop_col_plus_days", "prop_col_plus_eur")
        ],
    )
    n = int(whole["n"].max()) if not whole.empty else 0
    text = t("prop_value_text", cost=t.num(f.scenario.config.staff.cost_per_htv_eur, 0), n=n)
    return [Para(text), Table("htv_value", t("prop_value_table"), cols, rows)]


def _what_if_text(f: Facts) -> list[Block]:
    """The site what-ifs in one line each: the sites that open and close, the change in what the
    municipalities pay and in customers' travel (``what_if_plans.csv``; the table is in an appendix)."""
    from resurssimalli.report.outcomes_section import _signed, variant_label

    plans = f.res.table("what_if_plans.csv")
    if plans is None or plans.empty:
        return []
    t = f.t
    items = []
    for r in plans[plans["change"].astype(str).str.startswith("close_site")].itertuples():
        label = variant_label(f.names, str(r.change), str(r.place))
        if str(r.feasible).lower() in ("false", "0"):
            items.append(f"{label}: {t('prop_whatif_infeasible')}")
            continue
        items.append(
            t(
                "prop_whatif_item",
                label=label,
                sites=f.names.site_changes(r.sites_opened, r.sites_closed),
                budget=_signed(t, r.budget_change_eur),
                travel=_signed(t, r.travel_value_change_eur),
            )
        )
    if not items:
        return []
    return [Para(t("prop_whatif_head", a=ref(f, "outcomes"))), Bullets(items)]


def finances(f: Facts) -> Section:
    """Talousvaikutukset: what the municipalities pay, what one HTV more or fewer buys per area,
    and what a site closure asked for with ``--what-if`` changes."""
    return Section("finances", f.t("sec_finances"), [_cost_text(f), *_value_table(f), *_what_if_text(f)])


def _assumption_items(f: Facts) -> list[str]:
    from resurssimalli.report.assumptions import key_values
    from resurssimalli.report.memo.values import show_value

    keys = [k for k in KEY_ASSUMPTIONS if k != "staff.absence.summer_leave" or not _summer(f)]  # said there
    values = key_values(f.scenario, keys)
    a = ref(f, "outcomes")
    return [f.t(f"prop_key_{k.replace('.', '_')}", value=show_value(f.names, values[k]), a=a) for k in keys]


def risks(f: Facts) -> Section:
    """Riskit ja epävarmuus: the confidence, the assumptions that matter most, the cautions."""
    from resurssimalli.report.outcomes_section import _cautions, wrong_way

    t = f.t
    k = f.res.table("kpis.parquet")
    n = int(k["replication"].nunique()) if k is not None and not k.empty else 0
    months = int(k["month"].nunique()) if k is not None and not k.empty else 0
    items = [t("prop_confidence", n=n, months=months, a=ref(f, "stress")), *_assumption_items(f)]
    items += _cautions(f.res, t)
    from resurssimalli.report.sensitivity import risk_items

    items += risk_items(f.res, f.names, ref(f, "sensitivity"))
    if f.htv_value is not None and not f.htv_value.empty:
        from resurssimalli.report.outcomes_section import variant_label

        v = f.htv_value
        against = [
            r
            for r in v[(v["group"] == "all")].itertuples()
            if wrong_way(v[v["variant"] == r.variant], f.names)
        ]
        labels = list(dict.fromkeys(variant_label(f.names, str(r.change), str(r.place)) for r in against))
        if labels:
            items.append(t("prop_wrong_way", rows=", ".join(labels)))
    return Section("risks", t("sec_risks"), [Para(t("prop_risks_head")), Bullets(items)])


PROPOSAL = [decision, grounds, finances, risks]
