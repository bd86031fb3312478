"""Any plan the optimiser returns can be simulated: visits it left uncovered (no site within the
travel limit) are served at the nearest open site beyond it, and counted, never an error."""

from __future__ import annotations

from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.schema import UNCOVERED_SITE
from resurssimalli.simulate import Allocation, simulate
from conftest import SCENARIOS


def test_a_plan_with_uncovered_visits_simulates_and_counts_them():
    s = load_scenario(SCENARIOS / "baseline.yaml", {"access": {"max_travel_minutes": 30}})
    plan = optimize(s)
    uncovered = plan.access[plan.access["site"] == UNCOVERED_SITE]
    assert not uncovered.empty, "the 30-minute limit should leave some visits uncovered"
    sim = simulate(s, Allocation.from_result(plan), replications=2, months=3)
    k = sim.kpis[sim.kpis["kpi"] == "registrations_uncovered_by_plan"]
    counted = k.groupby("group")["value"].sum()
    assert counted["all"] > 0
    # only municipalities with an uncovered demand point count any
    munis_uncovered = set(uncovered["municipality"])
    counting = {g for g, v in counted.items() if g != "all" and v > 0}
    assert counting and counting <= munis_uncovered
    # and the baseline plan (45 minutes) has none
    base = load_scenario(SCENARIOS / "baseline.yaml")
    sim0 = simulate(base, Allocation.from_result(optimize(base)), replications=1, months=2)
    assert sim0.kpis.loc[sim0.kpis["kpi"] == "registrations_uncovered_by_plan", "value"].sum() == 0
