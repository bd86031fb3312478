"""The SimPy model of one replication: customers, the office's people and the working day.

Design (a booking calendar, day-stepped): every customer is a SimPy process that registers and
later exits (its exit time is fixed at registration by the exit hazard). A working-day process
runs at midday of every working day. The staff are people (:mod:`resurssimalli.simulate.people`),
each with a share of one or more lines; each person on duty works a day of ``FTE × minutes per
duty day × vacancy factor`` minutes (:meth:`Office._person_day`):

1. the indirect work their customers need comes off the top (owed anyway);
2. their share of the day goes to their area's employer requests, if any wait;
3. meetings, earliest deadline first, from their own customers' due conversations and their
   interview pools' queues (the area's new customers; integration-phase customers: the
   integration team's queue) — a meeting is *started while any minute is left*: an overrun comes
   off the person's next duty day (flexitime, *liukuma*), so no minute is lost to a meeting that
   no longer fits, and a part-time person holds meetings as a full-time one does;
4. minutes still left go to employer requests; a person idles only when no work they may serve
   waits (work-conserving).

After everyone's day, colleagues of the same team with time left hold absent people's due
conversations. An interview pool with nobody on duty is served by its cover pool that day
(:mod:`resurssimalli.simulate.teams`). An interview names the personal coach (OMA-valmentaja):
the least loaded slot of the customer's team (caseload per FTE share); each held meeting books
the next one (every two weeks in the first phase, then by the line's interval). The coach
changes to multi-sector support when a job-brokering or competence-development spell passes the
threshold. Month-end processes take snapshots. A face-to-face meeting at a service point or
pop-up is held only on the site's opening days (:mod:`resurssimalli.simulate.openings`); on other
days it waits in its queue, while remote meetings and offices are not bound. Who is on duty
each day is the roster's (:mod:`resurssimalli.simulate.roster`). Customer states beyond the
unemployed (laid off, employed job seekers, people in services:
:mod:`resurssimalli.simulate.customer_states`) ride on the same day: each carries its meeting
minutes, cadence and coach work, skips the interview and the line switch, and leaves at a time
fixed at entry.

The queues hold int keys, deadline then booking order: an interview pool's is first in, first out
(registrants come in deadline order), a person's booked conversations are a heap of unboxed keys
(:mod:`resurssimalli.simulate.keyheap`); a key stays until it comes first, and is dropped then if
its customer left or was booked again since.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Final, cast

import numpy as np
import simpy

from resurssimalli.scenario.demand import DAYS_PER_MONTH, SWITCHING_LINES, next_step_days
from resurssimalli.simulate.attributes import LONG_TERM_MONTHS, STOCK_GROUPS
from resurssimalli.simulate.caseloads import CaseLoads
from resurssimalli.simulate.draws import (
    Cohort,
    draw_arrivals,
    draw_closures,
    draw_employer_requests,
    draw_rosters,
    draw_state_customers,
    draw_stock,
)
from resurssimalli.simulate.entries import Interview, Source
from resurssimalli.simulate.exits import ExitClock
from resurssimalli.simulate.keyheap import KeyHeap
from resurssimalli.simulate.params import LINE_INDEX, LINES, SimParams
from resurssimalli.simulate.roster import ON_DUTY
from resurssimalli.simulate.streams import child_generators, streams

# Final: the compiled model reads these as constants, not from the module's namespace per use.
# Counters in lists are updated as `a[i] = a[i] + x`: compiled, that is a typed add, where
# `a[i] += x` is Python's generic in-place add (about 3 % of a replication's instructions).
MULTI: Final = LINE_INDEX["multi_sector"]
SWITCHING: Final = frozenset(LINE_INDEX[x] for x in SWITCHING_LINES)
SERVICE_TIME: Final = 0.5  # the office works at midday: registrations of the morning are seen the same day
LONG_TERM_DAYS: Final = LONG_TERM_MONTHS * DAYS_PER_MONTH
WAITING: Final = int(Interview.WAITING)
SOURCES: Final = tuple(Source)  # by value 0, 1, 2
# A queue key is deadline << SEQ_BITS | seq, the order of (deadline, seq) in one int (an interview
# pool's deque, a person's KeyHeap); Office.booked[seq] is the customer the key was pushed for. The
# key is the whole entry: its deadline is the customer's (``deadline`` for the interview,
# ``due_deadline`` for the conversation booked last) and a conversation key is stale once the
# customer is booked again (``Customer.booking`` moved on to a later seq) or left.
SEQ_BITS: Final = 32
SEQ_MASK: Final = (1 << SEQ_BITS) - 1
# a person's minutes by kind of work (ReplicationOutput.person_minutes' columns after on-duty)
WORK_KINDS: Final = ("interview", "conversation", "cover", "indirect", "employer")
INTERVIEW: Final = 0
CONVERSATION: Final = 1
COVER: Final = 2
INDIRECT: Final = 3
EMPLOYER: Final = 4


class Customer:
    """A job seeker: attributes fixed at registration, state changed by the office."""

    __slots__ = (
        "id",
        "muni",
        "area",
        "line",
        "line0",
        "minutes",
        "dp",
        "remote",
        "reg",
        "reg_day",
        "exit",
        "deadline",
        "interview_day",
        "coach",
        "due",
        "due_deadline",
        "booking",
        "gone",
        "source",
        "age",
        "foreign",
        "partially_able",
        "e",
        "rate",
        "hz",
        "mark",
        "cmark",
        "mult",
        "overdue",
        "xv",
        "xt",
        "site",
        "fsite",
        "state",
        "meet",
        "step",
        "ind",
    )
    # the fields most events read first: the compiled class lays its fields out in this order, and
    # on a large area most customers are out of the cache when an event comes (issue 30)
    gone: bool
    booking: int
    xv: int
    xt: float
    overdue: bool
    fsite: int
    interview_day: int
    due: int
    due_deadline: int
    coach: int
    line: int
    area: int
    state: int
    meet: float
    step: int
    id: int
    muni: int
    line0: int
    minutes: float
    dp: int
    remote: bool
    reg: float
    reg_day: int
    exit: float
    deadline: int
    source: Source
    age: int
    foreign: bool
    partially_able: bool
    e: float
    rate: tuple[float, float, float]
    site: int
    ind: float
    # per customer (customer_states.py): ``state`` (0 unemployed), ``meet`` meeting minutes, ``step``
    # the cadence in days (0: the unemployed's first phase and line interval) and ``ind`` coach minutes
    # a duty day between meetings; the exit clock's state (exits.ExitClock.start sets ``overdue`` and
    # these when the service effect is on)
    hz: float
    mark: float
    cmark: float
    mult: float

    def __init__(self, cid: int, cohort: Columns, i: int, area: int, deadline: int) -> None:
        self.id = cid
        self.muni = cohort.muni[i]
        self.area = area
        self.line = self.line0 = cohort.line[i]
        self.minutes = cohort.minutes[i]
        self.dp = cohort.dp[i]
        self.remote = cohort.remote[i]
        self.reg = cohort.reg[i]
        self.reg_day = math.floor(self.reg)
        self.exit = cohort.exit[i]
        self.deadline = deadline
        self.interview_day: int = WAITING  # the interview's day once held
        self.coach = -1
        self.due = -1
        self.due_deadline = -1
        self.booking = 0  # the seq of the conversation booked last (0: none)
        self.gone = False
        self.source = SOURCES[cohort.source[i]]
        self.age = cohort.age[i]
        self.foreign = cohort.foreign[i]
        self.partially_able = cohort.partially_able[i]
        self.e = cohort.e[i]
        self.rate = cohort.rate[i]
        self.xv = 0
        self.xt = -1.0  # the exit's time while it waits in the exit clock's day list (exits.ExitClock)
        self.site = cohort.site[i]
        self.fsite = -1  # the site if its face-to-face meetings are bound by opening days (Office.register)
        self.state = cohort.state[i]
        self.meet = cohort.meet[i]
        self.step = cohort.step[i]
        self.ind = cohort.ind[i]
        self.overdue = False


class Columns:
    """A cohort's columns as Python lists and numbers (customers are built one at a time from them)."""

    def __init__(self, cohort: Cohort, p: SimParams) -> None:
        n = len(cohort)
        self.muni: list[int] = cohort.muni.tolist()
        self.line: list[int] = cohort.line.tolist()
        self.minutes: list[float] = cohort.minutes.tolist()
        self.dp: list[int] = cohort.dp.tolist()
        self.remote: list[bool] = cohort.remote.tolist()
        self.reg: list[float] = cohort.reg.tolist()
        self.exit: list[float] = cohort.exit.tolist()
        self.source: list[int] = cohort.source.tolist()
        self.age: list[int] = cohort.age.tolist()
        self.foreign: list[bool] = cohort.foreign.tolist()
        self.partially_able: list[bool] = cohort.partially_able.tolist()
        self.e: list[float] = cohort.e.tolist() if cohort.e is not None else [0.0] * n
        self.rate: list[tuple[float, float, float]] = (
            [tuple(r) for r in cohort.rate.tolist()] if cohort.rate is not None else [(0.0, 0.0, 0.0)] * n
        )
        self.site: list[int] = cohort.site.tolist() if cohort.site is not None else [-1] * n
        self.first_due: list[int] = cohort.first_due.tolist()
        sp = p.states
        if cohort.state is None or sp is None:
            self.state: list[int] = [0] * n
            self.meet: list[float] = [p.meeting_minutes[x] for x in self.line]
            self.step: list[int] = [0] * n
            self.ind: list[float] = [p.indirect_minutes_per_duty_day[x] for x in self.line]
        else:
            self.state = cohort.state.tolist()
            self.meet = [sp.meeting_minutes[x - 1] for x in self.state]
            self.step = [sp.step_days[x - 1] for x in self.state]
            self.ind = [sp.indirect_minutes[x - 1] for x in self.state]


@dataclass(frozen=True)
class FixedColumns:
    """Customers' attributes that never change, by customer id (the cohorts in registration-id
    order: stock, arrivals, closures; an id's row whether or not it registered in the run)."""

    muni: np.ndarray
    age: np.ndarray
    reg: np.ndarray
    partially_able: np.ndarray
    foreign: np.ndarray
    dp: np.ndarray
    remote: np.ndarray
    line: np.ndarray  # the line at registration (Customer.line0)
    state: np.ndarray  # the customer state (0: unemployed; customer_states.py)


def _fixed_columns(cohorts: tuple[Cohort, ...]) -> FixedColumns:
    fields = FixedColumns.__dataclass_fields__

    def col(c: Cohort, f: str) -> np.ndarray:
        v = getattr(c, f)
        return v if v is not None else np.zeros(len(c), dtype=np.int64)

    return FixedColumns(*(np.concatenate([col(c, f) for c in cohorts]) for f in fields))


@dataclass
class ReplicationOutput:
    """Raw results of one replication; :mod:`resurssimalli.simulate.kpis` turns them into KPIs."""

    customers: list[Customer]
    stock_muni: np.ndarray  # [month, muni] at month end
    stock_line: np.ndarray  # [month, line]
    stock_group: np.ndarray  # [month, muni, group] the plan's groups (attributes.STOCK_GROUPS)
    stock_state: np.ndarray  # [month, muni, state] job seekers by customer state (0: the unemployed)
    caseload_line: np.ndarray  # [month, line] customers with a named coach
    overdue_line: np.ndarray  # [month, line] pending conversations past due + grace
    travel_muni: np.ndarray  # [month, muni] round-trip customer minutes
    available: np.ndarray  # [slot, month] on-duty minutes (the person's, by their share of the line)
    used: np.ndarray  # [slot, month] minutes worked: meetings, indirect work, employer requests
    person_available: np.ndarray  # [person, month] scheduled on-duty minutes
    person_used: np.ndarray  # [person, month] minutes worked
    person_minutes: np.ndarray  # [person, kind] minutes over the horizon by WORK_KINDS
    status: np.ndarray  # [person, day] roster status (simulate.roster.STATUS_NAMES)
    meetings: int
    meetings_line: np.ndarray  # [month, line] meetings held, by the customer's line at the meeting
    work_line: np.ndarray  # [month, line] staff minutes of meetings and indirect work, by customer line
    conv_due_line: np.ndarray  # [month, line] conversations whose deadline (due + grace) fell in the month
    conv_on_time_line: np.ndarray  # [month, line] ... of which held by the deadline
    conv_due_area: np.ndarray  # [month, area]
    conv_on_time_area: np.ndarray  # [month, area]
    conv_due_state: np.ndarray  # [month, customer state] (0: the unemployed)
    conv_on_time_state: np.ndarray  # [month, customer state]
    backlog_minutes: np.ndarray  # [month] month-end work waiting: due conversations, interviews, employers
    interviews_waiting: np.ndarray  # [month] month-end registered customers not yet interviewed
    employer_requests: int
    employer_unserved: int
    events: list[tuple[float, int, str, str]] | None
    fixed: FixedColumns  # the customers' fixed attributes by id (Customer.id)


class Office:
    """The employment area's staff, queues and counters during one replication."""

    def __init__(
        self, env: simpy.Environment, p: SimParams, status: np.ndarray, factor: np.ndarray, event_log: bool,
        cohorts: tuple[Cohort, ...],
    ) -> None:  # fmt: skip
        self.env = env
        self.fixed = _fixed_columns(cohorts)
        # by customer id, kept as the customers change: the line, and whether a coach is named
        self.line_of = np.concatenate([c.line for c in cohorts]).astype(np.int64)
        self.coached_of = np.zeros(len(self.line_of), dtype=bool)
        self.p = p
        cal = p.calendar
        self.cal = cal
        # [day][person]: plain lists and floats in the day loop
        self.status = status
        self.duty_by_day: list[list[bool]] = (status == ON_DUTY).T.tolist()
        self.factor: list[float] = factor.tolist()
        # by day: the day a conversation due then must be held by, a registrant interviewed by
        self.conv_deadline = list(p.conv_deadline)
        self.interview_deadline = list(p.interview_deadline)
        self.conv_deadline_a = np.array(self.conv_deadline, dtype=np.int64)
        self.kpi_month: list[int] = cal.kpi_month.tolist()
        self.M = cal.months
        n = p.n_coaches
        self.loads = CaseLoads(p.teams, list(p.coach_fte))  # caseloads; the coach a customer gets
        self.indirect = [0.0] * n  # per slot: indirect minutes a duty day its customers need
        self.slot_person: list[int] = list(p.coach_person)
        self.slot_line: list[int] = [LINE_INDEX.get(x, -1) for x in p.coach_line]
        self.person_fte: list[float] = list(p.person_fte)
        self.person_slots: list[list[int]] = [list(x) for x in p.person_slots]
        self.person_pools: list[list[int]] = [list(x) for x in p.person_pools]
        self.person_employer: list[int] = [t for t, _ in p.person_employer]
        self.employer_share: list[float] = [
            f / p.person_fte[x] if p.person_fte[x] > 0 else 0.0 for x, (_, f) in enumerate(p.person_employer)
        ]
        self.pool_people: list[list[int]] = [list(x) for x in p.pool_people]
        self.pool_cover: list[list[int]] = [list(x) for x in p.pool_cover]
        self.slot_team: list[int] = [-1] * n
        for t, team in enumerate(p.teams):
            for slot in team:
                self.slot_team[slot] = t
        self.team_people: list[list[int]] = [sorted({p.coach_person[i] for i in team}) for team in p.teams]
        self.carry: list[float] = [0.0] * p.n_people  # flexitime: minutes overrun, off the next duty day
        self.conv: list[KeyHeap] = [KeyHeap() for _ in range(p.n_people)]  # per person, a heap of keys
        self.interviews: list[deque[int]] = [deque() for _ in p.pools]  # per pool, keys in order (_queue)
        self.booked: list[Customer | None] = [None]  # by a queue key's seq (from 1): whose key it is
        # remaining minutes per employer request, per team
        self.employer_queue: list[deque[float]] = [deque() for _ in p.employer_teams]
        self.seq = 0
        self.active: dict[int, Customer] = {}
        self.customers: list[Customer] = []
        self._init_counters(p)
        self.events: list[tuple[float, int, str, str]] | None = [] if event_log else None
        self.team_for = p.team_for
        self.indirect_line = p.indirect_minutes_per_duty_day
        # face-to-face meetings at a site that is not open every working day wait for its days
        opening = p.site_open if p.site_open is not None else np.zeros((0, len(cal.working)), dtype=bool)
        self.restricted: list[bool] = [bool((row != cal.working).any()) for row in opening]
        # per day, per site: closed today; one more False at the end, read by fsite = -1 (unbound)
        shut = np.vstack([~opening, np.zeros((1, len(cal.working)), dtype=bool)]).T
        self.shut: list[list[bool]] = shut.tolist()
        on = p.exit_effect.on
        self.exits = ExitClock(env, p.exit_effect, float(cal.n_days), self.leave) if on else None
        self.watched = self.exits.watched if self.exits is not None else None
        # the meeting cadence's two steps (scenario.demand.next_step_days) and the current day's rows
        self.first_days, self.first_phase_days = p.first_phase_interval_days, p.first_phase_days
        self.multi_after = p.multi_sector_after_days
        self.first_step = next_step_days(0.0, math.inf, p.first_phase_interval_days, 0.0)
        self.later_step = [next_step_days(math.inf, 0.0, 0.0, x) for x in p.later_interval_days]
        self.day_meetings: list[int] | None = None  # meetings_line[k] of the day (None: not recorded)
        self.day_work: list[float] = []

    def _init_counters(self, p: SimParams) -> None:
        """The KPI counters and month-end tables, zero."""
        n = p.n_coaches
        M, nm, nl = self.M, len(p.municipalities), len(LINES)
        self.stock_muni = np.zeros((M, nm))
        self.stock_line = np.zeros((M, nl))
        self.stock_group = np.zeros((M, nm, len(STOCK_GROUPS)))
        n_states = 1 + (len(p.states.line) if p.states is not None else 0)
        self.stock_state = np.zeros((M, nm, n_states))  # [month, muni, state] (0: the unemployed)
        self.caseload_line = np.zeros((M, nl))
        self.overdue_line = np.zeros((M, nl))
        self.travel = [[0.0] * nm for _ in range(M)]
        self.available = [[0.0] * M for _ in range(p.n_people)]  # per person: scheduled minutes
        self.used = [[0.0] * M for _ in range(p.n_people)]  # per person: minutes worked
        self.kind = [[0.0] * len(WORK_KINDS) for _ in range(p.n_people)]  # per person: minutes by kind
        self.meetings = 0
        self.meetings_line = [[0] * nl for _ in range(M)]
        self.work_line = [[0.0] * nl for _ in range(M)]
        na = len(p.areas)
        ns = 1 + (len(p.states.line) if p.states is not None else 0)
        self.conv_due = (
            [[0] * nl for _ in range(M)], [[0] * na for _ in range(M)], [[0] * ns for _ in range(M)]
        )
        self.conv_on_time = (
            [[0] * nl for _ in range(M)], [[0] * na for _ in range(M)], [[0] * ns for _ in range(M)]
        )
        # by deadline day (one more: beyond the calendar): the month's counter rows a conversation
        # with that deadline is judged in (due by line, by area; on time by line, by area; due and on
        # time by customer state), or None
        self.judged_rows = [
            (
                self.conv_due[0][k], self.conv_due[1][k], self.conv_on_time[0][k], self.conv_on_time[1][k],
                self.conv_due[2][k], self.conv_on_time[2][k],
            )
            if 0 <= k < M
            else None
            for k in [*self.kpi_month, M]
        ]
        self.backlog_minutes = np.zeros(M)
        self.interviews_waiting = np.zeros(M)
        self.employer_requests = 0
        self.employer_unserved = 0

    # -- customers ------------------------------------------------------------------------------
    def log(self, t: float, cid: int, what: str, detail: str = "") -> None:
        if self.events is not None:
            self.events.append((t, cid, what, detail))

    def register(self, c: Customer, first_due: int | None) -> None:
        """A customer enters: the starting stock with its next conversation due on ``first_due``
        (interviewed before the run, a coach named now), a new registrant (``None``) in its pool's
        interview queue."""
        self.active[c.id] = c
        if not c.remote and c.site >= 0 and self.restricted[c.site]:
            c.fsite = c.site
        self.customers.append(c)
        if self.exits is not None and c.state == 0:  # a state's stay is fixed at entry
            self.exits.start(c)
            if first_due is None:
                self.exits.watch(c, c.deadline)
        if first_due is not None:
            c.interview_day = Interview.BEFORE_RUN
            self._assign(c)
            self._book(c, first_due)
            if self.events is not None:
                self.log(self.env.now, c.id, "stock", f"{LINES[c.line]} coach {c.coach}")
        else:
            pool = self.p.pool_for[c.area][c.line]
            self.seq = seq = self.seq + 1
            self.booked.append(c)
            _queue(self.interviews[pool], c.deadline << SEQ_BITS | seq)
            if self.events is not None:
                self.log(c.reg, c.id, "arrival", LINES[c.line])

    def leave(self, c: Customer) -> None:
        if c.coach >= 0 and c.due_deadline < float(self.env.now) - SERVICE_TIME:
            self._conversation_judged(c, held_on_time=False)  # left with a conversation overdue
        c.gone = True
        if c.coach >= 0:
            self.loads.release(c.coach)
            self.indirect[c.coach] = self.indirect[c.coach] - c.ind
        del self.active[c.id]
        if self.events is not None:
            self.log(self.env.now, c.id, "exit", "")

    def exit_event(self, ev: simpy.Event) -> None:
        self.leave(cast(Customer, ev.value))

    def _assign(self, c: Customer) -> None:
        """The least loaded coach of the customer's team (caseload + 1 per HTV; ties: lowest index:
        :class:`~resurssimalli.simulate.caseloads.CaseLoads`)."""
        best = self.loads.take(self.team_for[c.area][c.line])
        c.coach = best
        self.coached_of[c.id] = True
        self.indirect[best] = self.indirect[best] + c.ind

    def _book(self, c: Customer, due: int) -> None:
        c.due = due
        c.due_deadline = dl = self.conv_deadline[due]
        self.seq = c.booking = seq = self.seq + 1
        self.booked.append(c)
        self.conv[self.slot_person[c.coach]].push(dl << SEQ_BITS | seq)
        watched, exits = self.watched, self.exits  # the exit clock's watch (ExitClock.watch) without the call
        if watched is not None and exits is not None and c.state == 0:
            day = watched.get(dl)
            if day is None:
                day = exits.watch_day(dl)
            if day is not None:
                day.append(c)

    def _switch(self, c: Customer, day: int) -> None:
        """The customer's coach changes to multi-sector support (the spell has passed the threshold)."""
        self.loads.release(c.coach)
        self.indirect[c.coach] = self.indirect[c.coach] - c.ind
        c.line = MULTI
        c.ind = self.indirect_line[MULTI]
        c.meet = self.p.meeting_minutes[MULTI]
        self.line_of[c.id] = MULTI
        self._assign(c)
        if self.events is not None:
            self.log(day + SERVICE_TIME, c.id, "coach_change", f"multi_sector coach {c.coach}")

    # -- the working day ----------------------------------------------------------------------------
    def serve_day(self, d: int) -> None:
        """Day ``d``: every person on duty works their day (:meth:`_person_day`) in an order that
        rotates daily, then colleagues with time left hold absent people's due conversations."""
        k = self.kpi_month[d]
        rec = 0 <= k < self.M
        base = self.p.minutes_per_duty_day * self.factor[d]
        duty = self.duty_by_day[d]
        travel = self.travel[k] if rec else None
        self.day_meetings = self.meetings_line[k] if rec else None
        self.day_work = self.work_line[k] if rec else []
        shut = self.shut[d]
        pools = self._pools_today(duty)
        held: list[list[int]] = [[] for _ in self.interviews]  # at a site closed today
        n = len(duty)
        left = [0.0] * n
        for j in range(n):
            x = (d + j) % n
            if not duty[x]:
                continue
            budget = self.person_fte[x] * base
            carry = self.carry[x]
            avail = budget - carry
            used = self._person_day(x, d, avail, pools[x], held, travel, shut, rec)
            self.carry[x] = used - avail if used > avail else 0.0
            left[x] = avail - used if avail > used else 0.0
            if rec:  # flexitime: an overrun is booked on the day it is evened, so worked <= budget
                worked = (carry if carry < budget else budget) + (avail - left[x] if avail > 0.0 else 0.0)
                self.available[x][k] = self.available[x][k] + budget
                self.used[x][k] = self.used[x][k] + worked
        for i, keys in enumerate(held):  # taken from the queue's front in order: they go back there
            if keys:
                self.interviews[i].extendleft(reversed(keys))
        self._cover(d, duty, left, k if rec else -1, travel, shut)

    def _pools_today(self, duty: list[bool]) -> list[list[int]]:
        """Each person's interview pools today: their own, and a pool with nobody on duty taken
        by the first pool of its cover order that has someone (the continuity rule's cover)."""
        out = self.person_pools
        for i, members in enumerate(self.pool_people):
            if any(duty[x] for x in members):
                continue
            for j in self.pool_cover[i]:
                on = [x for x in self.pool_people[j] if duty[x]]
                if on:
                    if out is self.person_pools:
                        out = [list(x) for x in out]
                    for x in on:
                        out[x].append(i)
                    break
        return out

    def _person_day(
        self, x: int, d: int, avail: float, pools: list[int], held: list[list[int]],
        travel: list[float] | None, shut: list[bool], rec: bool,
    ) -> float:  # fmt: skip
        """One person's minutes of day ``d``; returns the minutes worked (may exceed ``avail`` by the
        last meeting's overrun, which comes off their next duty day).

        Work-conserving: the indirect work their customers need comes off the top (owed anyway),
        then their share of the area's employer requests, then meetings — their own customers'
        due conversations and their pools' initial interviews, earliest deadline first — while
        any minute is left, then more employer requests; a person idles only when none waits."""
        owed = 0.0
        for slot in self.person_slots[x]:
            owed += self.indirect[slot]
        room = avail if avail > 0.0 else 0.0
        used = owed if owed < room else room
        kind = self.kind[x]
        if rec and owed > 0.0:
            kind[INDIRECT] = kind[INDIRECT] + used
            for slot in self.person_slots[x]:
                j = self.slot_line[slot]
                if j >= 0:
                    self.day_work[j] = self.day_work[j] + self.indirect[slot] * used / owed
        team = self.person_employer[x]
        if team >= 0 and used < avail:
            quota = (avail - used) * self.employer_share[x]
            used += self._employer_work(team, quota, kind, rec)
        used = self._meetings(x, d, avail, used, pools, held, travel, shut, rec)
        if team >= 0 and used < avail:
            used += self._employer_work(team, avail - used, kind, rec)
        return used

    def _employer_work(self, team: int, minutes: float, kind: list[float], rec: bool) -> float:
        """Up to ``minutes`` of the team's employer requests, first come first served; the minutes done."""
        q = self.employer_queue[team]
        left = minutes
        while q and left > 0:
            work = q[0] if q[0] < left else left
            left -= work
            if q[0] - work <= 1e-9:
                q.popleft()
            else:
                q[0] -= work
        done = minutes - left
        if rec:
            kind[EMPLOYER] = kind[EMPLOYER] + done
        return done

    def _meetings(
        self, x: int, d: int, avail: float, used: float, pools: list[int], held_iq: list[list[int]],
        travel: list[float] | None, shut: list[bool], rec: bool,
    ) -> float:  # fmt: skip
        """Person ``x``'s meetings of day ``d``, earliest deadline first, started while any minute
        is left; returns the minutes used.

        The queues' heads are looked up again only after a pop from that queue: the meetings held
        book conversations due after today, which never become a due head today."""
        if used >= avail:
            return used
        interview_minutes = self.p.interview_minutes
        q = self.conv[x]
        held: list[int] = []
        booked = self.booked
        kind = self.kind[x]
        ch = _conv_head(q, d, held, shut, booked)
        heads = [_interview_head(self.interviews[i], held_iq[i], shut, booked) for i in pools]
        while used < avail:
            b = -1
            for j in range(len(heads)):
                h = heads[j]
                if h is not None and (b < 0 or h.deadline < _deadline(heads[b])):
                    b = j
            if ch is not None and (b < 0 or ch.due_deadline <= _deadline(heads[b])):
                c = ch
                minutes = c.meet
                q.pop()
                self._held(c, d, minutes, travel, "conversation", True)
                ch = _conv_head(q, d, held, shut, booked)
                k = CONVERSATION
            elif b >= 0:
                c = cast(Customer, heads[b])
                iq = self.interviews[pools[b]]
                iq.popleft()
                c.interview_day = d
                self._assign(c)
                self._held(c, d, interview_minutes, travel, "interview", False)
                minutes = interview_minutes
                heads[b] = _interview_head(iq, held_iq[pools[b]], shut, booked)
                k = INTERVIEW
            else:
                break
            used += minutes
            if rec:
                kind[k] = kind[k] + minutes
        for e in held:
            q.push(e)
        return used

    def _cover(
        self, d: int, duty: list[bool], left: list[float], k: int, travel: list[float] | None,
        shut: list[bool],
    ) -> None:  # fmt: skip
        """Colleagues in the team with time left hold an absent person's due conversations, earliest
        deadline first (an overrun comes off the colleague's next duty day, as their own would)."""
        for x in range(len(duty)):
            q = self.conv[x]
            if duty[x] or len(q) == 0:
                continue
            held: list[int] = []
            while len(q) > 0:
                c = _conv_head(q, d, held, shut, self.booked)
                if c is None:
                    break
                sub = -1
                for y in self.team_people[self.slot_team[c.coach]]:
                    if duty[y] and left[y] > 0.0 and (sub < 0 or left[y] > left[sub]):
                        sub = y
                if sub < 0:
                    break
                minutes = c.meet
                q.pop()
                booked = minutes if minutes < left[sub] else left[sub]  # the rest: flexitime
                self.carry[sub] = self.carry[sub] + minutes - booked
                left[sub] = left[sub] - booked
                if k >= 0:
                    self.used[sub][k] = self.used[sub][k] + booked
                    self.kind[sub][COVER] = self.kind[sub][COVER] + minutes
                self._held(c, d, minutes, travel, "conversation (cover)", True)
            for e in held:
                q.push(e)

    def _conversation_judged(self, c: Customer, held_on_time: bool) -> None:
        """Count a due conversation at its deadline's month (held by it or not)."""
        rows = self.judged_rows[c.due_deadline]
        if rows is not None:
            rows[0][c.line] = rows[0][c.line] + 1
            rows[1][c.area] = rows[1][c.area] + 1
            rows[4][c.state] = rows[4][c.state] + 1
            if held_on_time:
                rows[2][c.line] = rows[2][c.line] + 1
                rows[3][c.area] = rows[3][c.area] + 1
                rows[5][c.state] = rows[5][c.state] + 1

    def close(self) -> None:
        """Drop the exit clock (which calls back into the office): no reference cycle outlives the
        run, so its objects are freed at once even while the collector is paused (``runner``)."""
        self.exits = None
        self.watched = None

    def finish(self, n_days: int) -> None:
        """At the horizon end: conversations past their deadline and never held count as late."""
        for c in self.active.values():
            if c.coach >= 0 and c.due_deadline < n_days:
                self._conversation_judged(c, held_on_time=False)

    def _held(
        self, c: Customer, d: int, minutes: float, travel: list[float] | None, what: str, booked: bool
    ) -> None:
        """A meeting held on day ``d`` (``serve_day`` has set the day's KPI rows) and the customer's
        next conversation booked; a ``booked`` conversation (not the interview) is first judged at
        its deadline's month (``_conversation_judged``, inlined: this runs for every meeting)."""
        line = c.line
        if booked:
            rows = self.judged_rows[c.due_deadline]
            if rows is not None:
                rows[0][line] = rows[0][line] + 1
                rows[1][c.area] = rows[1][c.area] + 1
                rows[4][c.state] = rows[4][c.state] + 1
                if d <= c.due_deadline:
                    rows[2][line] = rows[2][line] + 1
                    rows[3][c.area] = rows[3][c.area] + 1
                    rows[5][c.state] = rows[5][c.state] + 1
        self.meetings += 1
        row = self.day_meetings
        if row is not None:
            row[line] = row[line] + 1
            self.day_work[line] = self.day_work[line] + minutes
        if self.exits is not None and c.overdue:
            self.exits.set_overdue(c, False)
        if travel is not None and not c.remote:
            travel[c.muni] = travel[c.muni] + 2.0 * c.minutes
        if self.events is not None:
            where = "remote" if c.remote else "face-to-face"
            if not c.remote and c.site >= 0:
                where += f" at {self.p.sites[c.site]}"
            self.log(d + SERVICE_TIME, c.id, what, f"{where} coach {c.coach}")
        if c.step > 0:  # a customer state: its own cadence, no first phase, no switch
            base = c.due if c.due >= 0 else d
            self._book(c, base + c.step if base + c.step > d else d + c.step)
            return
        if line in SWITCHING and d - c.reg >= self.multi_after:
            self._switch(c, d)
            line = MULTI
        # the cadence is a schedule: the next conversation is due one interval after this one was
        # due (the interview starts it); a meeting so late that the next is already past restarts it
        # (scenario.demand.next_step_days: the first phase's step while the next one falls in it)
        base = c.due if c.due >= 0 else d
        if (base - c.reg) + self.first_days <= self.first_phase_days:
            step = self.first_step
        else:
            step = self.later_step[line]
        self._book(c, base + step if base + step > d else d + step)

    def employer_request(self, muni: int) -> None:
        team = self.p.employer_team_for[self.p.muni_area[muni]]
        self.employer_requests += 1
        if team < 0:
            self.employer_unserved += 1
            return
        self.employer_queue[team].append(self.p.employer_request_minutes)

    def snapshot(self, k: int, day: int) -> None:
        """Month-end counts (before the office of ``day`` opens), aggregated as arrays."""
        act = list(self.active.values())
        ids = np.fromiter(self.active, dtype=np.int64, count=len(act))  # the same order
        nm, nl = self.stock_muni.shape[1], self.stock_line.shape[1]
        fixed = self.fixed  # attributes that never change, by customer id
        muni, age = fixed.muni[ids], fixed.age[ids]
        line, coached = self.line_of[ids], self.coached_of[ids]
        due = np.array([c.due for c in act], dtype=np.int64)
        overdue = coached & (self.conv_deadline_a[due] < day)  # a coached customer's due_deadline
        state = fixed.state[ids]
        self.stock_state[k] = np.bincount(
            muni * self.stock_state.shape[2] + state, minlength=self.stock_state[k].size
        ).reshape(self.stock_state[k].shape)
        unemployed = state == 0  # the unemployed's tables: stock, lines, the plan's groups
        long_term = day - fixed.reg[ids] > LONG_TERM_DAYS
        groups = (age == 0, age == 2, long_term, fixed.partially_able[ids], fixed.foreign[ids])
        self.stock_muni[k] = np.bincount(muni[unemployed], minlength=nm)
        self.stock_line[k] = np.bincount(line[unemployed], minlength=nl)
        for j, g in enumerate(groups):
            w = np.asarray(g & unemployed, dtype=float)
            self.stock_group[k, :, j] = np.bincount(muni, weights=w, minlength=nm)
        self.caseload_line[k] = np.bincount(line[coached], minlength=nl)
        self.overdue_line[k] = np.bincount(line[overdue], minlength=nl)
        # due conversations' minutes, summed in the customers' order as the office would (cumsum)
        meet = np.array([c.meet for c in act], dtype=float)
        minutes = meet[coached & (due < day)]
        backlog = float(np.cumsum(minutes)[-1]) if len(minutes) else 0.0
        # not yet interviewed = no coach yet (the stock has one from the start; an interview names one)
        waiting = int((~coached).sum())
        self.interviews_waiting[k] = waiting
        employers = sum(sum(q) for q in self.employer_queue)
        self.backlog_minutes[k] = backlog + waiting * self.p.interview_minutes + employers


def _conv_head(q: KeyHeap, d: int, held: list[int], shut: list[bool], booked: list) -> Customer | None:
    """The customer of a coach's first live conversation if it is due by day ``d`` (else None).

    Keys of customers who left or were booked again are dropped; due conversations at a site closed
    today are moved to ``held`` (the caller pushes them back at the end of the day)."""
    while len(q) > 0:
        key = q.first()
        c = cast(Customer, booked[key & SEQ_MASK])
        if c.gone or c.booking != key & SEQ_MASK:  # stale: the customer left or was booked again since
            q.pop()
        elif c.due > d:
            return None
        elif shut[c.fsite]:
            held.append(q.pop())
        else:
            return c
    return None


def _queue(iq: deque[int], key: int) -> None:
    """Add a key to an interview queue, kept in key order.

    A registrant's deadline is the registration day's (``SimParams.interview_deadline``, never
    earlier for a later day) and its seq the latest, so keys come in order and the queue is first
    in, first out: a heap's order at a deque's cost (a large area's queue holds thousands, and a
    heap's pop walks its depth through boxed ints out of the cache). A key out of order is sorted in."""
    if iq and key < iq[-1]:
        keys = sorted([*iq, key])
        iq.clear()
        iq.extend(keys)
    else:
        iq.append(key)


def _interview_head(iq: deque[int], held: list[int], shut: list[bool], booked: list) -> Customer | None:
    """The first customer of an interview queue still waiting and not at a site closed today.

    Customers who left are dropped; those at a closed site are moved to ``held``."""
    while iq:
        c = cast(Customer, booked[iq[0] & SEQ_MASK])
        if c.gone or c.interview_day != WAITING:
            iq.popleft()
        elif shut[c.fsite]:
            held.append(iq.popleft())
        else:
            return c
    return None


def _deadline(c: Customer | None) -> int:
    """An interview queue head's deadline (the caller has checked it is not None)."""
    return cast(Customer, c).deadline


# -- processes ------------------------------------------------------------------------------------


def _enter(
    env: simpy.Environment, office: Office, c: Customer, first_due: int | None, horizon: float
) -> None:
    """Register a customer now; without the exit clock, its exit (fixed at registration) is booked
    as one timeout (no process per customer)."""
    office.register(c, first_due)
    if (office.exits is None or c.state > 0) and c.exit < horizon:  # else the exit clock fires the exit
        ev = env.timeout(max(c.exit - float(env.now), 0.0), c)
        ev.callbacks.append(office.exit_event)


class _Arrivals:
    """A cohort's registrations in time order, as a chain of timeouts rather than a process: each
    timeout registers its customer, then those due at the same time, and books the next one (the
    delays a process would have yielded, ``t - now``, so the event times are the same)."""

    def __init__(self, env: simpy.Environment, office: Office, cohort: Cohort, start_id: int, horizon: float):
        self.env, self.office, self.start_id, self.horizon = env, office, start_id, horizon
        self.cols = Columns(cohort, office.p)
        self.i = 0
        self._advance()

    def _register(self) -> None:
        i, cols, office = self.i, self.cols, self.office
        t = cols.reg[i]
        deadline = office.interview_deadline[int(t)]
        c = Customer(self.start_id + i, cols, i, office.p.muni_area[cols.muni[i]], deadline)
        due = cols.first_due[i]  # a customer state's first meeting (customer_states.py); else an interview
        _enter(self.env, office, c, due if due >= 0 else None, self.horizon)
        self.i = i + 1

    def _advance(self) -> None:
        reg, env = self.cols.reg, self.env
        now = float(env.now)  # no event runs in this loop
        while self.i < len(reg):
            t = reg[self.i]
            if t >= self.horizon:
                return
            if t > now:
                env.timeout(t - now).callbacks.append(self._due)
                return
            self._register()

    def _due(self, _ev: simpy.Event) -> None:
        self._register()
        self._advance()


def _working_days(env: simpy.Environment, office: Office, n_days: int):
    working = office.cal.working
    d = 0
    yield env.timeout(SERVICE_TIME)
    while d < n_days:
        if working[d]:
            office.serve_day(d)
        d += 1
        if d < n_days:  # none after the last day: nothing is left in the queue after the run
            yield env.timeout(1.0)


def _month_ends(env: simpy.Environment, office: Office):
    for k in range(office.M):
        boundary = office.cal.month_start_days[k + 1]
        yield env.timeout(boundary - env.now)
        office.snapshot(k, boundary)


def _employer_arrivals(env: simpy.Environment, office: Office, times: np.ndarray, munis: np.ndarray):
    for t, m in zip(times.tolist(), munis.tolist(), strict=True):
        if t > env.now:
            yield env.timeout(t - env.now)
        office.employer_request(m)


def _by_slot(p: SimParams, per_person: list[list[float]]) -> np.ndarray:
    """[slot, month]: each person's minutes split over their slots by share."""
    a = np.array(per_person, dtype=float).reshape(p.n_people, -1)
    person = np.asarray(p.coach_person, dtype=np.int64)
    weight = np.asarray(p.coach_fte, dtype=float) / np.asarray(p.person_fte, dtype=float)[person]
    return a[person] * weight[:, None]


def simulate_replication(
    p: SimParams, replication: int, root_seed: int, event_log: bool = False
) -> ReplicationOutput:
    """Run one replication in a fresh SimPy environment; deterministic given the seed."""
    rs = streams(root_seed, replication)
    attr = child_generators(rs["attributes"], 3)
    stock = draw_stock(p, rs["stock"], rs["stock_schedule"], attr[0])
    arrivals = draw_arrivals(p, rs["arrivals"], attr[1])
    closures = draw_closures(p, rs["closures"], attr[2])
    states = draw_state_customers(p, rs["states"])
    status, factor = draw_rosters(p, rs["staff"])
    emp_t, emp_m = draw_employer_requests(p, rs["employers"])

    env = simpy.Environment()
    office = Office(env, p, status, factor, event_log or p.event_log, (stock, arrivals, closures, states))
    horizon = float(p.calendar.n_days)
    cal = p.calendar
    cols = Columns(stock, p)
    for i in range(len(stock)):
        c = Customer(i, cols, i, p.muni_area[cols.muni[i]], -1)
        _enter(env, office, c, cols.first_due[i], horizon)  # registered before the run: now = 0
    _Arrivals(env, office, arrivals, len(stock), horizon)
    _Arrivals(env, office, closures, len(stock) + len(arrivals), horizon)
    _Arrivals(env, office, states, len(stock) + len(arrivals) + len(closures), horizon)
    env.process(_working_days(env, office, cal.n_days))
    env.process(_month_ends(env, office))
    env.process(_employer_arrivals(env, office, emp_t, emp_m))
    env.run(until=horizon + 0.25)
    office.finish(cal.n_days)
    office.close()
    return ReplicationOutput(
        customers=office.customers,
        stock_muni=office.stock_muni,
        stock_line=office.stock_line,
        stock_group=office.stock_group,
        stock_state=office.stock_state,
        caseload_line=office.caseload_line,
        overdue_line=office.overdue_line,
        travel_muni=np.array(office.travel),
        available=_by_slot(p, office.available),
        used=_by_slot(p, office.used),
        person_available=np.array(office.available),
        person_used=np.array(office.used),
        person_minutes=np.array(office.kind),
        status=status,
        meetings=office.meetings,
        meetings_line=np.array(office.meetings_line, dtype=float),
        work_line=np.array(office.work_line, dtype=float),
        conv_due_line=np.array(office.conv_due[0], dtype=float),
        conv_on_time_line=np.array(office.conv_on_time[0], dtype=float),
        conv_due_area=np.array(office.conv_due[1], dtype=float),
        conv_on_time_area=np.array(office.conv_on_time[1], dtype=float),
        conv_due_state=np.array(office.conv_due[2], dtype=float),
        conv_on_time_state=np.array(office.conv_on_time[2], dtype=float),
        backlog_minutes=office.backlog_minutes,
        interviews_waiting=office.interviews_waiting,
        employer_requests=office.employer_requests,
        employer_unserved=office.employer_unserved,
        events=office.events,
        fixed=office.fixed,
    )
