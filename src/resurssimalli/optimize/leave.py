"""The summer-leave planner (Pyomo + HiGHS through :mod:`.solve`): who is on leave in which week
of the KVTES season, and the substitute (sijainen) hours that keep each week's work covered.

Variables: ``leave[p, w]`` (person ``p`` on leave in week ``w``), ``start[p, w]`` (a block
begins), ``sub[t, w]`` substitute hours of team (area) ``t``, and two elastic slacks —
``gap[q, w]`` people missing from an interview queue's continuity cover and ``short[t, w]``
hours of work the team's capacity and the substitutes cannot cover. The rules
(:data:`.leave_rules.LEAVE_RULES`, read as a table of contents in :func:`build_leave_model`):

* ``leave_taken`` — every person takes the whole leave (``staff.absence.summer_leave_days`` in whole weeks)
  within the season in blocks of at least ``staff.leave.min_block_weeks`` weeks (by construction
  of the leave patterns);
* ``continuity`` — every interview queue has ``staff.leave.continuity_on_duty`` of its own people
  on duty every week (substitutes are hours, not named people on a queue);
* ``cover`` — the team's on-duty capacity plus substitutes cover the week's work × (1 +
  ``staff.leave.capacity_margin``), or as much as the team has with nobody on leave if that is
  less (:func:`cover_target`); ``substitute_cap`` — at most
  ``staff.leave.substitute_hours_per_week`` substitute hours a week over the whole area.

Solved lexicographically (no penalty weights to tune): first the fewest continuity gaps, then,
holding them, the smallest share of any week's work left uncovered (spread, not piled on a few
weeks), then the fewest uncovered hours, then, holding both, the least substitute cost plus the
preference penalties (within :data:`LEAVE_GAP` of the optimum; ``outside_summer_penalty_eur``
per leave week outside June-August,
``july_wish_penalty_eur`` per leave week outside July of a person wishing for July). A gap or an
uncovered hour left after the first two stages is named by week and team: what cannot be
covered, never just "infeasible".

Alike people (same area, FTE, interview queues and wish) are interchangeable, so the model counts how many
of each group take each leave pattern (every placement of the weeks in blocks long enough:
:func:`leave_patterns`) instead of one binary per person and week — no symmetric copies of a
roster for the solver to wade through; the patterns are then handed out in id order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from resurssimalli import tolerances
from resurssimalli.errors import InputError
from resurssimalli.optimize.leave_input import SUMMER_MONTHS, WISHED_MONTH, LeaveInput
from resurssimalli.optimize.leave_rules import LEAVE_RULES
from resurssimalli.optimize.solve import Session

MAX_PATTERNS = 50_000  # ways to place one person's leave: beyond this the blocks are too short to plan
LEAVE_GAP = 0.01  # the cost stage within 1 % of its optimum (the penalties are far coarser assumptions)
STAGE_ROOM = 1e-6  # a held stage optimum may be exceeded by this (numerical room only)


def _add(m: pyo.Block, name: str, index: Any, rule: Any) -> None:
    """Add the constraint family ``name`` (listed in :data:`.leave_rules.LEAVE_RULES`)."""
    if name not in LEAVE_RULES:
        raise KeyError(f"constraint family {name!r} is not listed in LEAVE_RULES")
    m.add_component(name, pyo.Constraint(index, rule=rule))


def leave_patterns(n_weeks: int, leave_weeks: int, min_block: int) -> tuple[tuple[int, ...], ...]:
    """Every way to take ``leave_weeks`` of ``n_weeks`` in blocks of at least ``min_block`` weeks
    (sorted; each a tuple of week indices)."""
    out: list[tuple[int, ...]] = []

    def extend(weeks: tuple[int, ...], left: int, first: int) -> None:
        if len(out) > MAX_PATTERNS:
            raise InputError("staff.leave.min_block_weeks", "staff.leave", f"longer blocks (more than "
                             f"{MAX_PATTERNS:,} ways to place the leave)")  # fmt: skip
        if left == 0:
            out.append(weeks)
            return
        for begin in range(first, n_weeks):
            for length in range(min(min_block, left), left + 1):
                if length < min_block or begin + length > n_weeks or (0 < left - length < min_block):
                    continue
                extend(weeks + tuple(range(begin, begin + length)), left - length, begin + length + 1)

    if leave_weeks == 0:
        return ((),)
    extend((), leave_weeks, 0)
    if not out:
        raise InputError("staff.leave.days", "staff.leave", f"at most {n_weeks} weeks of leave in blocks of "
                         f"at least {min_block} weeks in the season's {n_weeks} weeks")  # fmt: skip
    return tuple(sorted(out))


def alike_groups(inp: LeaveInput) -> tuple[tuple[int, ...], ...]:
    """People who are interchangeable for the plan (same area, FTE, interview queues and July wish), each
    group in the area's order; the model counts how many of a group take each leave pattern."""
    groups: dict[tuple, list[int]] = {}
    for p, person in enumerate(inp.people):
        queues = tuple(q for q, queue in enumerate(inp.queues) if p in queue.members)
        key = (person.area, round(person.fte, 9), queues, inp.wants_july[p])
        groups.setdefault(key, []).append(p)
    return tuple(tuple(sorted(g, key=lambda p: inp.people[p].ordinal)) for _k, g in sorted(groups.items()))


def _variables(m: pyo.ConcreteModel, inp: LeaveInput) -> None:
    m.G, m.K = pyo.Set(initialize=range(len(m.groups))), pyo.Set(initialize=range(len(m.patterns)))
    m.W, m.T, m.Q = (pyo.Set(initialize=range(n)) for n in (len(inp.weeks), len(inp.teams), len(inp.queues)))
    m.take = pyo.Var(m.G, m.K, domain=pyo.NonNegativeIntegers, bounds=lambda m, g, k: (0, len(m.groups[g])))
    m.sub = pyo.Var(m.T, m.W, domain=pyo.NonNegativeReals)
    m.gap = pyo.Var(m.Q, m.W, domain=pyo.NonNegativeReals)
    m.short = pyo.Var(m.T, m.W, domain=pyo.NonNegativeReals)
    m.worst = pyo.Var(domain=pyo.NonNegativeReals)  # the largest share of a week's target left short
    covers: dict[int, list[int]] = {w: [] for w in range(len(inp.weeks))}
    for k, pat in enumerate(m.patterns):
        for w in pat:
            covers[w].append(k)
    m.away = pyo.Expression(m.G, m.W, rule=lambda m, g, w: sum(m.take[g, k] for k in covers[w]))


def _leave_rules(m: pyo.ConcreteModel, inp: LeaveInput) -> None:
    _add(m, "leave_taken", m.G, lambda m, g: sum(m.take[g, k] for k in m.K) == len(m.groups[g]))


def _service_rules(m: pyo.ConcreteModel, inp: LeaveInput) -> None:
    def continuity(m: pyo.ConcreteModel, q: int, w: int) -> Any:
        members = set(inp.queues[q].members)
        need = min(inp.continuity, len(members))
        if need == 0 or inp.weeks[w].working_days == 0:
            return pyo.Constraint.Skip
        gs = [g for g in m.G if members.issuperset(m.groups[g])]
        return sum(len(m.groups[g]) - m.away[g, w] for g in gs) + m.gap[q, w] >= need

    def cover(m: pyo.ConcreteModel, t: int, w: int) -> Any:
        gs = [g for g in m.G if inp.team_of(m.groups[g][0]) == t]
        cap = {g: float(inp.week_capacity[m.groups[g][0], w]) for g in gs}
        on_duty = sum(cap[g] * (len(m.groups[g]) - m.away[g, w]) for g in gs)
        return on_duty + m.sub[t, w] + m.short[t, w] >= cover_target(inp, t, w)

    _add(m, "continuity", m.Q * m.W, continuity)
    _add(m, "cover", m.T * m.W, cover)
    _add(m, "substitute_cap", m.W, lambda m, w: sum(m.sub[t, w] for t in m.T) <= inp.substitute_cap)
    _add(m, "short_share", m.T * m.W, lambda m, t, w: m.short[t, w] <= m.worst * cover_target(inp, t, w))


def cover_target(inp: LeaveInput, t: int, w: int) -> float:
    """Hours team ``t`` must have in week ``w``: its work × (1 + margin), or all its people's
    on-duty hours if that is less (leave never asks for more than the week would have without it;
    substitutes are for leave, not for a week that is short anyway)."""
    full = float(sum(inp.week_capacity[p, w] for p in range(len(inp.people)) if inp.team_of(p) == t))
    return min((1 + inp.margin) * float(inp.work[t, w]), full)


def preference_penalty(inp: LeaveInput, p: int, w: int) -> float:
    """EUR of person ``p``'s leave in week ``w``: outside June-August, and a July wish not met."""
    month = inp.weeks[w].month
    out = inp.outside_summer_penalty if month not in SUMMER_MONTHS else 0.0
    return out + (inp.july_wish_penalty if inp.wants_july[p] and month != WISHED_MONTH else 0.0)


def build_leave_model(inp: LeaveInput) -> pyo.ConcreteModel:
    """The leave model, read as a table of contents; objectives are set by :func:`plan_leave`."""
    m = pyo.ConcreteModel("summer_leave")
    m.groups = alike_groups(inp)
    m.patterns = leave_patterns(len(inp.weeks), inp.leave_weeks, inp.min_block_weeks)
    _variables(m, inp)
    _leave_rules(m, inp)
    _service_rules(m, inp)
    m.gaps = pyo.Expression(expr=sum(m.gap[q, w] for q in m.Q for w in m.W))
    m.shortfall = pyo.Expression(expr=sum(m.short[t, w] for t in m.T for w in m.W))
    m.substitute_cost = pyo.Expression(
        expr=inp.substitute_eur_per_hour * sum(m.sub[t, w] for t in m.T for w in m.W)
    )
    pen = {
        (g, k): sum(preference_penalty(inp, m.groups[g][0], w) for w in m.patterns[k])
        for g in m.G
        for k in m.K
    }
    m.preferences = pyo.Expression(expr=sum(pen[g, k] * m.take[g, k] for g in m.G for k in m.K if pen[g, k]))
    return m


@dataclass(frozen=True)
class LeavePlan:
    """A solved leave plan. ``leave[p, w]``: person ``p`` on leave in week ``w``; ``sub``/``short``
    [team, week] hours; ``gap`` [queue, week] people missing; ``problems``: what cannot be
    covered, by week and team (empty when the plan holds); ``status`` from the last stage."""

    input: LeaveInput
    leave: np.ndarray
    sub: np.ndarray
    short: np.ndarray
    gap: np.ndarray
    status: str
    problems: tuple[str, ...] = field(default=())

    @property
    def substitute_hours(self) -> float:
        return float(self.sub.sum())

    @property
    def substitute_cost_eur(self) -> float:
        return self.substitute_hours * self.input.substitute_eur_per_hour

    def summary(self) -> dict[str, Any]:
        """The plan in numbers (``roster.json``): status, substitutes, preferences, leave by month."""
        inp = self.input
        months = np.array([w.month for w in inp.weeks])
        wishers = [p for p in range(len(inp.people)) if inp.wants_july[p]]
        july = months == WISHED_MONTH
        return {
            "status": "covered" if not self.problems else "not_covered",
            "solver_status": self.status,
            "problems": list(self.problems),
            "season_year": inp.season_year,
            "weeks": len(inp.weeks),
            "days_read_from_the_mean_day": sum(w.outside_horizon for w in inp.weeks),  # horizon under a year
            "people": len(inp.people),
            "leave_weeks_each": inp.leave_weeks,
            "min_block_weeks": inp.min_block_weeks,
            "capacity_margin": inp.margin,
            "substitute_hours": self.substitute_hours,
            "substitute_cost_eur": self.substitute_cost_eur,
            "substitute_hours_by_month": {
                int(m): float(self.sub[:, months == m].sum()) for m in sorted(set(months))
            },
            "people_on_leave_by_month": {
                int(m): int(self.leave[:, months == m].sum()) for m in sorted(set(months))
            },  # person-weeks
            "most_on_leave_in_a_week": int(self.leave.sum(axis=0).max()) if self.leave.size else 0,
            "leave_weeks_outside_june_august": int(self.leave[:, ~np.isin(months, SUMMER_MONTHS)].sum()),
            "july_wishes": len(wishers),
            "july_wishes_met": sum(1 for p in wishers if self.leave[p, july].any()),
            "preference_penalty_eur": float(
                sum(preference_penalty(inp, p, w) for p, w in zip(*np.nonzero(self.leave), strict=True))
            ),
        }


def _values(var: pyo.Var, n: int, k: int) -> np.ndarray:
    out = np.array([[pyo.value(var[i, j]) for j in range(k)] for i in range(n)], dtype=float).reshape(n, k)
    return np.where(np.abs(out) < tolerances.HOURS_NOISE, 0.0, out)


def _stage(session: Session, m: pyo.ConcreteModel, name: str, expr: Any, hold: Any | None) -> str:
    """Minimise ``expr`` after holding the previous stage's objective ``hold`` at its optimum."""
    if hold is not None:
        best = pyo.value(hold)
        m.add_component(f"stage_hold_{name}", pyo.Constraint(expr=hold <= best + STAGE_ROOM * max(1.0, best)))
    for o in m.component_objects(pyo.Objective, active=True):
        o.deactivate()
    m.add_component(f"objective_{name}", pyo.Objective(expr=expr, sense=pyo.minimize))
    out = session.run(m, rows_only=hold is not None, gap=LEAVE_GAP)
    if not out.has_solution:
        raise RuntimeError(f"the leave model's stage '{name}' ended {out.status} without a roster")
    return out.status


def _problems(inp: LeaveInput, gap: np.ndarray, short: np.ndarray) -> tuple[str, ...]:
    """What cannot be covered, in the rules' words, by week and team."""
    out = []
    for q, w in zip(*np.nonzero(gap > 0.5), strict=True):
        spec = LEAVE_RULES["continuity"]
        have = inp.continuity - gap[q, w]
        out.append(f"{inp.weeks[w].label}: {inp.queues[q].label} has only {have:.0f} of {inp.continuity} "
                   f"on duty with everyone's leave in the season ({spec.scenario_key})")  # fmt: skip
    noise = tolerances.NOISE_REL * max(float(inp.work.max()), 1.0)
    for t, w in zip(*np.nonzero(short > noise), strict=True):
        out.append(f"{inp.weeks[w].label}: {inp.teams[t]} is {short[t, w]:,.0f} h short of its work × "
                   f"{1 + inp.margin:g} with {inp.substitute_cap:,.0f} substitute hours a week "
                   f"({LEAVE_RULES['cover'].scenario_key})")  # fmt: skip
    return tuple(out)


def _assign(m: pyo.ConcreteModel, inp: LeaveInput) -> np.ndarray:
    """[person, week] leave: each group's patterns handed out in pattern order to its people in id order."""
    leave = np.zeros((len(inp.people), len(inp.weeks)), dtype=bool)
    for g, members in enumerate(m.groups):
        queue = iter(members)
        for k in m.K:
            for _ in range(int(round(pyo.value(m.take[g, k])))):
                leave[next(queue), list(m.patterns[k])] = True
    return leave


def plan_leave(inp: LeaveInput) -> LeavePlan:
    """Solve the leave model: fewest continuity gaps, then fewest uncovered hours, then least cost."""
    m = build_leave_model(inp)
    session = Session()
    _stage(session, m, "gaps", m.gaps, None)
    _stage(session, m, "worst", m.worst, m.gaps)
    _stage(session, m, "shortfall", m.shortfall, m.worst)
    status = _stage(session, m, "cost", m.substitute_cost + m.preferences, m.shortfall)
    n_w, n_t, n_q = len(inp.weeks), len(inp.teams), len(inp.queues)
    leave = _assign(m, inp)
    gap, short = _values(m.gap, n_q, n_w), _values(m.short, n_t, n_w)
    return LeavePlan(inp, leave, _values(m.sub, n_t, n_w), short, gap, status, _problems(inp, gap, short))


def roster_table(plan: LeavePlan) -> pd.DataFrame:
    """Week × team: people on leave, substitute hours, capacity (on duty + substitutes) and work,
    hours the plan cannot cover and people missing from the team's interview queues' cover."""
    inp, rows = plan.input, []
    for t, team in enumerate(inp.teams):
        members = [p for p in range(len(inp.people)) if inp.team_of(p) == t]
        for w, wk in enumerate(inp.weeks):
            on_leave = [p for p in members if plan.leave[p, w]]
            duty = float(sum(inp.week_capacity[p, w] for p in members if not plan.leave[p, w]))
            cap = duty + float(plan.sub[t, w])
            work = float(inp.work[t, w])
            gaps = sum(float(plan.gap[q, w]) for q, queue in enumerate(inp.queues) if queue.area == team)
            rows.append((wk.monday, wk.monday.isocalendar()[1], wk.month, team, len(members), len(on_leave),
                         float(sum(inp.people[p].fte for p in on_leave)), float(plan.sub[t, w]),
                         duty, cap, work, cap / work if work > 0 else float("nan"),
                         float(plan.short[t, w]), round(gaps)))  # fmt: skip
    return pd.DataFrame(rows, columns=ROSTER_COLUMNS)


ROSTER_COLUMNS = [
    "week_start", "iso_week", "month", "area", "people", "people_on_leave", "htv_on_leave",
    "substitute_hours", "on_duty_hours", "capacity_hours", "work_hours", "capacity_to_work", "short_hours",
    "queues_uncovered",
]  # fmt: skip


def _friday(inp: LeaveInput, w: int) -> dt.date:
    return inp.weeks[w].monday + dt.timedelta(days=4)


def people_table(plan: LeavePlan) -> pd.DataFrame:
    """One row per person: area, FTE, the July wish and the leave blocks (first and last day)."""
    inp, rows = plan.input, []
    for p, person in enumerate(inp.people):
        weeks = np.flatnonzero(plan.leave[p])
        blocks = np.split(weeks, np.flatnonzero(np.diff(weeks) > 1) + 1) if len(weeks) else []
        text = ", ".join(f"{inp.weeks[b[0]].monday:%-d.%-m.}-{_friday(inp, b[-1]):%-d.%-m.}" for b in blocks)
        rows.append((person.id, person.area, person.fte, inp.wants_july[p], len(weeks), text))
    return pd.DataFrame(rows, columns=["person", "area", "fte", "wants_july", "leave_weeks", "leave_blocks"])


LEAVE_COLUMNS = ["area", "ordinal", "person", "week_start", "working_days", "substitute_days"]


def _covered_days(plan: LeavePlan, t: int, w: int, away: list[int]) -> dict[int, int]:
    """Team ``t``'s substitute hours in week ``w`` as whole days of its people on leave, one day
    at a time round the people in their order (each day worth the person's FTE × an on-duty
    day's hours), while at least half the next day's hours are left."""
    inp, hours = plan.input, float(plan.sub[t, w])
    days = dict.fromkeys(away, 0)
    while True:
        free = [p for p in away if days[p] < inp.weeks[w].working_days]
        p = min(free, key=lambda p: (days[p], inp.people[p].ordinal), default=None)
        if p is None:
            return days
        day = inp.people[p].fte * inp.hours_per_duty_day
        if hours < day / 2 or day <= 0:
            return days
        days[p] += 1
        hours -= day


def leave_rows(plan: LeavePlan) -> pd.DataFrame:
    """The plan as the simulation plays it: one row per person and leave week, with the working
    days of it a substitute covers (``substitute_days``: the substitute takes the absent person's
    customers and queue that day). A team's substitute hours in a week become whole days of its
    people on leave (:func:`_covered_days`); hours in a week nobody of the team is away cannot be
    played this way (the plan buys none: :func:`cover_target`)."""
    inp, rows = plan.input, []
    for t, _team in enumerate(inp.teams):
        for w, wk in enumerate(inp.weeks):
            away = [p for p in range(len(inp.people)) if inp.team_of(p) == t and plan.leave[p, w]]
            for p, covered in _covered_days(plan, t, w, away).items():
                person = inp.people[p]
                rows.append((person.area, person.ordinal, person.id, wk.monday, wk.working_days, covered))
    out = pd.DataFrame(rows, columns=LEAVE_COLUMNS)
    return out.sort_values(["area", "ordinal", "week_start"], ignore_index=True)
