"""Why a miss that hours do not fix is missed: its cause, found by test, never guessed.

When the first plan misses only in summer-leave months somewhere, the same plan is simulated with
the leave optimiser's plan (issue 25: leave in whole weeks over the season, with substitutes):

* ``leave_plan`` — the leave plan holds it: the summer is a matter of planning leave (and paying
  its substitutes), not of staff; the loop goes on with the leave plan in every scenario
  (:func:`resurssimalli.experiment.stress.stress`), and the unit gets hours only if it misses
  again.

A unit that still misses with :data:`~resurssimalli.experiment.stress_units.CAUSE_HOURS_FACTOR`
times the hours it first missed with is not short of staff (issue 24), and gets no hours. Its
cause, in this order:

* ``roster`` — every month it still misses is a month in which its scenario's summer-leave
  blocks fall (:func:`~resurssimalli.experiment.stress_targets.leave_months`: July, the rota's
  June–August, the KVTES season when staggered): the leave roster, not the headcount, empties it;
* ``deadline`` — the same plan (twice the hours), simulated again with the deadlines doubled (the
  initial interview's working days, at most 60, and the conversations' grace days, at least 5
  more), holds: the deadline is too short for how the meetings are booked;
* ``booking_rule`` — it misses even then: when and where meetings can be booked (open days,
  service points, the meeting cadence) keeps it from the target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pandas as pd

from resurssimalli.experiment.stress_targets import leave_months
from resurssimalli.experiment.stress_units import Unit, check_misses
from resurssimalli.scenario.load import Scenario

CAUSES = ("leave_plan", "roster", "deadline", "booking_rule")
MAX_DEADLINE_DAYS = 60  # the schema's upper limit on initial_interview_deadline_working_days


def relaxed_deadlines(scenario: Scenario) -> Scenario:
    """The scenario with its deadlines doubled (interview ≤ 60 working days; grace +≥ 5 days)."""
    svc = scenario.config.service
    days = min(2 * svc.initial_interview_deadline_working_days, MAX_DEADLINE_DAYS)
    grace = min(max(2 * svc.conversation_grace_working_days, svc.conversation_grace_working_days + 5), 60)
    service = svc.model_copy(
        update={"initial_interview_deadline_working_days": days, "conversation_grace_working_days": grace}
    )
    return dataclasses.replace(scenario, config=scenario.config.model_copy(update={"service": service}))


def with_leave_plan(scenario: Scenario) -> Scenario:
    """The scenario playing the leave optimiser's plan (``staff.absence.summer_leave: planned``)."""
    staff = scenario.config.staff
    absence = staff.absence.model_copy(update={"summer_leave": "planned"})
    staff = staff.model_copy(update={"absence": absence})
    return dataclasses.replace(scenario, config=scenario.config.model_copy(update={"staff": staff}))


def summer_units(units: Sequence[Unit], scenarios: Sequence[Scenario]) -> list[Unit]:
    """The units whose first miss falls only in their scenarios' summer-leave months."""
    return [u for u in units if u.entered is not None and only_leave_months(u.entered.misses, scenarios)]


def fixed_by_leave_plan(units: Sequence[Unit], kpis: pd.DataFrame) -> list[Unit]:
    """Of ``units``, those that hold in ``kpis`` (the same plan simulated with the leave plan)."""
    return [u for u in units if not any(check_misses(kpis, c) for c in u.checks)]


def only_leave_months(misses: Sequence[tuple[str, str, str]], scenarios: Sequence[Scenario]) -> bool:
    """Every (scenario, KPI, month) missed is a month of its scenario's summer leave."""
    leave = {s.name: leave_months(s) for s in scenarios}
    return bool(misses) and all(
        m != "horizon" and int(m[5:7]) in leave.get(s, frozenset()) for s, _, m in misses
    )


def cause_of(
    unit: Unit,
    scenarios: Sequence[Scenario],
    rerun: Callable[[int, Sequence[Scenario]], pd.DataFrame],
) -> str:
    """The cause of a unit that missed with twice its hours. ``rerun(round, scenarios)`` simulates
    that round's plan again for other scenarios (same seeds, same replications)."""
    twice = [o for o in unit.obs if not o.holds]
    last = max(twice, key=lambda o: o.hours)
    if only_leave_months(last.misses, scenarios):
        return "roster"
    kpis = rerun(last.round, [relaxed_deadlines(s) for s in scenarios])
    return "deadline" if not any(check_misses(kpis, c) for c in unit.checks) else "booking_rule"
