"""The demand model's work per interview queue and month — how the stress loop sizes a step.

An interview queue (``queue:<area>``, ``queue:integration``) is served by the coaches of its
(area, line) pairs, who also hold every other meeting of those lines. The demand model
(:func:`resurssimalli.scenario.demand.project`) gives those pairs' staff hours per month; per day
they say how busy the queue's coaches are. When a queue holds its target in some months and fails
in busier ones (a plant closure's registrations, a wave of immigrants), the hours that give the
failing month the work-to-capacity ratio of the busiest month it held are its hours × the ratio
of the two months' work a day. That ratio, not the on-time shortfall (which jumps at capacity),
sizes the step.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from resurssimalli.optimize.workload import CENTRAL_LINES
from resurssimalli.scenario.demand import project
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.roster import window


def pair_hours_a_day(scenario: Scenario) -> pd.DataFrame:
    """Staff hours a day per ``area, service_line`` (rows) and month label ``YYYY-MM`` (columns)."""
    proj = project(scenario)
    region = scenario.region
    lead_area = region.area_of(region.lead_municipality)
    area = [
        lead_area if line in CENTRAL_LINES else region.area_of(m)
        for m, line in zip(proj["municipality"], proj["service_line"], strict=True)
    ]
    start = pd.Period(scenario.config.horizon.start, freq="M")
    labels = {int(k): str(start + int(k)) for k in proj["month"].unique()}
    hours = proj.assign(area=area).groupby(["area", "service_line", "month"])["hours"].sum()
    days = proj.drop_duplicates("month").set_index("month")["days"]
    per_day = (hours / days.reindex(hours.index.get_level_values("month")).to_numpy()).unstack("month")
    return per_day.rename(columns=labels).fillna(0.0)


def on_duty_share(scenario: Scenario, month: str, summer: frozenset[int]) -> float:
    """The share of the people on duty in a month: in a summer-leave month (every person's block
    at once) the month's working days less the block, then ``1 − other_share`` of the rest."""
    a = scenario.config.staff.absence
    share = 1.0 - a.other_share
    if int(month[5:7]) in summer:
        days = len(window(int(month[:4]), "july"))
        share *= max(0.0, 1.0 - a.summer_leave_days / days)
    return share


def load_ratio(failing: Sequence[float], held: Sequence[float]) -> float | None:
    """The busiest failing month's load (work a day ÷ coaches on duty) over the busiest held
    month's; None when either is missing."""
    if not failing or not held or max(held) <= 0:
        return None
    return max(failing) / max(held)
