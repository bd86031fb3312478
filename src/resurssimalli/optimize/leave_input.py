"""What the summer-leave planner (:mod:`.leave`) works on, built from a scenario and its people.

* **Weeks.** The Monday-to-Friday weeks of the KVTES leave season 2.5.-30.9. (KVTES IV 2 §) whose
  working days all fall in it, of the season year with the most season days in the horizon. A
  week's working days are Monday-Friday less Finnish public holidays (``holidays.Finland``).
  Leave is planned in whole weeks: ``staff.absence.summer_leave_days`` leave days are
  ``ceil(days / 5)`` weeks (a public holiday in a leave week is not a leave day, KVTES).
* **People and teams.** The plan's people (``id, area, fte, shares``: the simulation's people);
  a team is an area's people. The interview queues of the continuity rule are those the
  simulation plays: an area's people with a share of a customer line other than integration, and
  the people with an integration share (the integration team interviews every integration-phase
  customer).
* **Line teams.** The simulation's customer teams: an area's people serving one line (area ×
  service line, employer services included, :mod:`resurssimalli.simulate.teams`). Only a
  colleague of the same line team, or a substitute in the absent person's place, holds an absent
  person's due conversations, so the plan's cover is per line team: a person's on-duty hours
  count for each of their lines by their share of it.
* **Work.** The demand model's expected hours a day (:func:`~resurssimalli.scenario.demand.
  daily_hours`: inflow with its seasonality, the conversation cadence, line switching, plant
  closures) plus employer requests, summed over the week's seven days in each line team
  (integration in the lead municipality's area, as in :mod:`.workload`; a line an area has no
  people for goes to the team the simulation routes its customers to). A season day outside the horizon
  reads the same day 52 weeks before or after (a steady yearly cycle); a horizon shorter than a
  year that holds neither reads its mean day (``Week.outside_horizon`` days). The deadlines
  (initial interview within 5 working days, conversations within their grace days) are shorter
  than a week, so a week's work must be done in it.
* **Capacity.** An on-duty person-day gives ``fte × productive hours per HTV / on-duty days``
  where the on-duty days are the year's working days less the summer leave, times
  ``1 − staff.absence.other_share``; a person on duty for a week gives that times its working days
  times ``1 − other_share`` (sick leave and other absence on average).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import holidays
import numpy as np

from resurssimalli.errors import InputError
from resurssimalli.optimize.workload import CENTRAL_LINES
from resurssimalli.scenario.demand import DAYS_PER_YEAR, add_months, daily_hours, employer_hours_per_year
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.simulate.planned_leave import in_run_year
from resurssimalli.simulate.teams import _route as route_team

SEASON_START = (5, 2)  # KVTES IV 2 §: the leave season is 2.5.-30.9.
SEASON_END = (9, 30)
SUMMER_MONTHS = (6, 7, 8)  # leave weeks outside these carry the preference penalty
WISHED_MONTH = 7
DAYS_PER_LEAVE_WEEK = 5
WORK_LINES = (*CUSTOMER_LINES, "employer_services")


@dataclass(frozen=True)
class LeavePerson:
    """A person of the plan (the simulation's people, :mod:`resurssimalli.simulate.people`): their
    area's name, order within it, FTE and (service line, FTE) shares."""

    area: str
    ordinal: int
    fte: float
    shares: tuple[tuple[str, float], ...]

    @property
    def id(self) -> str:
        return f"{self.area} {self.ordinal + 1}"

    def share(self, line: str) -> float:
        """The FTE of ``line`` in the person's week."""
        return sum(s for ln, s in self.shares if ln == line)


@dataclass(frozen=True)
class Week:
    monday: dt.date
    working_days: int
    month: int  # the calendar month of its Thursday
    work_days: tuple[int, ...]  # the horizon days its seven days of work are read from (-1: none)

    @property
    def outside_horizon(self) -> int:
        """Days of the week the horizon holds in no year (their work is the horizon's mean day)."""
        return sum(1 for d in self.work_days if d < 0)

    @property
    def label(self) -> str:
        friday = self.monday + dt.timedelta(days=4)
        return f"week {self.monday.isocalendar()[1]} ({self.monday:%-d.%-m.}-{friday:%-d.%-m.%Y})"


@dataclass(frozen=True)
class Queue:
    """An interview queue: its display label, area and members (indices into ``people``)."""

    label: str
    area: str
    members: tuple[int, ...]


@dataclass(frozen=True)
class LeaveInput:
    season_year: int
    weeks: tuple[Week, ...]
    people: tuple[LeavePerson, ...]
    wants_july: tuple[bool, ...]
    teams: tuple[str, ...]  # areas with people, sorted
    queues: tuple[Queue, ...]
    line_teams: tuple[tuple[str, str], ...]  # (area, line) with people, sorted
    line_work: np.ndarray  # [line team, week] hours
    week_capacity: np.ndarray  # [person, week] hours on duty
    hours_per_duty_day: float  # an on-duty day of one FTE
    other_share: float  # other absence (sick leave ...) on an on-duty day, on average
    leave_weeks: int
    min_block_weeks: int
    margin: float
    continuity: int
    substitute_eur_per_hour: float
    substitute_cap: float
    outside_summer_penalty: float
    july_wish_penalty: float

    def team_of(self, p: int) -> int:
        return self.teams.index(self.people[p].area)

    @property
    def work(self) -> np.ndarray:
        """[team (area), week] hours: the area's line teams' work."""
        out = np.zeros((len(self.teams), len(self.weeks)))
        for lt, (area, _line) in enumerate(self.line_teams):
            out[self.teams.index(area)] += self.line_work[lt]
        return out

    @functools.cached_property
    def line_share(self) -> np.ndarray:
        """[person, line team] the share of the person's hours that serves the line team."""
        return np.array([[p.share(ln) / p.fte if (a == p.area and p.fte > 0) else 0.0
                          for a, ln in self.line_teams] for p in self.people]).reshape(len(self.people), -1)  # fmt: skip

    def line_team_label(self, lt: int) -> str:
        area, line = self.line_teams[lt]
        return f"{area} {line.replace('_', ' ')}"


def _season_year(start: dt.date, end: dt.date) -> int:
    """The year whose leave season has the most days inside [start, end)."""

    def days(y: int) -> int:
        lo, hi = max(start, dt.date(y, *SEASON_START)), min(end, dt.date(y, *SEASON_END) + dt.timedelta(1))
        return max((hi - lo).days, 0)

    return max(range(start.year, end.year + 1), key=lambda y: (days(y), -y))


def season_weeks(start: dt.date, months: int) -> tuple[int, tuple[Week, ...]]:
    """The season year and its whole Monday-Friday weeks for a horizon from ``start``."""
    end = add_months(start, months)
    n_days = (end - start).days
    year = _season_year(start, end)
    first, last = dt.date(year, *SEASON_START), dt.date(year, *SEASON_END)
    fi = holidays.Finland(years=year)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    weeks = []
    while monday + dt.timedelta(days=4) <= last:
        wd = sum(1 for k in range(5) if (monday + dt.timedelta(k)) not in fi)
        days = tuple(in_run_year((monday - start).days + k, n_days) for k in range(7))
        weeks.append(Week(monday, wd, (monday + dt.timedelta(3)).month, days))
        monday += dt.timedelta(days=7)
    return year, tuple(weeks)


def _line_teams(people: Sequence[LeavePerson]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({(p.area, ln) for p in people for ln, sh in p.shares if ln in WORK_LINES and sh > 0}))


def _work(scenario: Scenario, people: Sequence[LeavePerson], weeks: Sequence[Week]) -> np.ndarray:
    """[line team, week] hours of work: the demand model's customer work and employer requests,
    each (area, line) in the team the simulation routes its customers to (``route_team``)."""
    region = scenario.region
    keys = _line_teams(people)
    htv = [sum(p.share(ln) for p in people if p.area == a) for a, ln in keys]
    lead_area = region.area_of(region.lead_municipality)
    days = daily_hours(scenario)
    days["area"] = [
        lead_area if ln in CENTRAL_LINES else region.area_of(m)
        for m, ln in zip(days["municipality"], days["service_line"], strict=True)
    ]
    employer = employer_hours_per_year(scenario).groupby(lambda m: region.area_of(m)).sum() / DAYS_PER_YEAR
    n_days = int(days["day"].max()) + 1
    series = np.zeros((len(keys), n_days))
    for (area, line), g in days.groupby(["area", "service_line"]):
        series[route_team(list(keys), htv, area, str(line))] += g.groupby("day")["hours"].sum().reindex(
            range(n_days), fill_value=0.0).to_numpy()  # fmt: skip
    daily_employer = np.zeros(len(keys))
    for area, h in employer.items():
        daily_employer[route_team(list(keys), htv, str(area), "employer_services")] += float(h)
    out = np.zeros((len(keys), len(weeks)))
    for w, wk in enumerate(weeks):
        held = [d for d in wk.work_days if d >= 0]  # a horizon under a year: its mean day for the rest
        out[:, w] = series[:, held].sum(axis=1) + (7 - len(held)) * series.mean(axis=1) + 7 * daily_employer
    return out


def _interviews(p: LeavePerson) -> bool:
    """Whether ``p`` takes initial interviews in its area's queue (a customer line but integration)."""
    return any(ln in CUSTOMER_LINES and ln != "integration" and s > 0 for ln, s in p.shares)


def _queues(people: Sequence[LeavePerson], teams: Sequence[str]) -> tuple[Queue, ...]:
    """The interview queues the simulation plays (see the module docstring)."""
    out = []
    for area in teams:
        members = tuple(i for i, p in enumerate(people) if p.area == area and _interviews(p))
        if members:
            out.append(Queue(f"{area}: initial interviews", area, members))
    integ = tuple(i for i, p in enumerate(people) if any(ln == "integration" and s > 0 for ln, s in p.shares))
    if integ:
        out.append(Queue("integration team: initial interviews", people[integ[0]].area, integ))
    return tuple(out)


def _wants_july(people: Sequence[LeavePerson], share: float) -> tuple[bool, ...]:
    """In each area, the first ``round(share × people)`` people (in the area's order) wish for July."""
    out = [False] * len(people)
    for area in sorted({p.area for p in people}):
        idx = sorted((i for i, p in enumerate(people) if p.area == area), key=lambda i: people[i].ordinal)
        for i in idx[: int(round(share * len(idx)))]:
            out[i] = True
    return tuple(out)


def leave_input(scenario: Scenario, people: Sequence[LeavePerson]) -> LeaveInput:
    """The leave planner's input for ``scenario`` and the plan's ``people``."""
    cfg = scenario.config
    lv, h = cfg.staff.leave, cfg.horizon
    people = tuple(p for p in people if any(ln in WORK_LINES and s > 0 for ln, s in p.shares))
    if not people:
        raise InputError("allocation", "htv", "HTV in at least one customer or employer service line")
    year, weeks = season_weeks(h.start, h.months)
    teams = tuple(sorted({p.area for p in people}))
    fi = holidays.Finland(years=range(h.start.year, h.start.year + 2))
    year_days = [h.start + dt.timedelta(days=k) for k in range(int(DAYS_PER_YEAR))]
    working = sum(1 for d in year_days if d.weekday() < 5 and d not in fi)
    other = cfg.staff.absence.other_share
    leave_days = cfg.staff.absence.summer_leave_days
    per_day = cfg.staff.productive_hours_per_htv / max((working - leave_days) * (1 - other), 1.0)
    wd = np.array([w.working_days for w in weeks], dtype=float)
    cap = np.array([p.fte for p in people])[:, None] * (wd * per_day * (1 - other))[None, :]
    return LeaveInput(
        season_year=year, weeks=weeks, people=people, wants_july=_wants_july(people, lv.july_wish_share),
        teams=teams, queues=_queues(people, teams), line_teams=_line_teams(people),
        line_work=_work(scenario, people, weeks), week_capacity=cap,
        hours_per_duty_day=per_day, other_share=other,
        leave_weeks=math.ceil(leave_days / DAYS_PER_LEAVE_WEEK), min_block_weeks=lv.min_block_weeks,
        margin=lv.capacity_margin, continuity=lv.continuity_on_duty,
        substitute_eur_per_hour=lv.substitute_eur_per_hour, substitute_cap=lv.substitute_hours_per_week,
        outside_summer_penalty=lv.outside_summer_penalty_eur, july_wish_penalty=lv.july_wish_penalty_eur,
    )  # fmt: skip
