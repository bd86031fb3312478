"""The memo's opening: question, recommendation, staff and cost, access, stress test (one line each)."""

from __future__ import annotations

from collections.abc import Callable

from resurssimalli.report import tables
from resurssimalli.report.memo.facts import Facts


def _question(f: Facts) -> str:
    t, s = f.t, f.scenario
    return t(
        "line_question",
        htv=t.num(s.config.staff.total_htv, 2),
        n_munis=len(s.region.municipalities),
        n_areas=len(s.region.areas),
        scenario=f.names.scenario(s.name),
    )


def _data(f: Facts) -> str:
    """The data the verdicts rest on: the official snapshot (or the plan's stock) and the year planned."""
    from resurssimalli.scenario.demand import add_months
    from resurssimalli.scenario.states import ALL_UNEMPLOYED, JOBSEEKERS, LAID_OFF, UNEMPLOYED, state_stock

    t, s = f.t, f.scenario
    h, demand = s.config.horizon, s.config.demand
    last = add_months(h.start, h.months - 1)
    span = {"first": t.month(h.start.strftime("%Y-%m")), "last": t.month(last.strftime("%Y-%m"))}
    snap = s.jobseekers
    if snap is None or demand.jobseekers is None:
        unemployed = s.region.labour_market.total("unemployed", demand.stock_period)
        return t("line_data_plan", period=t.month(demand.stock_period), unemployed=t.num(unemployed, 0), **span)
    stock = state_stock(s)
    ratios = demand.jobseekers.use == "ratios"
    return t(
        "line_data_snapshot",
        table=snap.table,
        month=t.month(snap.month),
        updated=t.date(snap.updated[:10]),
        jobseekers=t.num(stock.to_numpy().sum() if ratios else snap.total[JOBSEEKERS], 0),
        unemployed=t.num((stock[UNEMPLOYED] + stock[LAID_OFF]).sum() if ratios else snap.total[ALL_UNEMPLOYED], 0),
        estimate=t("line_data_estimate", period=t.month(demand.stock_period)) if ratios else "",
        **span,
    )


def _pack(f: Facts) -> str | None:
    """A region pack's defaults and estimates (no line for the seed area)."""
    from resurssimalli.report.pack_notes import pack_line

    return pack_line(f.scenario.region, f.t)


def _sites(f: Facts) -> str:
    t, sites = f.t, f.sites
    if sites is None:
        return t("line_no_plan")
    count = sites["kind"].value_counts()
    offices = ", ".join(sites.loc[sites["kind"] == "office", "name"]) or t("none")
    return t(
        "line_sites",
        offices_n=t.count("office", int(count.get("office", 0))),
        offices=offices,
        points=t.count("service_point", int(count.get("service_point", 0))),
        popups=t.count("popup", int(count.get("popup", 0))),
    )


def _staff(f: Facts) -> str:
    t, htv = f.t, f.htv
    if htv is None:
        return t("line_no_htv")
    by_area = htv[tables.TOTAL].drop(tables.TOTAL)
    return t(
        "line_htv",
        htv=t.num(htv.loc[tables.TOTAL, tables.TOTAL], 2),
        top_area=f.names.area(str(by_area.idxmax())),
        top_htv=t.num(by_area.max(), 2),
    )


def _cost(f: Facts) -> str:
    t, c = f.t, f.costs
    if c is None:
        return t("line_no_cost")
    return t(
        "line_cost",
        budget=t.num(c.budget.loc[tables.TOTAL, tables.TOTAL], 0),
        social=t.num(c.social.get(tables.TOTAL, 0.0), 0),
    )


def _access(f: Facts) -> str:
    t, a = f.t, f.access
    if a is None:
        return t("line_no_access")
    return t(
        "line_access",
        within=t.pct(a.within_share, 1),
        limit=t.num(a.limit, 0),
        longest=t.num(a.longest_minutes, 1),
        longest_point=f.names.point(a.longest_point),
    )


def _stress(f: Facts) -> str:
    """One line: the scenarios that miss a target, those at risk (only) and those that meet all."""
    t, st = f.t, f.stress
    if st is None:
        return t("line_no_stress")
    order = list(dict.fromkeys(st["scenario"]))
    worst = {s: min(g["verdict"], key=("fails", "at_risk", "meets").index) for s, g in st.groupby("scenario")}
    named = {v: [f.names.scenario(s) for s in order if worst[s] == v] for v in ("fails", "at_risk", "meets")}
    n_scen = len(order)
    if not named["fails"] and not named["at_risk"]:
        return t("line_stress_all_meet", n_scen=n_scen)
    parts = [t("stress_sum_head", n_scen=t.count("scenario", n_scen))]
    if len(named["fails"]) == n_scen:
        parts.append(t("stress_sum_fails_all", n_scen=n_scen))
    elif named["fails"]:
        parts.append(t("stress_sum_fails", scenarios=", ".join(named["fails"])))
    if named["at_risk"]:
        parts.append(t("stress_sum_at_risk", scenarios=", ".join(named["at_risk"])))
    if named["meets"]:
        parts.append(t("stress_sum_meet", scenarios=", ".join(named["meets"])))
    return " ".join(parts)


def _summer(f: Facts) -> str:
    from resurssimalli.report.memo.leave import leave_line

    return leave_line(f)


SUMMARY_LINES: list[Callable[[Facts], str | None]] = [
    _question, _pack, _data, _sites, _staff, _cost, _access, _stress, _summer,
]  # fmt: skip


def summary(f: Facts) -> list[str]:
    """The memo's numbered opening lines (a line with nothing to say is left out)."""
    return [text for text in (line(f) for line in SUMMARY_LINES) if text]


def basis_lines(f: Facts) -> list[str]:
    """The lines the decision proposal's grounds carry from the opening: a region pack's estimates
    and the data the verdicts rest on (the official snapshot or the plan's stock); each left out
    when it has nothing to say. The summer-leave plan's line opens its own appendix (the proposal
    keeps to two pages)."""
    return [text for text in (_pack(f), _data(f)) if text]
