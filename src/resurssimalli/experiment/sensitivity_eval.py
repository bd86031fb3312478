"""One point of a sensitivity run: the scenario with a set of assumptions overridden, optimised
and simulated on the common seed, reduced to the decision quantities.

A :class:`Point` carries everything a worker needs (picklable) and is named by a hash of what it
computes, so a point asked for twice (by the Morris design, the one-at-a-time runs or a flip
search) is computed once and a resumed run finds it in its store. :func:`evaluate` is a pure
function of the point: its table is the same whichever executor ran it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from resurssimalli.scenario.load import Scenario, load_scenario

# the decision quantities (store ``kpi`` names); each site's open state is ``site:<id>``
INTERVIEWS = "interviews_on_time_worst_month"
CONVERSATIONS = "conversations_on_time_worst_month"
PERSON_DAYS = "unemployment_person_days"
BENEFIT = "benefit_cost_municipal_eur"
COST = "municipal_cost_eur"
SITE_PREFIX = "site:"
# worst month of a share KPI (group ``all``, the mean over replications): output name -> KPI
WORST_MONTH = {INTERVIEWS: "initial_interview_on_time_share", CONVERSATIONS: "conversations_on_time_share"}
# a year's total (the sum over months, the mean over replications): output name -> KPI
YEAR_TOTAL = {PERSON_DAYS: "unemployment_days", BENEFIT: "benefit_cost_municipal_eur"}
# what the municipalities pay in the plan (the social cost of customers' travel and planning
# penalties are not theirs)
MUNICIPAL_ITEMS = ("staff", "site_fixed", "staff_travel")


@dataclass(frozen=True)
class Point:
    """The scenario file with ``overrides`` (nested, as ``--set`` gives them), simulated for
    ``replications`` on ``seed`` (``simulate=False``: the plan only, for the sites)."""

    scenario_path: str
    overrides: Mapping[str, Any] = field(hash=False)
    replications: int
    seed: int
    months: int | None
    simulate: bool = True

    @property
    def key(self) -> str:
        """The point's store name: a hash of everything it computes from."""
        spec = [self.scenario_path, self.overrides, self.replications, self.seed, self.months, self.simulate]
        text = json.dumps(spec, sort_keys=True, default=str)
        return "p" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]

    def describe(self) -> dict[str, Any]:
        return {"scenario": self.key, "replication": 0, "seed": self.seed, "overrides": self.overrides}


def plan_outputs(plan: Any) -> dict[str, float]:
    """The municipalities' cost a year and each candidate site's open state (1/0) of a plan."""
    items = plan.summary["cost_items"]
    out = {COST: float(sum(items[i] for i in MUNICIPAL_ITEMS))}
    for site, is_open in zip(plan.sites["site"], plan.sites["open"], strict=True):
        out[f"{SITE_PREFIX}{site}"] = float(bool(is_open))
    return out


def kpi_outputs(kpis: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """The worst month's shares on time (mean over replications; lowest month) and the year's
    person-days and municipal benefit cost (mean over replications of the sum over months)."""
    area = kpis[(kpis["group"] == "all") & kpis["month"].astype(str).str.match(r"^\d{4}-\d{2}$")]
    out: dict[str, float] = {}
    for name, kpi in WORST_MONTH.items():
        monthly = area[area["kpi"] == kpi].groupby("month")["value"].mean().dropna()
        out[name] = float(monthly.min()) if not monthly.empty else float("nan")
    for name, kpi in YEAR_TOTAL.items():
        rows = area[area["kpi"] == kpi]
        out[name] = (
            float(rows.groupby("replication")["value"].sum().mean()) if not rows.empty else float("nan")
        )
    return out


def evaluate(point: Point) -> pd.DataFrame:
    """The point's decision quantities as a store table (``scenario`` = the point's key)."""
    from resurssimalli.pipeline import plan_for
    from resurssimalli.simulate import Allocation
    from resurssimalli.simulate.runner import run_replication

    scenario = load_scenario(point.scenario_path, dict(point.overrides))
    plan = plan_for(scenario).optimised
    assert plan is not None  # optimised here, never read from a folder
    out = plan_outputs(plan)
    if point.simulate:
        alloc = Allocation.from_result(plan, source=f"sensitivity point {point.key}")
        kpis = pd.concat(
            [
                run_replication(scenario, alloc, r, point.seed, point.months)
                for r in range(point.replications)
            ],
            ignore_index=True,
        )
        out.update(kpi_outputs(kpis, scenario))
    return pd.DataFrame(
        {"scenario": point.key, "replication": 0, "kpi": list(out), "value": list(out.values())}
    )
