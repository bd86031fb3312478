"""Every customer counts and overload is visible (issue 10): censored waits, the cadence as a
KPI, work demanded against on-duty time, and a capacity target that an understaffed plan fails."""

from __future__ import annotations

import numpy as np
import pytest

from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.scenario.schema import Target
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.kpis import customer_table, kpi_frame
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.verdicts import judge_kpis
from test_simulate_support import proportional_allocation

CAPACITY = Target(kpi="demand_to_capacity", op="<=", value=1.0)
CADENCE = Target(kpi="conversations_on_time_share", op=">=", value=0.90)


def _value(k, kpi, month=None, group="all"):
    sel = k[(k["kpi"] == kpi) & (k["group"] == group)]
    if month is not None:
        sel = sel[sel["month_index"] == month]
    return sel["value"].to_numpy()


def test_waits_of_customers_still_waiting_at_the_end_are_counted(baseline):
    """A quarter of the staff for two months: many are still waiting when the run ends."""
    p = build_params(baseline, proportional_allocation(baseline, scale=0.25), months=2)
    out = simulate_replication(p, 0, 3)
    k = kpi_frame(p, out, 0)
    c = customer_table(p, out)
    end = p.calendar.n_days
    new = c[c["source"].isin(["inflow", "closure"])]  # new registrations (not the stock, nor customer states)
    waiting = new[(new["interview_day"] < 0) & (new["exit"] >= end) & (new["registered"] < end)]
    assert len(waiting) > 50
    assert _value(k, "initial_interview_waits_censored", 1)[0] == len(waiting)
    pending = waiting[waiting["deadline_day"] >= end]
    assert _value(k, "initial_interviews_pending", 1)[0] == len(pending) > 0
    # the last month's mean wait includes their waits so far (a lower bound) beside the
    # interviews actually held in the month
    wd = p.calendar.wd_upto
    held = new[(new["interview_day"] >= p.calendar.month_start_days[1]) & (new["interview_day"] < end)]
    held_waits = wd[held["interview_day"].to_numpy()] - wd[np.floor(held["registered"]).astype(int)]
    so_far = wd[end - 1] - wd[np.floor(waiting["registered"]).astype(int)]
    expected = np.concatenate([held_waits, so_far]).mean()
    assert _value(k, "initial_interview_wait_days_mean", 1)[0] == pytest.approx(expected)
    assert abs(expected - held_waits.mean()) > 1  # leaving them out would change the figure
    assert _value(k, "initial_interviews_waiting", 1)[0] == len(waiting)


@pytest.fixture(scope="module")
def eight_htv(scenario_dir):
    s = load_scenario(scenario_dir / "baseline.yaml", parse_set(["staff.total_htv=8"]))
    return s, simulate(s, Allocation.from_result(optimize(s)), replications=4, months=3, seed=11)


def test_understaffed_plan_fails_the_capacity_target(baseline, eight_htv):
    """Same seeds and months: the baseline's 32.66 HTV meet work-to-capacity <= 1, 8 HTV fail it."""
    s8, sim8 = eight_htv
    base = simulate(baseline, Allocation.from_result(optimize(baseline)), replications=4, months=3, seed=11)
    j8 = judge_kpis(sim8.kpis, [s8], [CAPACITY, CADENCE]).set_index("kpi")
    jb = judge_kpis(base.kpis, [baseline], [CAPACITY]).set_index("kpi")
    assert jb.loc["demand_to_capacity", "verdict"] == "meets"
    assert j8.loc["demand_to_capacity", "verdict"] == "fails"
    assert j8.loc["demand_to_capacity", "failing_months"] == "2023-08 2023-09 2023-10"
    assert j8.loc["demand_to_capacity", "horizon_mean"] > 1.5
    assert j8.loc["conversations_on_time_share", "verdict"] == "fails"
    # utilisation alone cannot show it: it stays below 1 however short the staff
    util = _value(sim8.kpis, "staff_utilisation")
    assert np.all(util <= 1.0)


def test_cadence_share_counts_late_and_missed_conversations(baseline):
    p = build_params(baseline, proportional_allocation(baseline), months=3)
    out = simulate_replication(p, 0, 5)
    assert np.all(out.conv_on_time_line <= out.conv_due_line)
    assert out.conv_due_line.sum() == out.conv_due_area.sum()  # every judged conversation once
    assert out.conv_due_line[0].sum() > 100
    short = build_params(baseline, proportional_allocation(baseline, scale=0.5), months=3)
    out_short = simulate_replication(short, 0, 5)
    share = out.conv_on_time_line.sum() / out.conv_due_line.sum()
    share_short = out_short.conv_on_time_line.sum() / out_short.conv_due_line.sum()
    assert share_short < share - 0.1
