"""Simulation calendar: day indices ↔ dates, Finnish working days, KPI months.

Simulated time is measured in days; day 0 starts at midnight of ``sim_start`` (the horizon
start minus the warm-up). Working days are Monday–Friday less Finnish public holidays
(``holidays.Finland``). Deadlines count working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import numpy as np

from resurssimalli.scenario.demand import add_months

# Days simulated beyond the horizon end so that deadlines near the end can be computed (at least;
# a scenario whose meetings are booked further ahead gets a longer margin, params.booking_margin_days).
MARGIN_DAYS = 200


@dataclass(frozen=True)
class SimCalendar:
    """Working days and months of a simulation run (arrays are read-only)."""

    sim_start: dt.date
    horizon_start: dt.date
    horizon_end: dt.date  # first day after the horizon
    n_days: int  # simulated days (warm-up + horizon)
    working: np.ndarray  # bool per day (with margin)
    wd_upto: np.ndarray  # working days in days 0..d inclusive
    wd_days: np.ndarray  # the day index of each working day, in order
    kpi_month: np.ndarray  # month index from the horizon start (negative in the warm-up)
    cal_month: np.ndarray  # calendar month 1..12
    month_start_days: tuple[int, ...]  # day index where each KPI month 0..M-1 starts (+ the end)
    # wd_upto and wd_days as tuples of ints: add_working_days runs for every booking
    wd_upto_t: tuple[int, ...] = ()
    wd_days_t: tuple[int, ...] = ()

    @property
    def months(self) -> int:
        return len(self.month_start_days) - 1

    @property
    def warm_up_days(self) -> int:
        return (self.horizon_start - self.sim_start).days

    def month_label(self, k: int) -> str:
        """``YYYY-MM`` of KPI month ``k`` (the calendar month in which it starts)."""
        return add_months(self.horizon_start, k).strftime("%Y-%m")

    @property
    def month_labels(self) -> tuple[str, ...]:
        return tuple(self.month_label(k) for k in range(self.months))

    def date(self, day: int) -> dt.date:
        return self.sim_start + dt.timedelta(days=int(day))

    def working_days_between(self, day_from: int, day_to: int) -> int:
        """Working days after ``day_from`` up to and including ``day_to``."""
        return int(self.wd_upto[day_to] - self.wd_upto[day_from])

    def add_working_days(self, day: int, k: int) -> int:
        """The day of the k-th working day after ``day`` (k ≥ 1); ``day`` itself if k = 0."""
        if k <= 0:
            return int(day)
        i = self.wd_upto_t[day] + k - 1
        if i >= len(self.wd_days_t):
            return len(self.working)  # beyond the margin: never reached
        return self.wd_days_t[i]


def build_calendar(
    horizon_start: dt.date, months: int, warm_up_days: int = 0, margin_days: int = MARGIN_DAYS
) -> SimCalendar:
    """Calendar for ``months`` KPI months from ``horizon_start`` after ``warm_up_days`` of warm-up,
    and ``margin_days`` (at least :data:`MARGIN_DAYS`) beyond its end."""
    sim_start = horizon_start - dt.timedelta(days=warm_up_days)
    month_starts = [add_months(horizon_start, k) for k in range(months + 1)]
    horizon_end = month_starts[-1]
    n_days = (horizon_end - sim_start).days
    total = n_days + max(margin_days, MARGIN_DAYS)
    dates = [sim_start + dt.timedelta(days=i) for i in range(total)]
    fi = holidays.Finland(years=range(sim_start.year, dates[-1].year + 1))
    working = np.array([d.weekday() < 5 and d not in fi for d in dates], dtype=bool)
    wd_upto = np.cumsum(working).astype(np.int64)
    wd_days = np.flatnonzero(working).astype(np.int64)
    kpi_month = np.array([(d.year - horizon_start.year) * 12 + d.month - horizon_start.month for d in dates])
    if horizon_start.day != 1:  # months run from the start day of the month
        kpi_month = kpi_month - np.array([d.day < horizon_start.day for d in dates], dtype=int)
    cal_month = np.array([d.month for d in dates], dtype=np.int64)
    for a in (working, wd_upto, wd_days, kpi_month, cal_month):
        a.setflags(write=False)
    return SimCalendar(
        sim_start=sim_start,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        n_days=n_days,
        working=working,
        wd_upto=wd_upto,
        wd_days=wd_days,
        kpi_month=kpi_month,
        cal_month=cal_month,
        month_start_days=tuple((m - sim_start).days for m in month_starts),
        wd_upto_t=tuple(wd_upto.tolist()),
        wd_days_t=tuple(wd_days.tolist()),
    )
