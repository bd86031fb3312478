"""The service multiplier's parameters (:class:`ExitEffect`), resolved from a scenario's ``outcomes:``.

The multiplier itself is described in :mod:`resurssimalli.simulate.exits`, which applies it. This
module is kept apart from it because the exit clock is compiled (mypyc) and these parameters travel
to the worker processes inside ``SimParams`` (a compiled frozen dataclass cannot be unpickled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExitEffect:
    """The service multiplier's parameters (resolved from the scenario's ``outcomes:``); the
    multiplier itself is ``exits.ExitClock.multiplier``."""

    on: bool
    overdue_mult: float  # hazard factor while an interview or conversation is overdue
    travel_log_per_minute: float  # log hazard factor per minute of one-way trip beyond the reference
    reference_minutes: float


OFF = ExitEffect(False, 1.0, 0.0, 0.0)


def build_exit_effect(outcomes: Any) -> ExitEffect:
    """From a scenario's :class:`~resurssimalli.scenario.schema.Outcomes` (None: no effect)."""
    if outcomes is None or not outcomes.service_effect:
        return OFF
    per10 = outcomes.effect("interview_on_time")
    travel = outcomes.effect("travel_time")
    return ExitEffect(
        on=True,
        overdue_mult=max(1.0 - 10.0 * per10, 0.0),
        travel_log_per_minute=math.log(1.0 - travel) / 10.0,
        reference_minutes=float(outcomes.travel_reference_minutes),
    )
