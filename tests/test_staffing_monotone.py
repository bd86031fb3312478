"""More staff never worse: HTV become people without splitting the work over smaller ones, rosters
stay paired across plans, and one HTV more (fewer) in an area never lowers (raises) its service."""

from __future__ import annotations

import numpy as np
import pytest

from resurssimalli.experiment.outcomes import staffed
from resurssimalli.pipeline import plan_for
from resurssimalli.simulate import simulate
from resurssimalli.simulate.draws import draw_rosters, person_keys
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.people import MIN_PART_TIME_FTE, area_ftes


def test_an_areas_htv_are_full_timers_and_at_most_one_part_timer():
    assert area_ftes(0.4) == [0.4]
    assert area_ftes(2.0) == [1.0, 1.0]
    assert area_ftes(2.6) == pytest.approx([1.0, 1.0, 0.6])
    assert area_ftes(2.1) == pytest.approx([1.05, 1.05])  # a remainder under MIN_PART_TIME_FTE is shared
    for h in np.linspace(0.1, 9.9, 99):
        f = area_ftes(float(h))
        assert sum(f) == pytest.approx(h) and sum(x < 1 - 1e-9 for x in f) <= 1
        assert all(x >= min(MIN_PART_TIME_FTE, h) - 1e-9 for x in f)
        # one HTV more adds a full-time person (never splits the work over more, smaller people)
        g = area_ftes(float(h) + 1.0)
        assert sum(x >= 1 - 1e-9 for x in g) == sum(x >= 1 - 1e-9 for x in f) + 1


def test_a_lines_share_below_a_person_is_part_of_someones_week(baseline, plan):
    """Every person's shares add up to their FTE, every line's shares to its HTV, and no area has
    more than one person under full time: a small line is part of a person's week."""
    p = build_params(baseline, plan)
    for x, shares in enumerate(p.person_shares):
        assert sum(f for _, f in shares) == pytest.approx(p.person_fte[x])
    for (area, line), htv in plan.allocation.groupby(["area", "service_line"])["htv"].sum().items():
        if line in ("centralised_services",) or htv <= 1e-6 or line not in set(p.coach_line):
            continue
        a = p.areas.index(area)
        got = sum(f for x, sh in enumerate(p.person_shares) if p.person_area[x] == a for ln, f in sh if ln == line)
        assert got == pytest.approx(htv)
    for a in range(len(p.areas)):
        ftes = [f for x, f in enumerate(p.person_fte) if p.person_area[x] == a]
        assert sum(f < 1 - 1e-9 for f in ftes) <= 1


@pytest.fixture(scope="module")
def plan(baseline):
    return plan_for(baseline).allocation


def test_a_person_keeps_their_absences_when_another_area_grows(baseline, plan):
    """Common random numbers across plans: rosters are keyed by (area, ordinal in the area)."""
    bigger_scenario, bigger = staffed(baseline, plan, "Ikaalinen", 1.0)
    p0, p1 = build_params(baseline, plan), build_params(bigger_scenario, bigger)
    d0 = draw_rosters(p0, np.random.default_rng(7))[0]
    d1 = draw_rosters(p1, np.random.default_rng(7))[0]
    rows1 = {k: i for i, k in enumerate(person_keys(p1))}
    ikaalinen = p0.areas.index("Ikaalinen")
    kept = [(i, rows1[k]) for i, k in enumerate(person_keys(p0)) if k[0] != ikaalinen]
    assert kept and all((d0[i] == d1[j]).all() for i, j in kept)
    assert len(person_keys(p1)) == len(person_keys(p0)) + 1


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
