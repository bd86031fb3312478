"""The simulation's structures for large areas (issue 30): the coach heap chooses as the scan of
the team did, the exit clock's deferred exits fire as exits booked at once would, and the queues
serve in the order of a heap of their keys."""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from resurssimalli.simulate.caseloads import CaseLoads
from resurssimalli.simulate.draws import base_rates, draw_arrivals
from resurssimalli.simulate.exit_effect import build_exit_effect
from resurssimalli.simulate.exits import ExitClock
from resurssimalli.simulate.keyheap import KeyHeap
from resurssimalli.simulate.model import Columns, Customer, _queue
from resurssimalli.simulate.params import build_params
from test_simulate_support import proportional_allocation


def _scan(team: tuple[int, ...], load: list[int], fte: list[float]) -> int:
    """The rule as the model first wrote it: the lowest (caseload + 1) / FTE, ties to the lowest index."""
    best = team[0]
    if len(team) > 1:
        low = (load[best] + 1) / fte[best]
        for k in team[1:]:
            v = (load[k] + 1) / fte[k]
            if v < low or (v == low and k < best):
                best, low = k, v
    return best


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_coach_heap_chooses_as_the_scan_of_the_team(data):
    n = data.draw(st.integers(1, 14), label="slots")
    fte = data.draw(st.lists(st.sampled_from([0.2, 0.5, 0.6, 1.0]), min_size=n, max_size=n), label="fte")
    team_of = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n), label="team of slot")
    teams = tuple(t for t in (tuple(i for i in range(n) if team_of[i] == k) for k in range(3)) if t)
    loads, load = CaseLoads(teams, list(fte)), [0] * n
    ops = data.draw(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), max_size=400), label="ops")
    for take, x in ops:  # many releases in a row grow the heaps past their rebuild size
        if take or not any(load):
            t = x % len(teams)
            want = _scan(teams[t], load, fte)
            assert loads.take(t) == want
            load[want] += 1
        else:
            coached = [i for i in range(n) if load[i] > 0]
            slot = coached[x % len(coached)]
            loads.release(slot)
            load[slot] -= 1
        assert loads.load == load


def test_a_rescheduled_exit_fires_once_at_its_last_booked_time(baseline):
    """Customers whose exits are rescheduled again and again (overdue on, off) over a horizon that
    is not a whole day: each leaves once, at exactly the SimPy time of its last booking (the time
    ``now + max(exit - now, 0)`` a timeout booked then would have had), and only if that falls in
    the horizon; exits later than tomorrow wait in the clock's day lists on the way."""
    p = build_params(baseline, proportional_allocation(baseline), None)
    cohort = draw_arrivals(p, np.random.default_rng(5), np.random.default_rng(7))
    rng = np.random.default_rng(11)
    n, horizon = 1500, 200.7
    idx = rng.integers(0, len(cohort), n)
    rate, e = base_rates(p, cohort.muni[idx], cohort.line[idx]), rng.standard_exponential(n)
    env = simpy.Environment()
    left: list[tuple[float, int]] = []

    def leave(c):
        c.gone = True
        left.append((float(env.now), c.id))

    clock = ExitClock(env, build_exit_effect(baseline.config.outcomes), horizon, leave)
    cols = Columns(cohort, p)
    customers = [Customer(i, cols, int(idx[i]), 0, -1) for i in range(n)]
    booked: dict[int, float | None] = {}

    def book(c, now: float) -> None:
        booked[c.id] = now + max(c.exit - now, 0.0) if c.exit < horizon else None

    for i, c in enumerate(customers):
        c.reg, c.e, c.rate = 0.0, float(e[i]), tuple(map(float, rate[i]))
        c.remote, c.minutes = bool(i % 2), 20.0  # half face-to-face: the travel factor too
        clock.start(c)
        book(c, 0.0)

    def toggles():
        while env.now + 0.37 < horizon:
            yield env.timeout(float(rng.choice([0.37, 1.0, 2.5])))
            for i in rng.choice(n, 60, replace=False):
                c = customers[i]
                if not c.gone:
                    clock.set_overdue(c, not c.overdue)
                    book(c, float(env.now))

    env.process(toggles())
    env.run(until=horizon + 0.25)
    ids = [cid for _, cid in left]
    assert len(ids) == len(set(ids)), "a customer left twice"
    assert sorted(left) == left
    assert {cid: t for t, cid in left} == {cid: t for cid, t in booked.items() if t is not None}
    assert 300 < len(left) < n  # the horizon ends some spells, not all


def test_a_deadline_makes_overdue_only_those_still_pending_once_each(baseline):
    """The deadline watches hold customers (no booking versions): the day after a deadline, a
    customer still waiting for its interview, or whose current booking has that deadline, becomes
    overdue once (even when listed twice: interviewed, then booked to the same deadline); one
    rebooked to a later deadline, interviewed and booked elsewhere, or gone, does not."""
    p = build_params(baseline, proportional_allocation(baseline), None)
    cohort = draw_arrivals(p, np.random.default_rng(5), np.random.default_rng(7))
    env = simpy.Environment()
    clock = ExitClock(env, build_exit_effect(baseline.config.outcomes), 60.0, lambda c: None)
    cols = Columns(cohort, p)
    cs = [Customer(i, cols, i, 0, 10) for i in range(6)]
    for c in cs:
        c.reg, c.e, c.remote = 0.0, 50.0, True
        clock.start(c)
        clock.watch(c, 10)  # each waits for its interview by day 10
    waiting, twice, rebooked, elsewhere, gone, later = cs
    for c in (twice, rebooked, elsewhere):
        c.interview_day, c.due_deadline = 3, 10
    clock.watch(twice, 10)  # its conversation's deadline is the same day: listed twice
    rebooked.due_deadline = 20
    clock.watch(rebooked, 20)
    elsewhere.due_deadline = 30
    gone.gone = True
    later.interview_day, later.due_deadline = 4, 20
    clock.watch(later, 20)
    xv = {c.id: c.xv for c in cs}
    env.run(until=11.5)
    assert [c.overdue for c in cs] == [True, True, False, False, False, False]
    assert [c.xv - xv[c.id] for c in cs] == [1, 1, 0, 0, 0, 0]  # one rescheduling each
    env.run(until=21.5)
    assert [c.overdue for c in cs] == [True, True, True, False, False, True]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_key_heap_pops_what_heapq_pops(data):
    """The conversation queue's unboxed heap against heapq on the same distinct keys (a queue key's
    seq makes it unique): pushes and pops interleaved, every pop the same key, so the meetings go
    in the same order as with heapq's list of ints."""
    pushed = data.draw(st.lists(st.integers(0, 2**62), unique=True, max_size=300), label="keys")
    pops = data.draw(st.lists(st.booleans(), min_size=len(pushed), max_size=len(pushed)), label="pop after")
    kh, ref = KeyHeap(), []
    for key, then_pop in zip(pushed, pops, strict=True):
        kh.push(key)
        heapq.heappush(ref, key)
        assert len(kh) == len(ref) and kh.first() == ref[0]
        if then_pop:
            assert kh.pop() == heapq.heappop(ref)
    while ref:
        assert kh.pop() == heapq.heappop(ref)
    assert len(kh) == 0


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 2**40), unique=True, max_size=200))
def test_an_interview_queue_stays_in_key_order(keys):
    """Registrants' keys come in order, so the interview queue is first in, first out; a key out of
    order (which the model never makes) is sorted in: the queue always reads as the sorted keys."""
    iq: deque[int] = deque()
    for k in keys:
        _queue(iq, k)
    assert list(iq) == sorted(keys)
