"""The summer-leave planner (issue 25): the roster it plans, what it cannot cover, and the
simulation playing it against the all-in-July roster on the same seeds."""

from __future__ import annotations

import re

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from resurssimalli.errors import InputError
from resurssimalli.optimize import optimize
from resurssimalli.optimize.leave import cover_target, leave_rows, line_capacity, plan_leave, roster_table
from resurssimalli.optimize.leave_input import SEASON_END, SEASON_START, LeavePerson, Queue
from resurssimalli.pipeline import plan_roster
from resurssimalli.scenario import load_scenario, parse_set
from resurssimalli.simulate import Allocation
from resurssimalli.simulate.kpis import kpi_frame
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.planned_leave import planned_days

SEED = 7
SHARES = ("initial_interview_on_time_share", "conversations_on_time_share")
PAIRED_REPLICATIONS = 10  # each pair is two one-year replications (under a second each)
FAMILY_CONFIDENCE = 0.95  # for the claim "in no month and KPI", all comparisons together


@pytest.fixture(scope="module")
def planned(scenario_dir):
    s = load_scenario(scenario_dir / "baseline.yaml", parse_set(["staff.absence.summer_leave=planned"]))
    alloc = Allocation.from_result(optimize(s))  # the baseline's plan
    roster = plan_roster(s, alloc)
    return s, alloc.with_leave(leave_rows(roster)), roster


def test_everyone_takes_the_full_leave_within_the_season(planned):
    s, _alloc, roster = planned
    inp = roster.input
    weeks = math.ceil(s.config.staff.absence.summer_leave_days / 5)
    assert roster.problems == () and roster.status == "optimal"
    assert (roster.leave.sum(axis=1) == weeks).all()  # every person, the whole leave
    year = inp.season_year
    first, last = dt.date(year, *SEASON_START), dt.date(year, *SEASON_END)
    assert all(first <= w.monday and w.monday + dt.timedelta(4) <= last for w in inp.weeks)
    for row in roster.leave:  # blocks of at least min_block_weeks
        runs = np.diff(np.flatnonzero(np.diff(np.r_[0, row.astype(int), 0])))[::2]
        assert runs.min() >= inp.min_block_weeks
    for q in inp.queues:  # the continuity rule: someone of every queue on duty every week
        assert (len(q.members) - roster.leave[list(q.members)].sum(axis=0) >= 1).all()
    have = line_capacity(inp, roster.leave, roster.sub_days)  # every line team, every week
    need = np.array([[cover_target(inp, t, w) for w in range(len(inp.weeks))] for t in range(len(inp.line_teams))])
    assert (have >= need * (1 - 1e-6)).all()  # HiGHS feasibility room
    assert (roster.sub_days <= roster.leave * np.array([w.working_days for w in inp.weeks])).all()  # in place
    assert (roster.sub.sum(axis=0) <= s.config.staff.leave.substitute_hours_per_week * (1 + 1e-6)).all()
    table = roster_table(roster)
    assert np.isclose(table["substitute_hours"].sum(), roster.substitute_hours)


def _monthly(scenario, alloc, rep):
    p = build_params(scenario, alloc)
    k = kpi_frame(p, simulate_replication(p, rep, SEED), rep)
    return k[(k["group"] == "all") & k["kpi"].isin(SHARES)].set_index(["kpi", "month_index"])["value"]


def worse_beyond_noise(diff: pd.DataFrame, confidence: float = FAMILY_CONFIDENCE) -> pd.Series:
    """The (KPI, month) columns of ``diff`` (replication × (KPI, month): plan − other, paired on
    the same seeds) whose paired mean difference is below zero beyond noise: the upper end of its
    simultaneous ``confidence`` interval is below zero. Returns those columns' upper ends.

    Theory: the paired differences of one column over independent replications estimate the mean
    effect of the roster; their mean ± t(n-1) × sd / √n is a Student-t interval. The claim "no month
    is worse" is one statement about every column together, so the intervals are simultaneous
    (Bonferroni: each at 1 − (1 − confidence) / columns, two-sided), so that with no true
    difference the test finds some month worse with probability at most 1 − ``confidence``.
    A column with no spread is worse only if its mean is below zero (every replication worse)."""
    from scipy import stats

    d = diff.dropna(axis=1, how="all")
    n = d.notna().sum()
    q = 1 - (1 - confidence) / (2 * d.shape[1])
    se = (d.std(ddof=1) / np.sqrt(n)).fillna(0.0)
    upper = d.mean() + stats.t.ppf(q, np.maximum(n - 1, 1)) * se
    return upper[upper < 0]


def test_worse_beyond_noise_tells_a_real_shift_from_noise():
    rng = np.random.default_rng(3)
    cols = pd.MultiIndex.from_product([SHARES, range(12)])
    noise = pd.DataFrame(rng.normal(0, 0.01, (10, 24)), columns=cols)
    assert worse_beyond_noise(noise).empty
    shifted = noise.copy()
    shifted[(SHARES[1], 1)] -= 0.03  # three points lower in one month (noise: 1 point a replication)
    assert list(worse_beyond_noise(shifted).index) == [(SHARES[1], 1)]


def test_the_planned_roster_is_never_worse_than_all_in_july(planned, scenario_dir):
    """Paired on the same seeds (PAIRED_REPLICATIONS replications): no month's interviews or
    conversations on time (area-wide) are worse beyond noise (:func:`worse_beyond_noise`), July is
    far better and every month holds the targets."""
    s, alloc, _roster = planned
    july_roster = load_scenario(scenario_dir / "summer_leave_july.yaml")
    reps = range(PAIRED_REPLICATIONS)
    plan = pd.DataFrame({r: _monthly(s, alloc, r) for r in reps}).T
    diff = plan - pd.DataFrame({r: _monthly(july_roster, alloc, r) for r in reps}).T
    worse = worse_beyond_noise(diff)
    assert worse.empty, diff.mean()[worse.index]
    assert diff[("conversations_on_time_share", 11)].min() > 0.3  # July 2024
    assert plan.mean().min() >= 0.9  # every month at the targets


def test_the_simulation_plays_the_planned_weeks(planned):
    s, alloc, roster = planned
    p = build_params(s, alloc)
    out = simulate_replication(p, 0, SEED)
    leave_days = (out.status == 1).sum(axis=1)
    rows = leave_rows(roster)
    assert rows["substitute_days"].sum() == roster.sub_days.sum()  # every planned substitute day played
    covered = rows.groupby(["area", "ordinal"])["substitute_days"].sum()
    planned_days_each = rows.groupby(["area", "ordinal"])["working_days"].sum()
    # a person's summer-leave working days are their leave weeks' less the substitute-covered ones
    assert leave_days.sum() == int((planned_days_each - covered).sum())
    assert (covered <= planned_days_each).all() and leave_days.sum() > 0


def test_too_few_people_names_the_week_and_team(planned):
    """A queue of one person cannot keep someone on duty while they are away: the plan names the
    weeks and the queue; without substitutes a team whose work needs everyone is named too."""
    inp = planned[2].input
    lone = LeavePerson("Ikaalinen", 0, 1.0, (("youth", 1.0),))
    small = dataclasses.replace(
        inp, people=(lone,), wants_july=(False,), teams=("Ikaalinen",),
        queues=(Queue("Ikaalinen: initial interviews", "Ikaalinen", (0,)),),
        line_teams=(("Ikaalinen", "youth"),), line_work=np.full((1, len(inp.weeks)), 30.0),
        week_capacity=inp.week_capacity[:1], substitute_cap=0.0,
    )  # fmt: skip
    plan = plan_leave(small)
    assert plan.leave.sum() == inp.leave_weeks  # the leave is still taken
    gaps = [p for p in plan.problems if "nobody" in p or "has only 0 of 1 on duty" in p]
    assert len(gaps) == inp.leave_weeks
    assert all("Ikaalinen: initial interviews" in p and p.startswith("week ") for p in gaps)
    short = [p for p in plan.problems if "h short" in p]
    assert short and all("Ikaalinen youth is" in p and "staff.leave" in p for p in short)


def test_the_same_roster_and_results_with_any_number_of_workers(planned, scenario_dir):
    from resurssimalli.simulate import simulate

    s, alloc, roster = planned
    again = plan_roster(s, dataclasses.replace(alloc, leave=None))
    assert (again.leave == roster.leave).all() and np.allclose(again.sub, roster.sub)
    one = simulate(s, alloc, replications=2, months=1, jobs=1).kpis
    two = simulate(s, alloc, replications=2, months=1, jobs=2).kpis
    pd.testing.assert_frame_equal(one, two)


def test_a_bad_leave_plan_row_is_named(planned):
    _s, alloc, _roster = planned
    bad = alloc.leave.copy()
    bad.loc[0, "week_start"] = "2024-06-04"  # a Tuesday
    with pytest.raises(InputError, match="row 1"):
        planned_days(bad, {(a, k): 0 for a, k in zip(bad["area"], bad["ordinal"], strict=True)}, dt.date(2023, 8, 1),
                     np.ones(400, dtype=bool), 366)  # fmt: skip


def test_a_planned_scenario_without_a_plan_is_refused(planned):
    s, alloc, _roster = planned
    with pytest.raises(InputError, match="summer_leave"):
        build_params(s, dataclasses.replace(alloc, leave=None))


def test_the_roster_command_writes_the_plan(tmp_path, scenario_dir):
    from typer.testing import CliRunner

    from resurssimalli.cli import app

    out = tmp_path / "roster"
    res = CliRunner().invoke(app, ["roster", str(scenario_dir / "baseline.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Summer-leave plan 2024" in res.output and "cannot be covered" not in res.output
    roster = pd.read_csv(out / "roster.csv")
    assert set(roster["area"]) == {"Hameenkyro", "Ikaalinen", "Parkano-Kihnio", "Sastamala-Punkalaidun"}
    assert (out / "roster.png").stat().st_size > 0 and (out / "leave_plan.csv").exists()


def test_a_horizon_under_a_year_reads_its_mean_day_where_it_holds_no_season_day():
    from resurssimalli.optimize.leave_input import season_weeks

    year, weeks = season_weeks(dt.date(2023, 8, 1), 12)
    assert (
        year == 2024 and sum(w.outside_horizon for w in weeks) == 0
    )  # every day read, 52 weeks back if needed
    year, weeks = season_weeks(dt.date(2023, 8, 1), 3)  # August-October 2023
    assert year == 2023
    before = [w.outside_horizon for w in weeks if w.monday + dt.timedelta(6) < dt.date(2023, 8, 1)]
    after = [w.outside_horizon for w in weeks if w.monday >= dt.date(2023, 8, 1)]
    assert before and set(before) == {7} and after and set(after) == {0}


def test_run_writes_the_plan_into_the_memo_and_workbook(tmp_path, baseline):
    from openpyxl import load_workbook

    from resurssimalli.pipeline import run_pipeline

    out = run_pipeline(baseline, tmp_path / "run", replications=1, months=1, jobs=1, pareto=None)
    assert out.roster is not None and out.roster.problems == ()
    memo = (out.folder / "memo.md").read_text(encoding="utf-8")
    assert re.search(r"^## .*Kesälomasuunnitelma", memo, flags=re.M) and "](roster.png)" in memo
    proposal = memo.split("## Liitteet")[0]  # the opening: the own rule against the plan, and its price
    assert re.search(r"\*\*Kesä \(elokuu 2023\):\*\* toimiston lomajärjestyksellä alkuhaastattelu", proposal)
    hours = f"{out.roster.substitute_hours:,.0f}".replace(",", "\u00a0")
    assert re.search(rf"Kesälomasuunnitelmalla \(liite [A-Z]; {hours} sijaistuntia, ", proposal)
    effect = pd.read_csv(out.folder / "leave_effect.csv")
    assert set(effect["month"]) == {"2023-08"} and set(effect["other_rule"]) == {"planned"}
    assert (effect["n"] == 1).all() and np.allclose(effect["diff_mean"], effect["other_mean"] - effect["own_mean"])
    assert "Kesälomasuunnitelma" in load_workbook(out.folder / "results.xlsx", read_only=True).sheetnames


def test_a_run_compares_its_own_leave_rule_with_the_plan(baseline, scenario_dir):
    from resurssimalli.simulate.planned_leave import other_rule, with_leave_rule

    planned = load_scenario(scenario_dir / "summer_leave_planned.yaml")
    assert other_rule("rota") == "planned" and other_rule(planned.config.staff.absence.summer_leave) == "rota"
    variant = with_leave_rule(baseline, "planned")
    assert variant.config.staff.absence.summer_leave == "planned" and variant.seed == baseline.seed
    assert variant.name == "baseline:planned" and baseline.config.staff.absence.summer_leave == "rota"


def test_a_what_if_of_a_planned_scenario_plays_a_leave_plan_for_its_people(planned):
    """One HTV more or fewer changes the people: the variant plays a leave plan made for them."""
    from resurssimalli.experiment.outcomes import what_if_all

    s, alloc, _roster = planned
    out = what_if_all(s, alloc, [("area", "Ikaalinen")], 1, months=1, bands=("central",))
    assert set(out.table["variant"]) == {"Ikaalinen +1 HTV", "Ikaalinen -1 HTV"}

