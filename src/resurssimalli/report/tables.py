"""The memo's tables, derived from a run's result tables (pure functions, numbers unformatted).

Each function returns ``None`` when the run lacks the tables it needs. Formatting, translation
and small-cell suppression happen later (:mod:`.memo`, :mod:`.suppression`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from resurssimalli.report.results import RunResults
from resurssimalli.scenario.customers import INDICATORS, central_cost_key, customer_mix
from resurssimalli.scenario.schema import SERVICE_LINES
from resurssimalli.simulate.verdicts import judge_local, judge_targets, verdict, worst_places  # noqa: F401  (verdict: re-exported)

KIND_ORDER = {"office": 0, "service_point": 1, "popup": 2}
TOTAL = "total"


def _order(values: list[str], reference: list[str]) -> list[str]:
    known = [v for v in reference if v in values]
    return known + sorted(v for v in values if v not in reference)


def open_sites(res: RunResults, lang: str = "en") -> pd.DataFrame | None:
    """Open sites: municipality, site, name, kind, htv, workstations, workstations_used."""
    sites = res.table("sites.csv")
    if sites is None:
        return None
    region = res.scenario.region
    out = sites[sites["open"]].copy()
    out["name"] = [region.sites[s].label(lang) if s in region.sites else s for s in out["site"]]
    out["_m"] = out["municipality"].map({m: i for i, m in enumerate(region.municipalities)})
    out["_k"] = out["kind"].map(KIND_ORDER).fillna(9)
    out = out.sort_values(["_m", "_k", "site"])
    cols = ["municipality", "site", "name", "kind", "htv", "workstations", "workstations_used"]
    return out[cols].reset_index(drop=True)


def site_counts(res: RunResults) -> dict[str, int] | None:
    """Number of open sites by kind."""
    s = open_sites(res)
    if s is None:
        return None
    return {k: int((s["kind"] == k).sum()) for k in KIND_ORDER}


def htv_by_area_line(res: RunResults) -> pd.DataFrame | None:
    """Area x service line HTV with a ``total`` column and a ``total`` row (index: area)."""
    alloc = res.table("allocation.csv")
    if alloc is None:
        return None
    wide = alloc.pivot_table(
        index="area", columns="service_line", values="htv", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(
        index=_order(list(wide.index), list(res.scenario.region.areas)),
        columns=_order(list(wide.columns), list(SERVICE_LINES)),
    )
    wide[TOTAL] = wide.sum(axis=1)
    wide.loc[TOTAL] = wide.sum(axis=0)
    wide.columns.name = None
    return wide


def cost_by_municipality(res: RunResults) -> pd.DataFrame | None:
    """Municipality x cost item (EUR/year) with ``total`` column and row (index: municipality)."""
    costs = res.table("costs.csv")
    if costs is None:
        return None
    items = list(dict.fromkeys(costs["cost_item"]))
    wide = costs.pivot_table(
        index="municipality", columns="cost_item", values="eur", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(
        index=_order(list(wide.index), list(res.scenario.region.municipalities)), columns=items
    )
    wide[TOTAL] = wide.sum(axis=1)
    wide.loc[TOTAL] = wide.sum(axis=0)
    wide.columns.name = None
    return wide


SOCIAL_ITEMS = ("customer_travel",)  # customers' time and car cost: not paid from any budget


def cost_kind(item: str) -> str:
    """``budget`` (the municipalities pay), ``social`` (customers' time and car) or ``penalty``."""
    if "penalty" in item:
        return "penalty"
    return "social" if item in SOCIAL_ITEMS else "budget"


@dataclass(frozen=True)
class CostSplit:
    """Budget items by municipality with a ``budget`` total column, the social cost, penalties.

    ``budget`` is municipality x budget item (EUR/year) with ``total`` row and column;
    ``social`` and ``penalty`` are per-municipality series with a ``total`` entry.
    """

    budget: pd.DataFrame
    social: pd.Series
    penalty: pd.Series


def cost_split(res: RunResults) -> CostSplit | None:
    """The run's costs split into what the municipalities pay and the value of customers' time."""
    wide = cost_by_municipality(res)
    if wide is None:
        return None
    items = [c for c in wide.columns if c != TOTAL]
    by_kind = {k: [c for c in items if cost_kind(c) == k] for k in ("budget", "social", "penalty")}
    budget = wide[by_kind["budget"]].copy()
    budget[TOTAL] = budget.sum(axis=1)
    return CostSplit(
        budget=budget,
        social=wide[by_kind["social"]].sum(axis=1),
        penalty=wide[by_kind["penalty"]].sum(axis=1),
    )


def central_cost(res: RunResults) -> pd.DataFrame | None:
    """The centralised services' cost shared by the scenario's key: municipality, share, eur.

    The amount is the run's centralised cost: cost rows whose item names ``central``, else the
    HTV of the ``centralised`` service line in the allocation times the cost per HTV.
    """
    key = central_cost_key(res.scenario)
    costs, alloc = res.table("costs.csv"), res.table("allocation.csv")
    amount: float | None = None
    if costs is not None and costs["cost_item"].str.contains("central").any():
        amount = float(costs.loc[costs["cost_item"].str.contains("central"), "eur"].sum())
    elif alloc is not None:
        htv = float(alloc.loc[alloc["service_line"] == "centralised", "htv"].sum())
        amount = htv * res.scenario.config.staff.cost_per_htv_eur
    if amount is None:
        return None
    out = pd.DataFrame({"municipality": key.index, "share": key.to_numpy(), "eur": key.to_numpy() * amount})
    total = pd.DataFrame({"municipality": [TOTAL], "share": [key.sum()], "eur": [amount]})
    return pd.concat([out, total], ignore_index=True)


def customers_by_point(res: RunResults) -> pd.Series:
    """Customers (July stock, segmented and scaled by the scenario) living at each demand point."""
    region = res.scenario.region
    stock = customer_mix(res.scenario).groupby("municipality")["stock"].sum()
    return pd.Series(
        {
            p.id: float(stock.get(p.municipality, 0.0)) * p.customer_share
            for p in region.demand_points.values()
        }
    )


@dataclass(frozen=True)
class AccessSummary:
    limit: float
    within_share: float
    mean_minutes: float
    longest_minutes: float
    longest_point: str
    longest_site: str


def access_by_point(res: RunResults) -> pd.DataFrame | None:
    """Per demand point: municipality, main site, customers, mean and longest trip, share within limit."""
    acc = res.table("access.csv")
    if acc is None:
        return None
    limit = res.scenario.config.access.max_travel_minutes
    region = res.scenario.region
    cust = customers_by_point(res)
    acc = acc[acc["share"] > 0]
    rows = []
    for p, g in acc.groupby("demand_point", sort=False):
        w = g["share"] / g["share"].sum()
        main = g.loc[g["share"].idxmax(), "site"]
        rows.append(
            {
                "demand_point": p,
                "name": region.demand_points[p].name if p in region.demand_points else p,
                "municipality": g["municipality"].iloc[0],
                "site": main,
                "sites": int(len(g)),
                "customers": float(cust.get(p, math.nan)),
                "mean_minutes": float((w * g["minutes"]).sum()),
                "max_minutes": float(g["minutes"].max()),
                "within_share": float(w[g["minutes"] <= limit + 1e-9].sum()),
            }
        )
    out = pd.DataFrame(rows)
    order = {p: i for i, p in enumerate(region.demand_points)}
    out["_o"] = out["demand_point"].map(order).fillna(len(order))
    return out.sort_values(["_o", "demand_point"]).drop(columns="_o").reset_index(drop=True)


def access_summary(res: RunResults, by_point: pd.DataFrame | None = None) -> AccessSummary | None:
    """Customer-weighted share within the travel limit, mean trip, and the longest trip;
    ``by_point``: :func:`access_by_point` of the run when the caller has it already."""
    acc = res.table("access.csv")
    by_point = access_by_point(res) if by_point is None else by_point
    if acc is None or by_point is None or by_point.empty:
        return None
    w = by_point["customers"].fillna(0.0)
    total = float(w.sum())
    acc = acc[acc["share"] > 0]
    worst = acc.loc[acc["minutes"].idxmax()]
    limit = res.scenario.config.access.max_travel_minutes
    return AccessSummary(
        limit=float(limit),
        within_share=float((w * by_point["within_share"]).sum() / total) if total else math.nan,
        mean_minutes=float((w * by_point["mean_minutes"]).sum() / total) if total else math.nan,
        longest_minutes=float(worst["minutes"]),
        longest_point=str(worst["demand_point"]),
        longest_site=str(worst["site"]),
    )


def _judged_summary(res: RunResults) -> tuple[pd.DataFrame, list[str]] | None:
    summary = res.table("summary.csv")
    if summary is None:
        return None
    scenarios = list(summary["scenario"].unique())  # in order of appearance
    if "month" in summary.columns:  # a list: iterating an Arrow-backed column is ~10x slower
        summary = summary.assign(month=[m if isinstance(m, str) else "" for m in summary["month"].tolist()])
    return summary, scenarios


def stress(res: RunResults) -> pd.DataFrame | None:
    """Each scenario's KPI against each target, judged by month (:mod:`resurssimalli.simulate.verdicts`):
    scenario, kpi, group, op, target, judge, verdict, the judged period's mean and CI, n, the failing
    months and the horizon mean."""
    got = _judged_summary(res)
    if got is None:
        return None
    summary, scenarios = got
    targets = res.scenario.config.targets
    return judge_targets(summary, {sc: targets for sc in scenarios})


def local_stress(res: RunResults) -> pd.DataFrame | None:
    """Per scenario and whole-area target, the municipality or area that does worst (its verdict,
    month and value): :func:`~resurssimalli.simulate.verdicts.worst_places` of the local verdicts."""
    got = _judged_summary(res)
    if got is None:
        return None
    summary, scenarios = got
    targets = res.scenario.config.targets
    munis = res.scenario.region.municipalities
    return worst_places(judge_local(summary, {sc: targets for sc in scenarios}, munis))


def comparison_all(res: RunResults) -> pd.DataFrame | None:
    """Paired differences against the baseline for the whole area (group ``all``)."""
    comp = res.table("comparison.csv")
    if comp is None:
        return None
    return comp[comp["group"] == "all"].reset_index(drop=True)


def labour_market_cells(res: RunResults) -> tuple[pd.DataFrame, pd.Series]:
    """Unemployed job seekers of the stock period, municipality x group (NaN = suppressed at source),
    and the published totals by group."""
    s = res.scenario
    period = s.config.demand.stock_period
    lm = s.region.labour_market
    wide = lm.wide(period)[list(INDICATORS)].reindex(list(s.region.municipalities))
    totals = pd.Series({i: lm.total(i, period) for i in INDICATORS})
    return wide, totals


def customer_cells(res: RunResults) -> tuple[pd.DataFrame, pd.Series]:
    """Estimated customers (stock) by municipality x service need, and exact totals by need."""
    mix = customer_mix(res.scenario)
    wide = mix.pivot_table(index="municipality", columns="service_line", values="stock", aggfunc="sum")
    lines = [c for c in SERVICE_LINES if c in wide.columns]
    wide = wide.reindex(index=list(res.scenario.region.municipalities), columns=lines)
    return wide, wide.sum(axis=0)
