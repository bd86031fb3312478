"""The robust plan: one site plan for several scenarios, staff adapting per scenario."""

from __future__ import annotations

import pytest

from resurssimalli.errors import InputError
from resurssimalli.experiment.robust import robust_plan
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario

NAMES = ("baseline", "plant_closure", "immigration", "recession")


@pytest.fixture(scope="module")
def scenarios(scenario_dir):
    return [load_scenario(scenario_dir / f"{n}.yaml") for n in NAMES]


@pytest.fixture(scope="module")
def result(scenarios):
    return robust_plan(scenarios)


def test_robust_plan_is_feasible_for_every_scenario(result, scenarios):
    assert result.outcome.status == "optimal"
    open_sites = set(result.sites.loc[result.sites["open"], "site"])
    for s in scenarios:
        alloc = result.allocation[result.allocation["scenario"] == s.name]
        # every rule of the single-scenario model, checked on the tables
        assert alloc["htv"].sum() == pytest.approx(s.config.staff.total_htv, abs=1e-6)
        assert set(alloc["site"]) <= open_sites, "staff only at the shared open sites"
        for area in s.region.areas:
            offices = [j for j in s.region.sites_in_area(area) if s.region.sites[j].kind == "office"]
            assert open_sites & set(offices), f"an office in {area}"
        for m in s.region.municipalities:
            assert open_sites & {j for j, x in s.region.sites.items() if x.municipality == m}
        central = alloc[alloc["service_line"].isin(["centralised", "integration"])]
        assert set(central["municipality"]) <= {"Sastamala"}
        acc = result.access[(result.access["scenario"] == s.name) & (result.access["site"] != "(uncovered)")]
        assert (acc["minutes"] <= s.config.access.max_travel_minutes + 1e-9).all()
        assert set(acc["site"]) <= open_sites


def test_robust_costs_no_less_than_each_own_optimum(result):
    sc = result.scenario_costs
    assert (sc["robust_eur"] >= sc["own_optimum_eur"] - 1e-3 * sc["own_optimum_eur"].abs()).all()
    s = result.summary()
    assert s["extra_cost_in_baseline_eur"] >= -1.0
    # the robust objective is the weighted mean and never worse than keeping the baseline's sites
    assert s["expected_cost_robust_eur"] <= s["expected_cost_baseline_sites_eur"] * (1 + 1e-4)


def test_robust_matches_single_scenario_when_given_copies(scenarios):
    base = scenarios[0]
    alone = optimize(base)
    r = robust_plan([base, load_scenario(base.path, {"weight": 2.0})])
    assert r.scenario_costs["robust_eur"].iloc[0] == pytest.approx(alone.summary["objective"], rel=1e-4)


def test_robust_needs_two_scenarios(scenarios):
    with pytest.raises(InputError):
        robust_plan(scenarios[:1])
