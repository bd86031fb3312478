"""Exits applied as the spell runs: the base exit hazard times a service multiplier.

Each customer keeps the Exp(1) variate drawn at registration (common random numbers: the same
seed gives the same variates in every scenario) and leaves when the accumulated hazard
``∫ base(a) × m(t) dt`` reaches it. The base hazard is piecewise constant in the spell's age
(rates per duration band, one triple per customer, from :mod:`resurssimalli.simulate.draws`);
the multiplier ``m`` is piecewise constant in time and changes only at service events:

* ``overdue``: while the customer's initial interview or booked conversation is past its
  deadline, the hazard is multiplied by ``1 - 10 × interview_on_time`` (Huuskonen 2023: +10
  points of interview probability, +3.1 % monthly hazard; applied per customer, so the mean
  hazard moves by the configured elasticity when the on-time share moves by 10 points);
* travel: a face-to-face customer's hazard is multiplied by ``(1 - travel_time) ** ((minutes -
  reference) / 10)`` (Vehkasalo 2020, office closures).

With ``outcomes.service_effect: false`` none of this runs: the exit drawn at registration
stands (the model without the effect, the same numbers).

Every change of the multiplier reschedules the exit, and SimPy cannot cancel the exit booked
before: in an overloaded area most exits booked are stale by their time (Helsinki's pack: 194,000
of 263,000 a year, a large share of all the run's events, and a SimPy queue of every customer's
exit). So an exit later than tomorrow waits in its day's list (``ExitClock.later``) and goes to
SimPy only the day before its own, if it is still current (:meth:`ExitClock._release`); its time
is the one SimPy would have given it, so the events run in the same order as if booked at once (a
stale exit did nothing when it fired; SimPy orders exits by their times, and those released
together go in the order the customers first appear in the day's list). The day lists and the
deadline watches hold the customers themselves, not a tuple per booking: a Helsinki year books
~690,000 exits and ~450,000 watches, and each tuple was an allocation (with its boxed time) that
the collector tracked and freed later, cold, when the day came.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final, cast

from resurssimalli.scenario.demand import DAYS_PER_MONTH, HAZARD_BANDS
from resurssimalli.simulate.entries import Interview
from resurssimalli.simulate.exit_effect import ExitEffect

if TYPE_CHECKING:
    from collections.abc import Callable

    import simpy

    from resurssimalli.simulate.model import Customer

# Final: the compiled clock reads these as C constants; a plain module name (or one imported from
# another module) is a dictionary lookup at every use, several per exit rescheduled (issue 30)
EDGE1: Final[float] = HAZARD_BANDS[1][1]  # duration bands (months): 0-3, 3-12, 12+
EDGE2: Final[float] = HAZARD_BANDS[2][1]
BAND2: Final[float] = EDGE2 - EDGE1
DAYS: Final[float] = DAYS_PER_MONTH


def cum_base(rate: tuple[float, float, float], a: float) -> float:
    """Cumulative base hazard at spell age ``a`` (months)."""
    r0, r1, r2 = rate
    # r0 * min(a, EDGE1) + r1 * min(max(a - EDGE1, 0), EDGE2 - EDGE1) + r2 * max(a - EDGE2, 0), with
    # the values min and max would pick (no builtin calls: this runs for every exit scheduled)
    x1, x2 = a - EDGE1, a - EDGE2
    mid = 0.0 if x1 < 0.0 else x1
    band1 = EDGE1 if a > EDGE1 else a
    return r0 * band1 + r1 * (BAND2 if mid > BAND2 else mid) + r2 * (0.0 if x2 < 0.0 else x2)


def inv_cum_base(rate: tuple[float, float, float], y: float) -> float:
    """Spell age (months) at which the cumulative base hazard reaches ``y`` (inf if never)."""
    r0, r1, r2 = rate
    h3 = EDGE1 * r0
    if y <= h3:
        return y / r0 if r0 > 0 else math.inf
    h12 = h3 + (EDGE2 - EDGE1) * r1
    if y <= h12:
        return EDGE1 + (y - h3) / r1 if r1 > 0 else math.inf
    return EDGE2 + (y - h12) / r2 if r2 > 0 else math.inf


class ExitClock:
    """Accumulates each customer's hazard against its Exp(1) variate and fires the exit."""

    def __init__(
        self, env: simpy.Environment, effect: ExitEffect, horizon: float, leave: Callable[[Customer], None]
    ) -> None:
        self.env = env
        # the effect's parameters as the compiled clock's own floats (read for every multiplier)
        self.overdue_mult: float = effect.overdue_mult
        self.travel_log_per_minute: float = effect.travel_log_per_minute
        self.reference_minutes: float = effect.reference_minutes
        self.horizon = horizon
        self.leave = leave
        # deadlines watched, by day: the customers whose interview or booked conversation has that
        # deadline (one append per watch, no tuple); one SimPy event per day fires them in the order
        # they were watched (_deadline_passed)
        self.watched: dict[int, list[Customer]] = {}
        # exits at day d or later wait in later[d] until day d - 1 (_release), earlier ones go to
        # SimPy at once: the customer is appended at each booking, its exit's time kept in ``c.xt``
        # (-1 when none waits), so a rescheduling allocates nothing; the stale appearances are
        # those whose ``xt`` has moved to another day (or was released)
        self.later: list[list[Customer]] = [[] for _ in range(math.ceil(horizon) + 1)]
        self.open_until = 1
        env.timeout(0.0).callbacks.append(self._release)

    def start(self, c: Customer) -> None:
        """At registration (the stock: at the run's start, its variate being the residual)."""
        now = c.mark = float(self.env.now)  # SimPy's time as a float: a typed subtraction below
        c.cmark = cum_base(c.rate, (now - c.reg) / DAYS)  # the base hazard to the mark
        c.hz = 0.0
        c.overdue = False
        c.mult = self.multiplier(False, c.remote, c.minutes)
        self._schedule(c, now)

    def multiplier(self, overdue: bool, remote: bool, minutes: float) -> float:
        """The service multiplier of the hazard: the overdue factor while overdue, times the travel
        factor of a face-to-face customer (see the module docstring)."""
        m = self.overdue_mult if overdue else 1.0
        if not remote:
            m *= math.exp(self.travel_log_per_minute * (minutes - self.reference_minutes))
        return m

    def set_overdue(self, c: Customer, overdue: bool) -> None:
        if c.gone or c.overdue == overdue:
            return
        now = float(self.env.now)
        cum = cum_base(c.rate, (now - c.reg) / DAYS)
        c.hz += c.mult * (cum - c.cmark)
        c.mark, c.cmark = now, cum
        c.overdue = overdue
        c.mult = self.multiplier(overdue, c.remote, c.minutes)
        self._schedule(c, now)

    def watch(self, c: Customer, deadline_day: int) -> None:
        """From the day after ``deadline_day`` the customer is overdue if it is still waiting for its
        interview or its conversation with that deadline is still pending (:meth:`_deadline_passed`)."""
        day = self.watched.get(deadline_day)
        if day is None:
            day = self.watch_day(deadline_day)
        if day is not None:
            day.append(c)

    def watch_day(self, deadline_day: int) -> list[Customer] | None:
        """A new list of a deadline day's watches, with the SimPy event that fires them (None if the
        day after the deadline is beyond the run). ``watched.get(day)`` first: the office's booking
        appends to the day's list directly."""
        t = deadline_day + 1.0
        if t >= self.horizon:
            return None
        day = self.watched[deadline_day] = []
        ev = self.env.timeout(max(t - self.env.now, 0.0), deadline_day)
        ev.callbacks.append(self._deadline_passed)
        return day

    def _deadline_passed(self, ev: Any) -> None:
        """The day after a deadline: its customers still waiting for the interview, or whose current
        booking has this deadline (a held conversation books the next at once, so the current booking
        is the pending one), become overdue. A customer rebooked to another deadline is in that day's
        list too; one listed twice is overdue at its first appearance (``set_overdue`` again does
        nothing)."""
        waiting = Interview.WAITING
        deadline: int = ev.value
        for c in self.watched.pop(deadline):
            if not c.gone and (c.interview_day == waiting or c.due_deadline == deadline):
                self.set_overdue(c, True)

    def _schedule(self, c: Customer, now: float) -> None:
        """The exit at the spell age where the accumulated hazard reaches the variate: from the mark
        (now), the base hazard still to go is what is left of the variate over the multiplier."""
        mult = c.mult
        if mult <= 0:
            age = math.inf
        else:
            left = c.e - c.hz
            age = inv_cum_base(c.rate, c.cmark + (0.0 if left < 0.0 else left) / mult)
        c.exit = c.reg + age * DAYS
        c.xv += 1
        c.xt = -1.0
        if c.exit < self.horizon:
            delay = c.exit - now if c.exit > now else 0.0
            t = now + delay  # the exit's time on SimPy's clock
            if t < self.open_until:
                ev = self.env.timeout(delay, (c, c.xv))
                ev.callbacks.append(self._exit_due)
            else:
                c.xt = t
                self.later[int(t)].append(c)

    def _release(self, ev: Any) -> None:
        """At the start of day ``d`` (time ``d``): day ``d + 1``'s exits still current (the customer's
        ``xt`` in that day) go to SimPy; from now on exits before day ``d + 2`` go to SimPy when booked.

        An exit at ``t`` in [d + 1, d + 2) is booked with the delay ``t - d``, which is exact for a
        whole ``d`` (Sterbenz), so SimPy's time ``d + (t - d)`` is ``t`` to the bit."""
        now = float(self.env.now)
        day = self.open_until
        for c in self.later[day]:
            t = c.xt
            if t >= day and t < day + 1 and not c.gone:  # its current exit waits in this day's list
                c.xt = -1.0  # released (the customer may be in the list more than once)
                timeout = self.env.timeout(t - now, (c, c.xv))
                timeout.callbacks.append(self._exit_due)
        self.later[day] = []
        self.open_until = day + 1
        if day + 1 < self.horizon:
            self.env.timeout(1.0).callbacks.append(self._release)

    def _exit_due(self, ev: Any) -> None:
        """An exit fires unless the customer left or its exit was rescheduled since."""
        c, version = cast("tuple[Customer, int]", ev.value)
        if c.xv == version and not c.gone:
            self.leave(c)
