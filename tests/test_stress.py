"""The stress loop: ends with a plan that meets the target, or names what the budget cannot cover."""

from __future__ import annotations

import pytest

from resurssimalli.errors import InputError
from resurssimalli.experiment.stress import meets, parse_target, stress
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate

TARGET = "initial_interview_on_time_share>=0.95"


@pytest.fixture(scope="module")
def pair(scenario_dir):
    return [load_scenario(scenario_dir / f"{n}.yaml") for n in ("baseline", "plant_closure")]


def test_parse_target():
    t = parse_target("staff_utilisation[job_brokering]<=0.9")
    assert (t.kpi, t.group, t.op, t.value) == ("staff_utilisation", "job_brokering", "<=", 0.9)
    for bad in ("happiness>=1", "stock=3", "stock>=lots"):
        with pytest.raises(InputError):
            parse_target(bad)
    assert meets(">=", 0.9, 0.91, 0.99, 0.95) and not meets(">=", 0.9, 0.89, 0.99, 0.95)
    assert meets("<=", 0.9, 0.1, 0.89, 0.5) and not meets("<=", 0.9, 0.1, 0.91, 0.5)


def test_loop_ends_with_a_plan_that_meets_the_target(pair):
    res = stress(pair, [parse_target(TARGET)], replications=8, jobs=2, max_iterations=8)
    assert res.status == "met"
    it = res.iterations
    last = it[it["iteration"] == it["iteration"].max()]
    assert last["meets"].all() and set(last["scenario"]) == {"baseline", "plant_closure"}
    first = it[it["iteration"] == 1]
    if not first["meets"].all():  # the loop had to add capacity: it went where the closure hit
        assert res.extra_hours and it["iteration"].max() > 1
        assert ("Hameenkyro", "job_brokering") in res.extra_hours  # the closure's area got capacity
    # an independent check of the final plan under the closure, same seeds
    sim = simulate(pair[1], Allocation.from_result(res.plan), replications=8)
    row = sim.summary.set_index(["kpi", "group"]).loc[("initial_interview_on_time_share", "all")]
    assert row["ci_low"] >= 0.95


def test_budget_that_cannot_is_named(scenario_dir):
    small = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": 29.5}})
    res = stress([small], [parse_target("initial_interview_on_time_share>=0.97")], replications=4, jobs=2,
                 max_iterations=4)
    assert res.status == "budget_insufficient"
    assert len(res.failing) > 0 and (res.failing["hours_short"] > 0).all()
    assert set(res.failing["area"]) <= set(small.region.areas)
    assert res.iterations["htv_allocated"].max() == pytest.approx(29.5)
