"""Staff inputs on a fixed plan: a lower ``staff.total_htv`` takes effect as vacancies.

The simulation staffs the plan's posts (the allocation's HTV). A scenario that lowers
``staff.total_htv`` below the plan's total runs the plan with the difference left vacant,
spread evenly over every post for the whole horizon (an extra ``staff.shortages`` entry), so
it is never silently ignored. A plan with fewer HTV than the budget is simulated as it is: its
posts are the staff (more staff need a new plan: ``run`` or ``optimize`` on the scenario).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from resurssimalli import tolerances
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import Shortage
from resurssimalli.simulate.allocation import Allocation

HTV_TOLERANCE = tolerances.HTV


def unplaced_htv(scenario: Scenario, alloc: Allocation) -> float:
    """HTV of ``staff.total_htv`` the plan does not place (0 when it places them all or more).

    A fixed plan is simulated with its own posts, so these HTV change nothing; the caller says so
    (a larger budget needs a new plan), never silently."""
    planned = float(alloc.allocation["htv"].sum())
    short = float(scenario.config.staff.total_htv) - planned
    return short if planned > 0 and short > HTV_TOLERANCE * max(1.0, planned) else 0.0


def staffed_for_plan(scenario: Scenario, alloc: Allocation) -> Scenario:
    """``scenario`` with a lower ``staff.total_htv`` turned into vacancies on the plan's posts.

    A plan with fewer HTV than ``staff.total_htv`` is returned as it is.
    """
    cfg = scenario.config
    planned = float(alloc.allocation["htv"].sum())
    wanted = float(cfg.staff.total_htv)
    if planned <= 0 or wanted >= planned - HTV_TOLERANCE * max(1.0, planned):
        return scenario  # the plan's own total, or more: its posts are the staff (unplaced_htv says so)
    start = cfg.horizon.start - dt.timedelta(days=cfg.simulation.warm_up_days)
    vacancy = Shortage(
        start=start,
        end=start.replace(year=start.year + 100),  # the whole run, whatever its length
        vacancy_share=1.0 - wanted / planned,
        extra_sick_leave_share=0.0,
    )
    staff = cfg.staff.model_copy(update={"shortages": [*cfg.staff.shortages, vacancy]})
    return dataclasses.replace(scenario, config=cfg.model_copy(update={"staff": staff}))
