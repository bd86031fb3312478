"""What a what-if variant changes besides unemployment: the sites, the cost, access and verdicts.

A closure is re-optimised, so the plan may open another site instead (closing Kihniö's service
point opens a Kihniö office under the rule that every municipality keeps a presence). A board
must see that, so every variant gets a row of :data:`PLAN_COLUMNS` (``what_if_plans.csv``):

* the sites it opens and closes against the plan (ids, space-separated);
* what the municipalities pay (staff, premises, staff travel) and the value of customers'
  travel, and their changes against the plan (euros a year);
* access: the customer-weighted share within the travel limit, the mean and the longest trip;

and its targets are judged like the plan's (``what_if_verdicts.csv``: the rows of
:func:`~resurssimalli.simulate.verdicts.judge_targets` with a ``variant`` column).

Closing a site *without replacement* (``close_site_only``) keeps every other site as the plan
has it and lifts the presence and office rules for that variant only: the answer to "what if we
simply close it".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from resurssimalli.scenario.customers import customer_mix
from resurssimalli.scenario.load import Scenario

PLAN_COLUMNS = [
    "variant", "change", "place", "feasible", "sites_opened", "sites_closed",
    "budget_eur", "budget_change_eur", "travel_value_eur", "travel_value_change_eur",
    "within_share", "mean_minutes", "max_minutes",
    "within_share_change", "mean_minutes_change", "max_minutes_change",
]  # fmt: skip
PLAN = "plan"  # the variant name of the plan itself (the row every change is measured against)
SOCIAL_ITEMS = ("customer_travel",)


def open_sites(sites: pd.DataFrame) -> set[str]:
    return set(sites.loc[sites["open"].astype(bool), "site"])


def cost_totals(costs: pd.DataFrame | None) -> tuple[float, float]:
    """(what the municipalities pay, the value of customers' travel) a year; penalties are no money."""
    if costs is None:
        return math.nan, math.nan
    item = costs["cost_item"].astype(str)
    social = item.isin(SOCIAL_ITEMS)
    budget = ~social & ~item.str.contains("penalty")
    return float(costs.loc[budget, "eur"].sum()), float(costs.loc[social, "eur"].sum())


def access_totals(scenario: Scenario, access: pd.DataFrame) -> tuple[float, float, float]:
    """(share within the travel limit, mean trip, longest trip), weighted by the customers who live
    at each demand point (their municipality's customers times the point's share)."""
    region = scenario.region
    stock = customer_mix(scenario).groupby("municipality")["stock"].sum()
    weight = {
        p.id: float(stock.get(p.municipality, 0.0)) * p.customer_share for p in region.demand_points.values()
    }
    acc = access[access["share"] > 0]
    w = acc["share"] * acc["demand_point"].map(weight).fillna(0.0)
    total = float(w.sum())
    if total <= 0:
        return math.nan, math.nan, float(acc["minutes"].max())
    limit = scenario.config.access.max_travel_minutes
    within = float(w[acc["minutes"] <= limit + 1e-9].sum() / total)
    return within, float((w * acc["minutes"]).sum() / total), float(acc["minutes"].max())


def plan_row(
    scenario: Scenario, sites: pd.DataFrame, access: pd.DataFrame, costs: pd.DataFrame | None
) -> dict:
    """A plan's sites, cost and access as a :data:`PLAN_COLUMNS` row (without the changes)."""
    budget, travel = cost_totals(costs)
    within, mean, longest = access_totals(scenario, access)
    return {
        "open": open_sites(sites), "budget_eur": budget, "travel_value_eur": travel,
        "within_share": within, "mean_minutes": mean, "max_minutes": longest,
    }  # fmt: skip


def changes_table(base: Mapping, variants: Mapping[str, tuple[str, str, Mapping | None]]) -> pd.DataFrame:
    """``base``: :func:`plan_row` of the plan; ``variants``: name -> (change, place, plan row, or
    None when no plan keeps the variant's rules). One :data:`PLAN_COLUMNS` row each, the plan first."""
    rows = []
    for name, (change, place, row) in {PLAN: ("", "", base), **variants}.items():
        out = {"variant": name, "change": change, "place": place, "feasible": row is not None}
        if row is not None:
            out["sites_opened"] = " ".join(sorted(row["open"] - base["open"]))
            out["sites_closed"] = " ".join(sorted(base["open"] - row["open"]))
            for k in ("budget_eur", "travel_value_eur", "within_share", "mean_minutes", "max_minutes"):
                out[k] = row[k]
            out["budget_change_eur"] = row["budget_eur"] - base["budget_eur"]
            out["travel_value_change_eur"] = row["travel_value_eur"] - base["travel_value_eur"]
            for k in ("within_share", "mean_minutes", "max_minutes"):
                out[f"{k}_change"] = row[k] - base[k]
        rows.append(out)
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def staff_row(base: Mapping, scenario: Scenario, delta: float) -> dict:
    """A ±HTV variant's plan row: the same sites and trips, the staff cost changed by the posts."""
    return {**base, "budget_eur": base["budget_eur"] + delta * scenario.config.staff.cost_per_htv_eur}


__all__ = ["PLAN", "PLAN_COLUMNS", "access_totals", "changes_table", "cost_totals", "plan_row", "staff_row"]
