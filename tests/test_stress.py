"""The stress loop: ends with a plan that meets the target, or names what the budget cannot cover."""

from __future__ import annotations

import pytest

from resurssimalli.errors import InputError
from resurssimalli.experiment.stress import meets, parse_target, stress
from resurssimalli.scenario import load_scenario

TARGET = "initial_interview_on_time_share>=0.95"


def test_parse_target():
    t = parse_target("staff_utilisation[job_brokering]<=0.9")
    assert (t.kpi, t.group, t.op, t.value) == ("staff_utilisation", "job_brokering", "<=", 0.9)
    for bad in ("happiness>=1", "stock=3", "stock>=lots"):
        with pytest.raises(InputError):
            parse_target(bad)
    assert meets(">=", 0.9, 0.91, 0.99, 0.95) and not meets(">=", 0.9, 0.89, 0.99, 0.95)
    assert meets("<=", 0.9, 0.1, 0.89, 0.5) and not meets("<=", 0.9, 0.1, 0.91, 0.5)


def test_three_scenarios_end_met_or_with_a_certificate_that_holds(scenario_dir):
    """Baseline + plant closure + immigration at >= 0.95: met within the budget, or "insufficient"
    with the minimum-hours model proven infeasible and its rows adding up to more than the budget."""
    trio = [load_scenario(scenario_dir / f"{n}.yaml") for n in ("baseline", "plant_closure", "immigration")]
    res = stress(trio, [parse_target(TARGET)], replications=4, jobs=2, max_iterations=10)
    assert res.status in ("met", "budget_insufficient"), res.iterations
    it = res.iterations
    last = it[it["iteration"] == it["iteration"].max()]
    if res.status == "met":
        assert last["meets"].all() and last["unserved_hours_total"].max() == pytest.approx(0, abs=1e-6)
        return
    cert = res.certificate
    assert cert is not None and cert.solver_status == "infeasible"
    # re-check without the solver: the minimum hours are the workload plus what the loop moved
    from resurssimalli.optimize import workload

    need = workload(trio[0], res.extra_hours)
    assert cert.rows["min_hours"].sum() == pytest.approx(need["hours"].sum())
    P = trio[0].config.staff.productive_hours_per_htv
    assert cert.rows["min_hours"].sum() / P > trio[0].config.staff.total_htv
    # the moves are what the loop asked, per area and line, in hours and HTV
    assert res.moves["extra_hours"].sum() == pytest.approx(sum(res.extra_hours.values()))
    assert (res.moves["extra_htv"] * P).to_numpy() == pytest.approx(res.moves["extra_hours"].to_numpy())
    # the misses were located at interview queues, the integration team among them (under the first
    # scenario that misses it: a queue is raised once per iteration; with the service points open
    # on their days the baseline already misses it)
    assert res.queues["queue"].str.startswith("queue:").any()
    assert "queue:integration" in set(res.queues["queue"])
    # every month of every scenario was judged
    assert set(res.months["scenario"]) == {s.name for s in trio}
    assert res.months.groupby(["iteration", "scenario"]).size().eq(trio[0].config.horizon.months).all()


def test_budget_that_cannot_is_named(scenario_dir):
    small = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": 27.0}})
    res = stress(
        [small],
        [parse_target("initial_interview_on_time_share>=0.97")],
        replications=4,
        jobs=2,
        max_iterations=4,
    )
    assert res.status == "budget_insufficient"
    assert res.certificate is not None and res.certificate.holds()
    assert len(res.failing) > 0 and (res.failing["hours_short"] > 0).all()
    assert set(res.failing["area"]) <= set(small.region.areas)
    assert res.iterations["htv_allocated"].max() == pytest.approx(27.0)


def test_step_never_smaller_than_the_shortfall_rule():
    """Theory: the first step is the relative shortfall × the queue's hours; when moves elsewhere
    push a queue further off target (the bound falls though hours were added), the next step is
    at least that rule again, not a doubling of a step sized for a near miss."""
    from resurssimalli.experiment.stress import _Steps

    steps = _Steps()
    first = steps.next_hours("queue:A", 0.0, 0.949, 0.95, ">=", 4000.0)
    assert first == pytest.approx((0.95 - 0.949) / 0.95 * 4000.0)
    second = steps.next_hours("queue:A", first, 0.80, 0.95, ">=", 4000.0)  # fell although hours came
    assert second >= (0.95 - 0.80) / 0.95 * 4000.0 - 1e-9
    # a queue that responds: the secant, within 1/4 … 2 × the last step
    s = _Steps()
    a = s.next_hours("q", 0.0, 0.90, 0.95, ">=", 1000.0)
    b = s.next_hours("q", a, 0.93, 0.95, ">=", 1000.0)  # +0.03 for a hours: 0.02 more needs 2/3 a
    assert b == pytest.approx(max(a * 2 / 3, (0.95 - 0.93) / 0.95 * 1000.0))


def test_misses_only_the_interval_makes_are_split_from_clear_ones():
    import pandas as pd

    from resurssimalli.experiment.stress import _split_misses

    missed = pd.DataFrame(
        {"op": [">=", ">=", "<="], "target": [0.95, 0.95, 0.9], "mean": [0.96, 0.93, 0.92]}
    )
    clear, unproven = _split_misses(missed)
    assert list(clear.index) == [1, 2] and list(unproven.index) == [0]
