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
    assert res.moves["extra_hours"].sum() == pytest.approx(sum(res.added_hours.values()))
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


def _months(rows):
    import pandas as pd

    from resurssimalli.experiment.stress import MONTH_COLUMNS

    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def _missed(judge="every_month"):
    import pandas as pd

    return pd.DataFrame(
        [("s", "k", "all", ">=", 0.95, 0.5, 0.4, 0.6, judge)],
        columns=["scenario", "kpi", "group", "op", "target", "mean", "ci_low", "ci_high", "judge"],
    )


def test_months_that_fail_get_hours_straddling_ones_replications_and_summer_leave_waits():
    """Theory: a month whose whole interval misses is a clear miss (hours); one whose interval
    straddles the target is unproven (replications first, hours only at the cap); a summer-leave
    month waits while any other month misses, and is acted on when it alone misses."""
    from resurssimalli.experiment.stress import _acts_of, _to_act

    #          scenario kpi month_index month mean low high clearly group mean_misses bound_misses summer
    months = _months(
        [
            ("s", "k", 0, "2024-02", 0.90, 0.88, 0.92, True, "all", True, True, False),
            ("s", "k", 1, "2024-03", 0.96, 0.94, 0.98, False, "all", False, True, False),
            ("s", "k", 2, "2024-07", 0.50, 0.45, 0.55, True, "all", True, True, True),
            ("s", "k", 3, "2024-08", 0.99, 0.98, 1.00, False, "all", False, False, False),
        ]
    )
    clear, unproven = _acts_of(_missed(), months)
    assert [a.months for a in clear] == [("2024-02", "2024-07")] and clear[0].summer == ("2024-07",)
    assert [a.months for a in unproven] == [("2024-03",)] and not unproven[0].on_mean
    acts = _to_act(clear, unproven, reps_left=True)
    assert [a.months for a in acts] == [("2024-02",)]  # July waits while February fails
    only_july = months[months["month"].isin(["2024-07", "2024-08"])]
    clear, unproven = _acts_of(_missed(), only_july)
    acts = _to_act(clear, unproven, reps_left=True)
    assert [a.months for a in acts] == [("2024-07",)] and acts[0].summer_only
    # a summer-leave month failing clearly comes before a straddling month (hours cannot settle
    # an interval; the loop doubles replications before any hours while one straddles)
    straddle = months[months["month"].isin(["2024-03", "2024-07"])]
    clear, unproven = _acts_of(_missed(), straddle)
    assert [a.months for a in _to_act(clear, unproven, reps_left=False)] == [("2024-07",)]
    # only a straddling month: nothing while replications can double, its months at the cap
    clear, unproven = _acts_of(_missed(), months[months["month"] == "2024-03"])
    assert not clear and _to_act(clear, unproven, reps_left=True) == []
    assert [a.months for a in _to_act(clear, unproven, reps_left=False)] == [("2024-03",)]
    # the year's interval (judge: horizon) decides over the months
    clear, unproven = _acts_of(_missed("horizon"), months)
    assert [a.months for a in clear] == [None] and not unproven


def test_floors_never_fall_and_a_drained_queue_gets_back_what_it_had():
    """A queue's floor only rises; a queue that had more hours in an earlier round and fails after
    moves elsewhere gets those hours back (plus the shortfall step it needed even then), not a step
    sized on its collapse; a queue failing at its most hours gets the shortfall rule's step."""
    import pandas as pd

    from resurssimalli.experiment.stress import _Act, _Pins

    pins = _Pins(pd.Series(dtype=float))
    act = _Act("s", "k", "all", ">=", 0.95, ("2024-02",), (), True)
    pairs = [("A", "x"), ("A", "y")]
    now = pd.Series({("A", "x"): 600.0, ("A", "y"): 400.0})
    no_need = pd.Series(dtype=float)
    added = pins.raise_queue("s|queue:A|rest", pairs, now, 0.76, act, no_need, None)
    assert added == pytest.approx((0.95 - 0.76) / 0.95 * 1000.0)
    assert pins.floor[("A", "x")] == pytest.approx(600.0 * (1000.0 + added) / 1000.0)
    before = dict(pins.floor)
    pins.raise_queue("s|queue:A|rest", pairs, now * 0.5, 0.9, act, no_need, None)  # fewer hours: floors hold
    assert all(pins.floor[p] >= before[p] - 1e-9 for p in pairs)
    # B met with 1,200 h; moves elsewhere left it 1,100 h and it collapsed to 0.05: 1,200 h back
    pins.seen["s|queue:B|k"] = [(1200.0, 0.96, ">=", 0.95), (1100.0, 0.05, ">=", 0.95)]
    drained = pd.Series({("B", "x"): 1100.0})
    assert pins.raise_queue(
        "s|queue:B|rest", [("B", "x")], drained, 0.05, act, no_need, None
    ) == pytest.approx(100.0)
    # C failed (0.76) even with 1,000 h, then was drained to 900 h: 1,000 h + the step at 0.76
    pins.seen["s|queue:C|k"] = [(1000.0, 0.76, ">=", 0.95), (900.0, 0.2, ">=", 0.95)]
    got = pins.raise_queue(
        "s|queue:C|rest", [("C", "x")], pd.Series({("C", "x"): 900.0}), 0.2, act, no_need, None
    )
    assert got == pytest.approx(1000.0 * (1 + (0.95 - 0.76) / 0.95) - 900.0)
    # D: its failing month has 1.2 × the load of the busiest month it held: 1.2 × its hours
    d = pd.Series({("D", "x"): 500.0})
    assert pins.raise_queue("s|queue:D|rest", [("D", "x")], d, 0.3, act, no_need, 1.2) == pytest.approx(100.0)
    # two scenarios asking of one queue in one round: the larger ask, not one on top of the other
    pins.start = dict(pins.floor)
    e = pd.Series({("E", "x"): 1000.0})
    pins.raise_queue("s|queue:E|rest", [("E", "x")], e, 0.3, act, no_need, 1.5)
    pins.raise_queue("t|queue:E|rest", [("E", "x")], e, 0.3, act, no_need, 1.4)
    assert pins.floor[("E", "x")] == pytest.approx(1500.0)


def test_added_hours_hold_between_5_and_10_replications(scenario_dir):
    """Issue 11: the hours the loop adds do not hinge on the replications it starts with — with 5
    and with 10 they are within ±25 % of each other. The plant closure's first seven months
    (August–February: the closure's February misses 0.95 at Hämeenkyrö, no summer leave)."""
    closure = load_scenario(scenario_dir / "plant_closure.yaml")
    added = {}
    for reps in (5, 10):
        res = stress([closure], [parse_target(TARGET)], replications=reps, months=7, jobs=2, max_iterations=5)
        assert res.status in ("met", "budget_insufficient"), res.iterations
        added[reps] = sum(res.added_hours.values())
        # hours went where the simulation failed: the closure's interview queue among them
        assert "queue:Hameenkyro" in set(res.queues["queue"])
    assert added[5] > 0 and added[10] > 0
    assert abs(added[5] - added[10]) <= 0.25 * max(added.values()), added
