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


def staffed_for_plan(scenario: Scenario, alloc: Allocation) -> Scenario:
    """``scenario`` with a lower ``staff.total_htv`` turned into vacancies on the plan's posts.

    A plan with fewer HTV than ``staff.total_htv`` is returned as it is.
    """
    cfg = scenario.config
    planned = float(alloc.allocation["htv"].sum())
    wanted = float(cfg.staff.total_htv)
    if planned <= 0 or abs(wanted - planned) <= HTV_TOLERANCE * max(1.0, planned):
        return scenario
    file = str(scenario.provenance.get("staff.total_htv", scenario.path))
    if wanted > planned:
        # a plan with fewer HTV than the budget is simulated as it is (its posts are the staff)
        return scenario
    start = cfg.horizon.start - dt.timedelta(days=cfg.simulation.warm_up_days)
    vacancy = Shortage(
        start=start,
        end=start.replace(year=start.year + 100),  # the whole run, whatever its length
        vacancy_share=1.0 - wanted / planned,
        extra_sick_leave_share=0.0,
    )
    staff = cfg.staff.model_copy(update={"shortages": [*cfg.staff.shortages, vacancy]})
    return dataclasses.replace(scenario, config=cfg.model_copy(update={"staff": staff}))
