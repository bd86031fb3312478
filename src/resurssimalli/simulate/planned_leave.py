"""The leave optimiser's plan played by the simulation (``staff.absence.summer_leave: planned``).

The plan comes as data with the allocation (:attr:`Allocation.leave`, ``leave_plan.csv``): one row
per person (area, ordinal) and leave week (its Monday), with the working days of it a substitute
covers. A person is on summer leave Monday to Sunday of each leave week except the first
``substitute_days`` working days, when the substitute works in their place (their customers and
queue). A week outside the run falls in the same week 52 weeks before or after (the season year's
weeks mapped onto the run's year, as the plan read its work), or nowhere if the run cannot hold it.

A run that plans the leave also simulates its scenario with the other rule (the plan, or for a
scenario that plays the plan the office's rota) on the same seeds: :func:`leave_effect` is what
the plan does to each month of the season (``leave_effect.csv``, the memo's summer line).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.simulate.stats import t_interval

if TYPE_CHECKING:
    from resurssimalli.scenario.load import Scenario

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


# -- what the plan does to the summer: the scenario's own leave rule against the plan, paired -----
LEAVE_EFFECT_KPIS = ("initial_interview_on_time_share", "conversations_on_time_share")
SEASON_MONTHS = (5, 6, 7, 8, 9)
LEAVE_EFFECT_COLUMNS = [
    "kpi", "month", "own_rule", "other_rule", "own_mean", "other_mean", "diff_mean", "diff_ci_low",
    "diff_ci_high", "n",
]  # fmt: skip


def other_rule(rule: str) -> str:
    """The leave rule a run compares its own with: the plan, or for a run that plays the plan the
    office's rota."""
    return "rota" if rule == "planned" else "planned"


def with_leave_rule(scenario: Scenario, rule: str) -> Scenario:
    """``scenario`` playing the summer-leave rule ``rule`` (named ``<name>:<rule>``; the same seed)."""
    staff = scenario.config.staff
    absence = staff.absence.model_copy(update={"summer_leave": rule})
    config = scenario.config.model_copy(update={"staff": staff.model_copy(update={"absence": absence})})
    return dataclasses.replace(scenario, name=f"{scenario.name}:{rule}", config=config)


def leave_effect(own: pd.DataFrame, other: pd.DataFrame, own_rule: str, rule: str) -> pd.DataFrame:
    """Area-wide interviews and conversations on time in each month of the leave season, with the
    scenario's own leave rule and with ``rule`` (the same seeds), and the paired difference
    (other − own) with its 95 % interval over the replications."""
    keys = ["kpi", "month", "replication"]

    def pick(k: pd.DataFrame) -> pd.DataFrame:
        sel = (k["group"] == "all") & k["kpi"].isin(LEAVE_EFFECT_KPIS)
        sel &= pd.to_datetime(k["month"]).dt.month.isin(SEASON_MONTHS)
        return k.loc[sel, [*keys, "value"]]

    pairs = pick(own).merge(pick(other), on=keys, suffixes=("_own", "_other"))
    rows = []
    for (kpi, month), g in pairs.groupby(["kpi", "month"], sort=True):
        d_mean, lo, hi, n = t_interval((g["value_other"] - g["value_own"]).to_numpy())
        rows.append((kpi, month, own_rule, rule, float(g["value_own"].mean()), float(g["value_other"].mean()),
                     d_mean, lo, hi, n))  # fmt: skip
    return pd.DataFrame(rows, columns=LEAVE_EFFECT_COLUMNS)
