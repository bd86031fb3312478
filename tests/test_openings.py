"""Service points and pop-ups open on their days (issue 10, item 8): face-to-face meetings there
happen only on the site's opening days; offices are open every working day; remote meetings are
not bound."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import SCENARIOS
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation
from resurssimalli.simulate.calendar import build_calendar
from resurssimalli.simulate.model import simulate_replication
from resurssimalli.simulate.openings import site_open_days, weekly_pattern
from resurssimalli.simulate.params import build_params
from test_simulate_support import proportional_allocation

SEED = 11
MONTHS = 4
POINT, OFFICE, DP = "Kyroskoski_point", "Kyroskoski_office", "Kyroskoski"


def test_weekly_pattern_from_days_per_year():
    assert weekly_pattern(52, 0) == ((0,), 1, 0)  # one weekday (Monday) every week
    assert weekly_pattern(48, 2) == ((2,), 1, 0)  # 48 days: still weekly, the third site on Wednesday
    assert weekly_pattern(24, 1) == ((1,), 2, 1)  # a day a fortnight, in the odd weeks
    assert weekly_pattern(104, 0) == ((0, 2), 1, 0)  # two days a week, spread
    assert weekly_pattern(130, 0) == ((0, 1, 3), 1, 0)  # 2.5 a week rounds up to 3
    assert weekly_pattern(260, 3) == ((0, 1, 2, 3, 4), 1, 0)
    assert weekly_pattern(0, 0) == ((0,), 1, 0)  # an open site is staffed at least once a week


def test_opening_days_over_a_year():
    cal = build_calendar(dt.date(2024, 1, 1), 12)
    kinds = ["office", "service_point", "popup", "service_point"]
    days = site_open_days(cal, kinds, {"service_point": 52, "popup": 24})
    n = cal.n_days
    assert (days[0] == cal.working).all()  # offices: every working day
    assert not (days[1:] & ~cal.working).any()  # never on a weekend or public holiday
    assert 46 <= days[1, :n].sum() <= 52  # weekly, less the holidays on its weekday
    assert 22 <= days[2, :n].sum() <= 27  # fortnightly
    weekday = np.array([cal.date(d).weekday() for d in range(len(cal.working))])
    assert set(weekday[days[1]]) == {0} and set(weekday[days[3]]) == {2}  # staggered between sites
    gaps = np.diff(np.flatnonzero(days[2]))
    assert set(gaps) <= {14, 28}  # every second week (28: a holiday fell on the day)


def _allocation(scenario, site: str) -> Allocation:
    """The proportional test plan with the Kyröskoski demand point's visits at ``site`` (opened)."""
    base = proportional_allocation(scenario)
    sites = base.sites.copy()
    sites.loc[sites["site"] == site, "open"] = True
    access = base.access.copy()
    row = access["demand_point"] == DP
    access.loc[row, "site"] = site
    access.loc[row, "minutes"] = scenario.region.travel.minutes[(DP, site)]
    return Allocation.from_frames(base.allocation, sites, access)


@pytest.fixture(scope="module")
def weekly_point():
    s = load_scenario(
        SCENARIOS / "baseline.yaml", {"access": {"staff_visit_days_per_year": {"service_point": 52}}}
    )
    return s


def _run(scenario, site: str):
    p = build_params(scenario, _allocation(scenario, site), months=MONTHS)
    return p, simulate_replication(p, 0, SEED, event_log=True)


def _interview_waits(p, out, site: str) -> pd.Series:
    """Working days from registration to the interview of the site's face-to-face new customers."""
    s = p.sites.index(site)
    wd = p.calendar.wd_upto
    rows = {
        c.id: wd[c.interview_day] - wd[c.reg_day]
        for c in out.customers
        if c.site == s and not c.remote and c.reg >= 0 and c.interview_day >= 0
    }
    return pd.Series(rows, dtype=float).sort_index()


def test_no_face_to_face_meeting_at_a_point_on_a_closed_day(weekly_point):
    p, out = _run(weekly_point, POINT)
    s = p.sites.index(POINT)
    open_days = p.site_open[s]
    assert open_days[: p.calendar.n_days].sum() < p.calendar.working[: p.calendar.n_days].sum() / 3
    at_point = [e for e in out.events if e[3].startswith(f"face-to-face at {POINT}")]
    assert len(at_point) > 20  # the test means something: the point holds meetings
    assert all(open_days[int(t)] for t, *_ in at_point)
    # remote customers of the same demand point are not bound: they meet on other days too
    remote = {c.id for c in out.customers if c.site == s and c.remote}
    remote_days = [
        int(t) for t, cid, what, detail in out.events if cid in remote and detail.startswith("remote")
    ]
    assert remote_days and not all(open_days[d] for d in remote_days)


def test_point_open_one_day_a_week_waits_longer_than_an_office(weekly_point):
    """Paired (same seed, same staff, same customers): only the site's opening days differ."""
    p_office, office = _run(weekly_point, OFFICE)
    p_point, point = _run(weekly_point, POINT)
    w_office = _interview_waits(p_office, office, OFFICE)
    w_point = _interview_waits(p_point, point, POINT)
    both = w_office.index.intersection(w_point.index)
    assert len(both) >= 15  # the same customers in both runs (common random numbers)
    assert (
        w_point[both].mean() >= w_office[both].mean() + 1.0
    )  # the point holds its week of meetings on one day
    assert (w_point[both] >= w_office[both] - 1).mean() > 0.9  # nearly every customer waits as long or longer
