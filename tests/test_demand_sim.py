"""The optimiser plans the work the simulation plays: hours, meetings and stock per service line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resurssimalli.optimize import optimize
from resurssimalli.optimize.workload import customer_workload
from resurssimalli.scenario import load_scenario
from resurssimalli.scenario.demand import DAYS_PER_YEAR, project
from resurssimalli.simulate import Allocation
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.params import LINES, build_params

REPLICATIONS = 6


def _play(baseline, staff_factor: float):
    """Mean over replications of the simulated year: work hours, meetings [month, line], stock at
    the end — of the optimiser's plan with every HTV and workstation times ``staff_factor``."""
    plan = optimize(baseline)
    alloc, sites = plan.allocation.copy(), plan.sites.copy()
    alloc["htv"] *= staff_factor
    sites["workstations"] *= staff_factor
    # the budget follows the scaled plan (a plan above the budget would become vacancies)
    scenario = baseline if staff_factor == 1.0 else load_scenario(
        baseline.path, {"staff": {"total_htv": float(alloc["htv"].sum()), "centralised_htv": 3.0 * staff_factor}}
    )
    p = build_params(scenario, Allocation.from_frames(alloc, sites, plan.access))
    outs = [simulate_replication(p, r, baseline.seed) for r in range(REPLICATIONS)]
    hours = np.mean([o.work_line for o in outs], axis=0) / 60.0
    meetings = np.mean([o.meetings_line for o in outs], axis=0)
    stock = np.mean([o.stock_line[-1] for o in outs], axis=0)
    return pd.DataFrame(hours, columns=LINES), pd.DataFrame(meetings, columns=LINES), pd.Series(stock, LINES)


@pytest.fixture(scope="module")
def played(baseline):
    return _play(baseline, 1.0)


@pytest.fixture(scope="module")
def ample(baseline):
    return _play(baseline, 3.0)


def _planned_meetings(baseline) -> pd.DataFrame:
    proj = project(baseline)
    return proj.pivot_table(index="month", columns="service_line", values="meetings", aggfunc="sum")[
        list(LINES)
    ]


def _planned(baseline, column: str) -> pd.Series:
    """The optimiser's yearly figure per line, over the horizon's days."""
    days = project(baseline).drop_duplicates("month")["days"].sum()
    return (
        customer_workload(baseline).groupby("service_line")[column].sum()[list(LINES)] * days / DAYS_PER_YEAR
    )


def test_simulated_hours_per_line_are_the_planned_hours(baseline, played):
    hours, _, _ = played
    ratio = hours.sum() / _planned(baseline, "hours")
    assert ratio.between(0.9, 1.1).all(), ratio.round(3).to_dict()


def test_planned_meetings_per_line_are_the_simulated_ones(baseline, ample):
    """Where staff time never binds, the simulation holds the meetings the demand model plans."""
    _, meetings, _ = ample
    plan = _planned_meetings(baseline)
    ratio = meetings.sum() / plan.sum()
    assert ratio.between(0.9, 1.1).all(), ratio.round(3).to_dict()
    assert plan.sum().sum() == pytest.approx(_planned(baseline, "meetings").sum())


def test_the_plan_holds_its_meetings_but_for_the_summer_backlog(baseline, played):
    """The optimiser's plan: meetings within 14 % per line over the months the run can finish;
    the horizon's last month (July, half the coaches on summer leave) leaves its backlog to the
    month after the run."""
    _, meetings, _ = played
    plan = _planned_meetings(baseline)
    last = len(plan) - 1
    early = meetings.iloc[:last].sum() / plan.iloc[:last].sum()
    # The integration team (1.0 + 0.39 FTE) is the tightest: measured 0.891 of its planned meetings
    # (0.856 before the staffing became full-time posts + one part-timer with rosters of their own);
    # its months dip (December 0.77, March 0.82, June 0.79). At 1.2 x the plan's staff it holds
    # 0.946 and at 3 x all lines are within 10 % (test above): staff time, not the demand model's
    # meetings (notes/s3-stress.md).
    # With the job seekers beyond the unemployed (issue 26) on the same coaches and the summer leave
    # over the season (issue 23), job brokering held 0.877 (10 replications' measure of the
    # backtest year: conversations on time 92 %, June's work 1.11 x on-duty time).
    assert early.between(0.86, 1.1).all(), early.round(3).to_dict()
    year = meetings.sum() / plan.sum()
    assert year.between(0.82, 1.1).all(), year.round(3).to_dict()


def test_stock_per_line_after_a_year_is_the_stock_the_plan_was_sized_on(baseline, played):
    _, _, stock = played
    proj = project(baseline)
    proj = proj[~proj["source"].astype(str).str.startswith("state:")]  # the unemployed (the states: own KPIs)
    sized = proj[proj["month"] == proj["month"].max()].groupby("service_line")["stock_end"].sum()[list(LINES)]
    ratio = stock / sized
    assert ratio.between(0.85, 1.15).all(), ratio.round(3).to_dict()
