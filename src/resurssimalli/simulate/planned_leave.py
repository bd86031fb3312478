"""The leave optimiser's plan played by the simulation (``staff.absence.summer_leave: planned``).

The plan comes as data with the allocation (:attr:`Allocation.leave`, ``leave_plan.csv``): one row
per person (area, ordinal) and leave week (its Monday), with the working days of it a substitute
covers. A person is on summer leave Monday to Sunday of each leave week except the first
``substitute_days`` working days, when the substitute works in their place (their customers and
queue). A week outside the run falls in the same week 52 weeks before or after (the season year's
weeks mapped onto the run's year, as the plan read its work), or nowhere if the run cannot hold it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from resurssimalli.errors import InputError

YEAR_SHIFT_DAYS = 364  # 52 weeks: the same weekday a year before or after


def in_run_year(day: int, n_days: int) -> int:
    """``day`` moved by whole 52-week years into [0, n_days), or -1 if it cannot be."""
    while day >= n_days and day - YEAR_SHIFT_DAYS >= 0:
        day -= YEAR_SHIFT_DAYS
    while day < 0 and day + YEAR_SHIFT_DAYS < n_days:
        day += YEAR_SHIFT_DAYS
    return day if 0 <= day < n_days else -1


def _row(r: object, i: int) -> tuple[int, dt.date, int]:
    """A row's ordinal, week Monday and substitute days, or an error naming the row."""
    try:
        ordinal, days = int(r.ordinal), int(r.substitute_days)  # type: ignore[attr-defined]
        monday = pd.Timestamp(r.week_start).date()  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise InputError("leave_plan.csv", f"row {i + 1}", "ordinal and substitute_days as whole numbers, "
                         "week_start as a date") from None  # fmt: skip
    if ordinal < 0 or not 0 <= days <= 7 or monday.weekday() != 0:
        raise InputError(
            "leave_plan.csv", f"row {i + 1}", "ordinal >= 0, substitute_days 0-7, week_start a Monday"
        )
    return ordinal, monday, days


def planned_days(
    leave: pd.DataFrame, people: dict[tuple[str, int], int], sim_start: dt.date, working: np.ndarray,
    n_days: int,
) -> np.ndarray:
    """[person, day of the calendar] summer leave from the plan's rows over the ``n_days``
    simulated days (``working`` runs on beyond them); ``people`` maps (area, ordinal) to the
    person's index. A row naming a person the plan's people do not have is an error."""
    out = np.zeros((len(people), len(working)), dtype=bool)
    for i, r in enumerate(leave.itertuples(index=False)):
        ordinal, monday, covered_days = _row(r, i)
        x = people.get((str(r.area), ordinal))
        if x is None:
            raise InputError("leave_plan.csv", f"row {i + 1}.area/ordinal",
                             f"a person of the plan, got {r.area} {ordinal + 1}")  # fmt: skip
        first = (monday - sim_start).days
        days = [d for d in (in_run_year(first + k, n_days) for k in range(7)) if d >= 0]
        covered = [d for d in days if working[d]][:covered_days]
        out[x, [d for d in days if d not in covered]] = True
    out.setflags(write=False)
    return out
