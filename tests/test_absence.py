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
    # annual on-duty minutes fall in proportion to the extra absence (outside July)
    cal = p0.calendar
    work = cal.working[: cal.n_days]
    july = cal.cal_month[: cal.n_days] == 7
    expected = (
        (work & ~july).sum() * (1 - 0.20) + (work & july).sum() * (1 - p0.july_share)
    ) / ((work & ~july).sum() * (1 - 0.05) + (work & july).sum() * (1 - p0.july_share))
    ratio = out1.available.sum() / out0.available.sum()
    assert ratio == pytest.approx(expected, abs=0.01)
    assert np.all(out1.available.sum(axis=1) <= out0.available.sum(axis=1) + 1e-6)  # every coach
    # service never better in a month where the absence rises (other_share applies outside July)
    months = [m for m in range(cal.months) if cal.date(cal.month_start_days[m]).month != 7]
    on0, on1 = k0["initial_interview_on_time_share"], k1["initial_interview_on_time_share"]
    assert all(on1[m] <= on0[m] for m in months if on0[m] == on0[m])
    over0, over1 = k0["overdue_conversations"], k1["overdue_conversations"]
    assert all(over1[m] >= over0[m] for m in months) and over1.sum() > over0.sum()
    assert k1["staff_utilisation"].mean() > k0["staff_utilisation"].mean()


def test_staggered_summer_leave_lifts_the_worst_month(scenario_dir, baseline):
    """Same posts, same leave, same seeds: blocks spread over 2.5.-30.9. instead of July."""
    stag = load_scenario(scenario_dir / "summer_leave_staggered.yaml")
    alloc = proportional_allocation(baseline)
    july = 11  # July 2024
    for rep in (0, 1):
        p0, out0, k0 = _run(baseline, alloc, rep)
        p1, out1, k1 = _run(stag, alloc, rep)
        # the annual on-duty time is the same within the July days that now carry other absence
        assert out1.available.sum() == pytest.approx(out0.available.sum(), rel=0.01)
        assert out1.available[:, july].sum() > 1.3 * out0.available[:, july].sum()
        on0, on1 = k0["initial_interview_on_time_share"], k1["initial_interview_on_time_share"]
        assert on1[july] > on0[july] + 0.1
        assert min(on1) > min(on0)  # the worst month is better
