"""More staff never worse: HTV become posts without splitting teams, rosters stay paired across
plans, and one HTV more (fewer) in an area never lowers (raises) its service in any replication."""

from __future__ import annotations

import numpy as np
import pytest

from resurssimalli.experiment.outcomes import staffed
from resurssimalli.pipeline import plan_for
from resurssimalli.simulate import simulate
from resurssimalli.simulate.draws import coach_keys, draw_rosters
from resurssimalli.simulate.params import MIN_PART_TIME_FTE, build_params, team_ftes


def test_posts_are_full_timers_and_at_most_one_part_timer():
    assert team_ftes(0.4) == [0.4]
    assert team_ftes(2.0) == [1.0, 1.0]
    assert team_ftes(2.6) == pytest.approx([1.0, 1.0, 0.6])
    assert team_ftes(2.1) == pytest.approx([1.05, 1.05])  # a remainder under MIN_PART_TIME_FTE is shared
    for h in np.linspace(0.1, 9.9, 99):
        f = team_ftes(float(h))
        assert sum(f) == pytest.approx(h) and sum(x < 1 - 1e-9 for x in f) <= 1
        assert all(x >= min(MIN_PART_TIME_FTE, h) - 1e-9 for x in f)
        # one HTV more adds a full-time post (never splits the team into smaller posts)
        g = team_ftes(float(h) + 1.0)
        assert sum(x >= 1 - 1e-9 for x in g) == sum(x >= 1 - 1e-9 for x in f) + 1


@pytest.fixture(scope="module")
def plan(baseline):
    return plan_for(baseline).allocation


def test_a_coach_keeps_its_absences_when_another_team_grows(baseline, plan):
    """Common random numbers across plans: rosters are keyed by (area, line, ordinal in team)."""
    bigger_scenario, bigger = staffed(baseline, plan, "Ikaalinen", 1.0)
    p0, p1 = build_params(baseline, plan), build_params(bigger_scenario, bigger)
    d0 = draw_rosters(p0, np.random.default_rng(7))[0]
    d1 = draw_rosters(p1, np.random.default_rng(7))[0]
    rows1 = {k: i for i, k in enumerate(coach_keys(p1))}
    ikaalinen = p0.areas.index("Ikaalinen")
    kept = [(i, rows1[k]) for i, k in enumerate(coach_keys(p0)) if k[0] != ikaalinen]
    assert kept and all((d0[i] == d1[j]).all() for i, j in kept)
    assert len(coach_keys(p1)) > len(coach_keys(p0))


@pytest.mark.parametrize("area", ["Ikaalinen", "Hameenkyro"])
def test_one_htv_more_never_worse_one_fewer_never_better(baseline, plan, area):
    """Paired (same seeds): the on-time share of initial interviews rises (or stays) with +1 HTV in
    every replication and falls (or stays) with −1 HTV; unemployment person-days move the other way."""
    reps = 3

    def year(s, a):
        k = simulate(s, a, replications=reps, months=12).kpis
        k = k[k["group"] == "all"]
        on_time = k[k["kpi"] == "initial_interview_on_time_share"].groupby("replication")["value"].mean()
        days = k[k["kpi"] == "unemployment_days"].groupby("replication")["value"].sum()
        return on_time.to_numpy(), days.to_numpy()

    base = year(baseline, plan)
    more = year(*staffed(baseline, plan, area, 1.0))
    fewer = year(*staffed(baseline, plan, area, -1.0))
    assert (more[0] >= base[0] - 1e-12).all() and (fewer[0] <= base[0] + 1e-12).all()
    assert more[1].mean() <= base[1].mean() <= fewer[1].mean()
