"""The stress loop's answer as tables (raw numbers, ids; the report and CLI name and format them).

* brackets — per unit × (area, line): the hours it needs as a bracket (``lower_hours`` missed,
  ``upper_hours`` held), the same above the first plan (``added_*``) and in HTV, the scenarios and
  months the upper end fixes (those missed when the unit was first found missing, and at the
  lower end);
* causes — per unit × scenario × KPI that missed with twice its hours: the months and the cause;
* rounds — every unit in every plan simulated: its hours and whether it held;
* iterations — every plan's targets judged, with the plan's HTV and whether it is within the budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from resurssimalli.experiment.stress_plans import Planner
from resurssimalli.experiment.stress_targets import ITERATION_COLUMNS
from resurssimalli.experiment.stress_units import Obs, Units

BRACKET_COLUMNS = [
    "unit", "area", "service_line", "first_hours", "lower_hours", "upper_hours", "lower_htv", "upper_htv",
    "added_lower_hours", "added_upper_hours", "added_lower_htv", "added_upper_htv", "scenarios", "months",
    "settled",
]  # fmt: skip
CAUSE_COLUMNS = ["unit", "scenario", "kpi", "months", "cause", "first_hours", "hours_tried"]
ROUND_COLUMNS = [
    "iteration", "unit", "hours", "htv", "holds", "months", "within_budget", "cause", "replications",
]  # fmt: skip


def _joined(values) -> str:
    return " ".join(sorted({str(v) for v in values}))


def _missed(*obs: Obs | None) -> tuple[str, str]:
    """The scenarios and months the observations missed (space-separated)."""
    misses = [m for o in obs if o is not None for m in o.misses]
    return _joined(s for s, _, _ in misses), _joined(m for _, _, m in misses)


def bracket_rows(units: Units, planner: Planner, tolerance_htv: float) -> pd.DataFrame:
    """Every staffing unit's bracket, split over its (area, line) pairs as its floors are."""
    P = planner.P
    nan = float("nan")
    rows = []
    for u in sorted(units.staffing(), key=lambda x: x.key):
        lo, hi = u.bracket()
        shares = planner.unit_floors({u.key: 1.0}, {u.key: u.pairs})
        # as first found (on fewer replications too), and at the lower end
        scen, months = _missed(u.first_miss(units.since), u.at(lo))
        floor = u.least if lo is None else lo  # every miss overruled: it holds at its workload
        settled = hi is not None and hi - floor <= max(tolerance_htv * P, 1.0) + 1e-9
        for p, share in sorted(shares.items()):
            first = float(planner.first.hours.get(p, 0.0))
            low = lo * share if lo is not None else nan
            up = hi * share if hi is not None else nan
            rows.append(
                (u.key, *p, first, low, up, low / P, up / P, low - first, up - first)
                + ((low - first) / P, (up - first) / P, scen, months, settled)
            )
    return pd.DataFrame(rows, columns=BRACKET_COLUMNS)


def _cause_rows(u, cause: str, first: Obs, tried: Obs) -> list[tuple]:
    by_kpi: dict[tuple[str, str], list[str]] = {}
    for s, k, m in tried.misses:
        by_kpi.setdefault((s, k), []).append(m)
    rows = sorted(by_kpi.items())
    return [(u.key, s, k, _joined(ms), cause, first.hours, tried.hours) for (s, k), ms in rows]


def cause_rows(units: Units, planner: Planner) -> pd.DataFrame:
    """Every miss that got no hours: its unit, scenario, KPI, months and cause; first the summer
    misses of the first plan that the leave plan held (cause ``leave_plan``)."""
    rows = []
    for u in sorted(units.leave_fixed(), key=lambda x: x.key):
        first = next(o for o in [*u.earlier, *u.obs] if not o.holds)
        rows += _cause_rows(u, "leave_plan", first, first)
    for u in sorted(units.caused(), key=lambda x: x.key):
        tried = max((o for o in u.obs if not o.holds), key=lambda o: o.hours)
        rows += _cause_rows(u, str(u.cause), u.entered or tried, tried)
    return pd.DataFrame(rows, columns=CAUSE_COLUMNS)


def observation_rows(units: Units, rounds: Sequence, productive_hours: float) -> pd.DataFrame:
    """Every unit that ever missed, in every plan simulated."""
    within = {r.number: r.plan.within_budget for r in rounds}
    rows = [
        (
            o.round,
            u.key,
            o.hours,
            o.hours / productive_hours,
            o.holds,
            _missed(o)[1],
            within[o.round],
            u.cause or "",
            o.replications,
        )
        for u in sorted(units.units.values(), key=lambda x: x.key)
        for o in [*u.earlier, *u.obs]
    ]
    return pd.DataFrame(rows, columns=ROUND_COLUMNS).sort_values(["iteration", "unit"], ignore_index=True)


def iteration_rows(rounds: Sequence) -> pd.DataFrame:
    """Every plan's targets judged, with the plan's HTV, budget and sites."""
    frames = [
        r.judged.assign(
            iteration=r.number,
            htv_allocated=r.plan.htv,
            within_budget=r.plan.within_budget,
            unserved_hours_total=float(r.plan.result.summary["unserved_hours_total"]),
            sites_open=" ".join(r.plan.result.summary["sites_open"]),
            replications=r.replications,
        )
        for r in rounds
    ]
    return pd.concat(frames, ignore_index=True)[ITERATION_COLUMNS]
