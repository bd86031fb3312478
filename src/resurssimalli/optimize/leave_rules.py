"""The leave planner's rules as a table of contents: one entry per constraint family of
:mod:`.leave`, in the planner's words with the scenario key behind it (as :mod:`.rules` is for
the allocation model). The builder refuses a constraint not listed here, and a week that cannot
be covered is named from this table's labels.

``hard`` marks the planner's rules; ``continuity`` and ``cover`` are elastic (a slack the first
stages drive to zero, so what cannot hold is named by week and team instead of "infeasible").
"""

from __future__ import annotations

from typing import Any

from resurssimalli.optimize.leave_input import LeaveInput
from resurssimalli.optimize.rules import RuleSpec


def _taken_label(inp: LeaveInput, members: Any) -> str:
    who = ", ".join(inp.people[p].id for p in members) if isinstance(members, tuple) else str(members)
    return (f"{who}: each takes {inp.leave_weeks} weeks of summer leave in the season {inp.season_year} "
            f"in blocks of at least {inp.min_block_weeks} weeks")  # fmt: skip


def _continuity_label(inp: LeaveInput, k: tuple[int, int]) -> str:
    q, w = k
    return f"{inp.weeks[w].label}: {inp.queues[q].label} has {inp.continuity} on duty"


def _cover_label(inp: LeaveInput, k: tuple[int, int]) -> str:
    t, w = k
    return f"{inp.weeks[w].label}: {inp.line_team_label(t)}'s capacity covers its work × {1 + inp.margin:g}"


def _in_place_label(inp: LeaveInput, k: tuple[int, int]) -> str:
    g, w = k
    return f"{inp.weeks[w].label}: substitute days of group {g} only in place of its people on leave"


def _cap_label(inp: LeaveInput, w: int) -> str:
    return f"{inp.weeks[w].label}: at most {inp.substitute_cap:,.0f} substitute hours"


LEAVE_RULES: dict[str, RuleSpec] = {
    r.name: r
    for r in (
        RuleSpec(
            "leave_taken",
            "leave",
            _taken_label,
            "staff.absence.summer_leave_days, staff.leave.min_block_weeks",
        ),
        RuleSpec("continuity", "leave", _continuity_label, "staff.leave.continuity_on_duty"),
        RuleSpec(
            "cover",
            "leave",
            _cover_label,
            "staff.leave.capacity_margin, staff.leave.substitute_hours_per_week",
        ),
        RuleSpec("substitute_in_place", "leave", _in_place_label, "-"),
        RuleSpec("substitute_cap", "leave", _cap_label, "staff.leave.substitute_hours_per_week"),
        RuleSpec("short_share", "leave", lambda inp, k: f"{inp.weeks[k[1]].label}: {inp.line_team_label(k[0])}'s hours "
                 "short at most the worst week's share", "-", hard=False),  # fmt: skip
        RuleSpec("stage_hold", "leave", lambda inp, k: f"stage {k}'s optimum is held", "-", hard=False),
    )
}
