"""Absence takes on-duty time away from the same posts (issue 10): paired runs on the same seeds."""

from __future__ import annotations

import numpy as np
import pytest

from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.simulate.kpis import kpi_frame
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import build_params
from test_simulate_support import proportional_allocation

SEED = 7


def _run(scenario, alloc, rep: int):
    p = build_params(scenario, alloc)
    out = simulate_replication(p, rep, SEED)
    k = kpi_frame(p, out, rep)
    return p, out, k[k["group"] == "all"].set_index(["kpi", "month_index"])["value"]


@pytest.mark.parametrize("rep", [0, 1])
def test_more_absence_never_improves_service(scenario_dir, baseline, rep):
    more = load_scenario(scenario_dir / "baseline.yaml", parse_set(["staff.absence.other_share=0.20"]))
    alloc = proportional_allocation(baseline)
    p0, out0, k0 = _run(baseline, alloc, rep)
    p1, out1, k1 = _run(more, alloc, rep)
    assert p1.minutes_per_duty_day == p0.minutes_per_duty_day  # a duty day is worth the same
    # on-duty minutes fall in proportion to the extra absence on the days outside summer leave
    ratio = out1.person_available.sum() / out0.person_available.sum()
    assert ratio == pytest.approx((1 - 0.20) / (1 - 0.05), abs=0.02)  # ~7,000 person-days drawn
    assert np.all(out1.person_available.sum(axis=1) <= out0.person_available.sum(axis=1) + 1e-6)
    # the same summer leave: more absence only adds absent days (one uniform draw per person-day)
    assert ((out0.status == 1) == (out1.status == 1)).all()
    assert ((out0.status != 0) <= (out1.status != 0)).all()
    on0, on1 = k0["initial_interview_on_time_share"], k1["initial_interview_on_time_share"]
    assert on1.sum() <= on0.sum()
    over0, over1 = k0["overdue_conversations"], k1["overdue_conversations"]
    assert over1.sum() > over0.sum()
    assert k1["staff_utilisation"].mean() > k0["staff_utilisation"].mean()


def test_the_rota_lifts_july_over_the_all_in_july_roster(scenario_dir, baseline):
    """Same people, same leave length, same seeds: the office's rota (June-August, continuity)
    against everyone's block in July. The year's on-duty time is the same; July's is far larger."""
    july_roster = load_scenario(scenario_dir / "summer_leave_july.yaml")
    alloc = proportional_allocation(baseline)
    july = 11  # July 2024
    for rep in (0, 1):
        p0, out0, k0 = _run(july_roster, alloc, rep)
        p1, out1, k1 = _run(baseline, alloc, rep)
        assert (out0.status == 1).sum(axis=1).tolist() != []
        assert out1.person_available.sum() == pytest.approx(out0.person_available.sum(), rel=0.03)
        assert out1.person_available[:, july].sum() > 2.0 * out0.person_available[:, july].sum()
        on0, on1 = k0["initial_interview_on_time_share"], k1["initial_interview_on_time_share"]
        assert on1[july] > on0[july] + 0.1
        assert min(on1) > min(on0)  # the worst month is better


def test_no_summer_leave_is_a_rota_with_nobody_away(baseline):
    """``summer_leave_days: 0``: the rota sends nobody on leave and the year simulates (the rota's
    placement once failed on an empty block)."""
    s = load_scenario(baseline.path, parse_set(["staff.absence.summer_leave_days=0"]))
    p = build_params(s, proportional_allocation(s), months=2)
    assert p.planned_leave is not None and not p.planned_leave.any()
    simulate_replication(p, 0, SEED)
