"""Who is on duty each day: summer leave as an office plans it, and random absence.

Summer leave (``staff.absence``): every person takes ``summer_leave_days`` working days (KVTES:
at least 20 leave days between 2 May and 30 September) in one block, placed by
``summer_leave``:

* ``rota`` (the default) — the office's plan: blocks inside the KVTES season, placed person by
  person so that every interview queue keeps someone on duty every working day (the continuity
  rule) and as few of an area's people as possible are away at once, nearest midsummer when that
  is equal (:func:`rota`). Deterministic: the same plan every replication and every year. Staff
  preferences for June–August are the leave planner's to weigh (``optimize.leave``).
* ``july`` — everyone's block in July (the all-in-July roster), at a random start.
* ``staggered`` — a block at a random start anywhere in the KVTES season 2.5.–30.9.
* a plan from the leave optimiser, handed in as ``SimParams.planned_leave``.

Other absence (sickness and other leave) stays random: each person is absent on a working day
outside their leave with probability ``other_share``; a shortage's extra sick leave adds to it.
A day's status is one of :data:`STATUS_NAMES`. The per-day capacity factor carries vacancies.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
import numpy as np

ON_DUTY, SUMMER_LEAVE, OTHER_ABSENCE, SICK, OFF = 0, 1, 2, 3, 4
STATUS_NAMES = ("on_duty", "summer_leave", "other_absence", "sick", "not_a_working_day")
SEASON = ((5, 2), (9, 30))  # KVTES leave season 2.5.-30.9.


@functools.lru_cache(maxsize=64)
def working_dates(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """Finnish working days (Mon-Fri less public holidays) from ``first`` to ``last`` inclusive."""
    fi = holidays.Finland(years=range(first.year, last.year + 1))
    n = (last - first).days + 1
    days = (first + dt.timedelta(days=i) for i in range(n))
    return tuple(d for d in days if d.weekday() < 5 and d not in fi)


def window(year: int, mode: str) -> tuple[dt.date, ...]:
    """The working days a summer-leave block may cover in ``year`` under ``mode``."""
    if mode == "july":
        return working_dates(dt.date(year, 7, 1), dt.date(year, 7, 31))
    (m0, d0), (m1, d1) = SEASON  # rota and staggered: the KVTES season
    return working_dates(dt.date(year, m0, d0), dt.date(year, m1, d1))


def years_of(sim_start: dt.date, n_days: int) -> range:
    last = sim_start + dt.timedelta(days=n_days - 1)
    return range(sim_start.year, last.year + 1)


def rota(
    pools: tuple[tuple[int, ...], ...], areas: tuple[int, ...], length: int, win: int
) -> list[int]:
    """Each person's block start (index into a window of ``win`` working days).

    People of the smallest interview pools are placed first; each takes the start that keeps the
    largest share of any of their pools away lowest, then the fewest of their area away at once,
    then the fewest person-days of overlap, then the start nearest the window's middle. A pool
    of two or more people thus always keeps someone on duty when two blocks fit in the window.
    """
    n = len(areas)
    length = min(length, win)
    member: list[list[int]] = [[] for _ in range(n)]
    for k, pool in enumerate(pools):
        for x in pool:
            member[x].append(k)
    pool_away = np.zeros((len(pools), win), dtype=np.int64)
    area_away: dict[int, np.ndarray] = {a: np.zeros(win, dtype=np.int64) for a in set(areas)}
    starts = [0] * n
    mid = (win - length) / 2
    order = sorted(range(n), key=lambda x: (min((len(pools[k]) for k in member[x]), default=n), x))
    for x in order:
        best: tuple | None = None
        for s in range(win - length + 1):
            block = slice(s, s + length)
            worst = max(((pool_away[k, block].max() + 1) / len(pools[k]) for k in member[x]), default=0.0)
            a = area_away[areas[x]][block]
            key = (worst, int(a.max()), int(a.sum()), abs(s - mid), s)
            if best is None or key < best:
                best = key
                starts[x] = s
        block = slice(starts[x], starts[x] + length)
        for k in member[x]:
            pool_away[k, block] += 1
        area_away[areas[x]][block] += 1
    return starts


def rota_days(
    sim_start: dt.date, n_days: int, pools: tuple[tuple[int, ...], ...], areas: tuple[int, ...], length: int
) -> np.ndarray:
    """The rota as a read-only bool array [person, day] over ``n_days`` days from ``sim_start``:
    the same placement every year (each year's season); nobody away when ``length`` is 0."""
    out = np.zeros((len(areas), n_days), dtype=bool)
    for year in years_of(sim_start, n_days) if length > 0 else ():
        win = window(year, "rota")
        starts = rota(pools, areas, length, len(win))
        for x, s in enumerate(starts):
            for d in win[s : s + min(length, len(win))]:
                i = (d - sim_start).days
                if 0 <= i < n_days:
                    out[x, i] = True
    out.setflags(write=False)
    return out


def random_block(
    rng: np.random.Generator, sim_start: dt.date, n_days: int, mode: str, length: int
) -> list[int]:
    """A ``july`` or ``staggered`` block's days (one per year of the run), at a random start."""
    days: list[int] = []
    for year in years_of(sim_start, n_days):
        win = window(year, mode)
        b = min(length, len(win))
        s = int(rng.integers(0, len(win) - b + 1))
        days += [i for d in win[s : s + b] if 0 <= (i := (d - sim_start).days) < n_days]
    return days


def statuses(
    working: np.ndarray, leave: np.ndarray, u: np.ndarray, other: float, extra: np.ndarray
) -> np.ndarray:
    """One person's status per day from their summer leave, a uniform draw per day, the other
    absence share and the day's extra sick-leave share."""
    st = np.full(len(working), ON_DUTY, dtype=np.int8)
    st[u < other] = OTHER_ABSENCE
    st[(u >= other) & (u < other + extra)] = SICK
    st[leave] = SUMMER_LEAVE
    st[~working] = OFF
    return st
