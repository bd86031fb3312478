"""The "budget insufficient" certificate: no plan within ``staff.total_htv`` gives the minimum
hours the stress loop asks per (area, service line).

The minimum-hours model is the optimiser's own model with every unserved-hours slack held at 0:
the workload rows then demand ``P × Σ HTV(area, line) >= hours`` for every pair, beside the
``total_htv`` row and the site rules. HiGHS proves it infeasible (``solver_status``). The
certificate also carries the rows that contradict, in numbers a reader (and a test) re-checks
without a solver: the minimum hours of every (area, line), the productive hours per HTV and the
budget; their sum needs ``required_htv`` > ``total_htv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from resurssimalli import tolerances
from resurssimalli.optimize import build_input, build_model
from resurssimalli.optimize.solve import solve
from resurssimalli.scenario.load import Scenario


@dataclass(frozen=True)
class Certificate:
    """Why the staff budget cannot: the minimum-hours rows and the budget row, with numbers."""

    rows: pd.DataFrame  # area, service_line, min_hours, min_htv (the workload rows with no slack)
    productive_hours_per_htv: float
    total_htv: float
    solver_status: str  # HiGHS on the minimum-hours model: "infeasible" proves it

    @property
    def required_htv(self) -> float:
        return float(self.rows["min_hours"].sum()) / self.productive_hours_per_htv

    @property
    def short_htv(self) -> float:
        return self.required_htv - self.total_htv

    def holds(self) -> bool:
        """Re-check by arithmetic: the minimum hours need more HTV than the budget has."""
        return self.solver_status == "infeasible" and self.required_htv > self.total_htv + tolerances.HTV


def minimum_hours_certificate(
    scenario: Scenario, extra_hours: Mapping[tuple[str, str], float] | None
) -> Certificate:
    """Solve the minimum-hours model of ``scenario`` + ``extra_hours`` and describe its rows."""
    inp = build_input(scenario, extra_hours=extra_hours)
    m = build_model(inp)
    for var in m.u.values():
        var.fix(0.0)
    out = solve(m, time_limit=inp.time_limit_seconds, gap=inp.mip_gap)
    P = inp.productive_hours_per_htv
    rows = pd.DataFrame(
        [(a, line, h, h / P) for (a, line), h in sorted(inp.workload_hours.items()) if h > 0],
        columns=["area", "service_line", "min_hours", "min_htv"],
    )
    return Certificate(rows, P, inp.total_htv, out.status)
