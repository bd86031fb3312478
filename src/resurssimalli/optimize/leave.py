"""The summer-leave planner (Pyomo + HiGHS through :mod:`.solve`): who is on leave in which week
of the KVTES season, and the substitute (sijainen) hours that keep each week's work covered.

Variables: ``take[g, k]`` (how many of the alike people ``g`` take leave pattern ``k``),
``subd[g, w]`` substitute days (sijainen) in place of the group's people on leave in week ``w``,
and two elastic slacks — ``gap[q, w]`` people missing from an interview queue's continuity cover
and ``short[t, w]`` hours of work line team ``t``'s capacity and the substitutes cannot cover. The rules
(:data:`.leave_rules.LEAVE_RULES`, read as a table of contents in :func:`build_leave_model`):

* ``leave_taken`` — every person takes the whole leave (``staff.absence.summer_leave_days`` in whole weeks)
  within the season in blocks of at least ``staff.leave.min_block_weeks`` weeks (by construction
  of the leave patterns);
* ``continuity`` — every interview queue has ``staff.leave.continuity_on_duty`` of its own people
  on duty every week (substitutes are hours, not named people on a queue);
* ``cover`` — each line team's (area × service line: the people who hold an absent colleague's
  due conversations in the simulation) on-duty capacity plus its substitutes cover the week's
  work × (1 + ``staff.leave.capacity_margin``), or as much as the team has with nobody on leave
  if that is less (:func:`cover_target`). A person's hours count for each of their lines by their
  share; a substitute day works in an absent person's place (their customers, all their lines,
  and their queue), which is how the simulation plays it (``leave_rows``);
  ``substitute_in_place`` — substitute days only for people on leave that week;
  ``substitute_cap`` — at most ``staff.leave.substitute_hours_per_week`` substitute hours a
  week over the whole area.

Solved lexicographically (no penalty weights to tune): first the fewest continuity gaps, then,
holding them, the smallest share of any week's work left uncovered (spread, not piled on a few
weeks), then the fewest uncovered hours (both skipped when a first look finds every hour can
be covered), then, holding both, the least substitute cost plus the
preference penalties (within :data:`LEAVE_GAP` of the optimum; ``outside_summer_penalty_eur``
per leave week outside June-August,
``july_wish_penalty_eur`` per leave week outside July of a person wishing for July). That
stage places the leave with substitute days in fractions (whole days make the MIP many times
slower: 95 s against 14 s on the baseline with one HTV more in Ikaalinen); then, holding the
leave, the days are bought whole at least cost (:func:`_whole_days`). The leave is thus optimal
for fractional substitute days, and its whole days the cheapest for that leave. A gap or an
uncovered hour left after the first two stages is named by week and team: what cannot be
covered, never just "infeasible".

Alike people (same area, FTE, line shares, interview queues and wish) are interchangeable, so the model counts how many
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
    """People who are interchangeable for the plan (same area, FTE, line shares, interview queues and
    July wish), each group in the area's order; the model counts how many of a group take each
    leave pattern."""
    groups: dict[tuple, list[int]] = {}
    for p, person in enumerate(inp.people):
        queues = tuple(q for q, queue in enumerate(inp.queues) if p in queue.members)
        shares = tuple(sorted((ln, round(sh, 9)) for ln, sh in person.shares))
        key = (person.area, round(person.fte, 9), shares, queues, inp.wants_july[p])
        groups.setdefault(key, []).append(p)
    return tuple(tuple(sorted(g, key=lambda p: inp.people[p].ordinal)) for _k, g in sorted(groups.items()))


def _variables(m: pyo.ConcreteModel, inp: LeaveInput) -> None:
    m.G, m.K = pyo.Set(initialize=range(len(m.groups))), pyo.Set(initialize=range(len(m.patterns)))
    m.W, m.LT, m.Q = (pyo.Set(initialize=range(n)) for n in (len(inp.weeks), len(inp.line_teams), len(inp.queues)))
    m.take = pyo.Var(m.G, m.K, domain=pyo.NonNegativeIntegers, bounds=lambda m, g, k: (0, len(m.groups[g])))
    m.subd = pyo.Var(m.G, m.W, domain=pyo.NonNegativeReals,  # made whole by :func:`_whole_days`
                     bounds=lambda m, g, w: (0, inp.weeks[w].working_days * len(m.groups[g])))  # fmt: skip
    m.gap = pyo.Var(m.Q, m.W, domain=pyo.NonNegativeReals)
    m.short = pyo.Var(m.LT, m.W, domain=pyo.NonNegativeReals)
    m.worst = pyo.Var(domain=pyo.NonNegativeReals)  # the largest share of a week's target left short
    covers: dict[int, list[int]] = {w: [] for w in range(len(inp.weeks))}
    for k, pat in enumerate(m.patterns):
        for w in pat:
            covers[w].append(k)
    m.away = pyo.Expression(m.G, m.W, rule=lambda m, g, w: sum(m.take[g, k] for k in covers[w]))
    # paid substitute hours: a day in place of a person of group g is their FTE's on-duty day
    m.sub_hours = pyo.Expression(m.W, rule=lambda m, w: sum(
        substitute_day_hours(inp, m.groups[g][0]) * m.subd[g, w] for g in m.G))  # fmt: skip


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

    share = inp.line_share

    def cover(m: pyo.ConcreteModel, t: int, w: int) -> Any:
        gs = [g for g in m.G if share[m.groups[g][0], t] > 0]
        on_duty = sum(float(share[g0 := m.groups[g][0], t] * inp.week_capacity[g0, w]) * (len(m.groups[g]) - m.away[g, w])
                      + float(share[g0, t]) * substitute_day_capacity(inp, g0) * m.subd[g, w] for g in gs)  # fmt: skip
        return on_duty + m.short[t, w] >= cover_target(inp, t, w)

    def in_place(m: pyo.ConcreteModel, g: int, w: int) -> Any:
        return m.subd[g, w] <= inp.weeks[w].working_days * m.away[g, w]

    _add(m, "continuity", m.Q * m.W, continuity)
    _add(m, "cover", m.LT * m.W, cover)
    _add(m, "substitute_in_place", m.G * m.W, in_place)
    _add(m, "substitute_cap", m.W, lambda m, w: m.sub_hours[w] <= inp.substitute_cap)
    _add(m, "short_share", m.LT * m.W, lambda m, t, w: m.short[t, w] <= m.worst * cover_target(inp, t, w))


def substitute_day_hours(inp: LeaveInput, p: int) -> float:
    """Paid hours of a substitute day in person ``p``'s place: their FTE's on-duty day."""
    return inp.people[p].fte * inp.hours_per_duty_day


def substitute_day_capacity(inp: LeaveInput, p: int) -> float:
    """Hours a substitute day in ``p``'s place gives on average: the person's on-duty day less
    other absence (the simulation plays it as the person on duty, absent as on any other day)."""
    return substitute_day_hours(inp, p) * (1 - inp.other_share)


def line_capacity(inp: LeaveInput, leave: np.ndarray, sub_days: np.ndarray | None = None) -> np.ndarray:
    """[line team, week] hours on duty (and substitutes, ``sub_days`` [person, week]) by share."""
    on = inp.week_capacity * ~leave
    if sub_days is not None:
        day = np.array([substitute_day_capacity(inp, p) for p in range(len(inp.people))])
        on = on + day[:, None] * sub_days
    return inp.line_share.T @ on


def cover_target(inp: LeaveInput, t: int, w: int) -> float:
    """Hours line team ``t`` must have in week ``w``: its work × (1 + margin), or all its people's
    on-duty hours if that is less (leave never asks for more than the week would have without it;
    substitutes are for leave, not for a week that is short anyway)."""
    full = float(inp.line_share[:, t] @ inp.week_capacity[:, w])
    return min((1 + inp.margin) * float(inp.line_work[t, w]), full)


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
    m.shortfall = pyo.Expression(expr=sum(m.short[t, w] for t in m.LT for w in m.W))
    m.substitute_cost = pyo.Expression(expr=inp.substitute_eur_per_hour * sum(m.sub_hours[w] for w in m.W))
    pen = {
        (g, k): sum(preference_penalty(inp, m.groups[g][0], w) for w in m.patterns[k])
        for g in m.G
        for k in m.K
    }
    m.preferences = pyo.Expression(expr=sum(pen[g, k] * m.take[g, k] for g in m.G for k in m.K if pen[g, k]))
    return m


@dataclass(frozen=True)
class LeavePlan:
    """A solved leave plan. ``leave[p, w]``: person ``p`` on leave in week ``w``; ``sub_days[p, w]``
    of those working days a substitute works in their place; ``short`` [line team, week] hours;
    ``gap`` [queue, week] people missing; ``problems``: what cannot be covered, by week and team
    (empty when the plan holds); ``status`` from the last stage."""

    input: LeaveInput
    leave: np.ndarray
    sub_days: np.ndarray
    short: np.ndarray
    gap: np.ndarray
    status: str
    problems: tuple[str, ...] = field(default=())

    @property
    def sub(self) -> np.ndarray:
        """[team (area), week] paid substitute hours."""
        inp = self.input
        out = np.zeros((len(inp.teams), len(inp.weeks)))
        for p in range(len(inp.people)):
            out[inp.team_of(p)] += substitute_day_hours(inp, p) * self.sub_days[p]
        return out

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


def _whole_days(session: Session, m: pyo.ConcreteModel) -> str:
    """Substitute days bought whole: holding the cost stage's leave, the least-cost whole days
    that keep every rule (a small MIP, week by week in effect). Should the substitute cap leave no
    whole-day answer that keeps the fractional plan's shortfall, :func:`_whole_days_short` (the
    same leave; freeing the leave too made a MIP that ran for many minutes)."""
    take = [v for v in m.take.values()]
    for v in take:
        v.fix(round(pyo.value(v)))
    for v in m.subd.values():
        v.domain = pyo.NonNegativeIntegers
    out = session.run(m, gap=LEAVE_GAP)
    if out.has_solution:
        return out.status
    return _whole_days_short(session, m, take)


# € per uncovered hour when whole substitute days cannot keep the fractional plan's shortfall: far
# above a substitute hour's cost, so the whole days cover all they can first
WHOLE_DAY_SHORT_EUR = 1_000.0


def _whole_days_short(session: Session, m: pyo.ConcreteModel, take: list) -> str:
    """When :func:`_whole_days` has no answer (an overloaded area at the weekly substitute cap:
    whole days cannot cover the fractional plan's shortfall within its hold): the cost stage's
    leave, the holds on the shortfall and the cost released, the fewest uncovered hours
    (priced at :data:`WHOLE_DAY_SHORT_EUR`) then the least cost. Always feasible: the shortfall
    is a slack, and what stays short is named (:func:`_problems`)."""
    for v in take:
        v.fix(round(pyo.value(v)))
    for name in ("stage_hold_shortfall", "stage_hold_cost"):
        c = m.component(name)
        if c is not None:
            c.deactivate()
    for o in m.component_objects(pyo.Objective, active=True):
        o.deactivate()
    m.add_component(
        "objective_whole_days",
        pyo.Objective(expr=WHOLE_DAY_SHORT_EUR * m.shortfall + m.substitute_cost + m.preferences),
    )
    out = session.run(m, gap=LEAVE_GAP)
    if not out.has_solution:
        raise RuntimeError(f"the leave model's whole-day stage ended {out.status} without a roster")
    return out.status


def _noise(inp: LeaveInput) -> float:
    """Hours of shortfall that are the solver's rounding, not a shortfall."""
    return tolerances.NOISE_REL * max(float(inp.line_work.max()), 1.0)


def _problems(inp: LeaveInput, gap: np.ndarray, short: np.ndarray) -> tuple[str, ...]:
    """What cannot be covered, in the rules' words, by week and team."""
    out = []
    for q, w in zip(*np.nonzero(gap > 0.5), strict=True):
        spec = LEAVE_RULES["continuity"]
        have = inp.continuity - gap[q, w]
        out.append(f"{inp.weeks[w].label}: {inp.queues[q].label} has only {have:.0f} of {inp.continuity} "
                   f"on duty with everyone's leave in the season ({spec.scenario_key})")  # fmt: skip
    for t, w in zip(*np.nonzero(short > _noise(inp)), strict=True):
        out.append(f"{inp.weeks[w].label}: {inp.line_team_label(t)} is {short[t, w]:,.0f} h short of its work × "
                   f"{1 + inp.margin:g} with {inp.substitute_cap:,.0f} substitute hours a week "
                   f"({LEAVE_RULES['cover'].scenario_key})")  # fmt: skip
    return tuple(out)


def _assign(m: pyo.ConcreteModel, inp: LeaveInput) -> tuple[np.ndarray, np.ndarray]:
    """[person, week] leave and substitute days: each group's patterns handed out in pattern order
    to its people in id order; a group's substitute days of a week one at a time to its people on
    leave then, the fewest days first (alike people: any hand-out covers the same)."""
    leave = np.zeros((len(inp.people), len(inp.weeks)), dtype=bool)
    days = np.zeros(leave.shape, dtype=np.int64)
    for g, members in enumerate(m.groups):
        queue = iter(members)
        for k in m.K:
            for _ in range(int(round(pyo.value(m.take[g, k])))):
                leave[next(queue), list(m.patterns[k])] = True
        for w, wk in enumerate(inp.weeks):
            for _ in range(int(round(pyo.value(m.subd[g, w])))):
                free = [p for p in members if leave[p, w] and days[p, w] < wk.working_days]
                days[min(free, key=lambda p: (days[p, w], inp.people[p].ordinal)), w] += 1
    return leave, days


def plan_leave(inp: LeaveInput) -> LeavePlan:
    """Solve the leave model: fewest continuity gaps, then fewest uncovered hours, then least cost."""
    m = build_leave_model(inp)
    session = Session()
    _stage(session, m, "gaps", m.gaps, None)
    _stage(session, m, "shortfall_probe", m.shortfall, m.gaps)
    if pyo.value(m.shortfall) > _noise(inp):  # some work cannot be covered: spread it first
        _stage(session, m, "worst", m.worst, m.gaps)
        _stage(session, m, "shortfall", m.shortfall, m.worst)
    _stage(session, m, "cost", m.substitute_cost + m.preferences, m.shortfall)
    status = _whole_days(session, m)
    n_w, n_t, n_q = len(inp.weeks), len(inp.line_teams), len(inp.queues)
    leave, days = _assign(m, inp)
    gap, short = _values(m.gap, n_q, n_w), _values(m.short, n_t, n_w)
    return LeavePlan(inp, leave, days, short, gap, status, _problems(inp, gap, short))


def roster_table(plan: LeavePlan) -> pd.DataFrame:
    """Week × team (area): people on leave, substitute hours (paid), capacity (on duty +
    substitutes' hours less other absence) and work, hours the plan cannot cover (its line teams')
    and people missing from the team's interview queues' cover."""
    inp, rows = plan.input, []
    sub, short = plan.sub, plan.short
    sub_cap = np.array([substitute_day_capacity(inp, p) for p in range(len(inp.people))])[:, None] * plan.sub_days
    for t, team in enumerate(inp.teams):
        members = [p for p in range(len(inp.people)) if inp.team_of(p) == t]
        lines = [lt for lt, (area, _ln) in enumerate(inp.line_teams) if area == team]
        for w, wk in enumerate(inp.weeks):
            on_leave = [p for p in members if plan.leave[p, w]]
            duty = float(sum(inp.week_capacity[p, w] for p in members if not plan.leave[p, w]))
            cap = duty + float(sub_cap[members, w].sum())
            work = float(inp.work[t, w])
            gaps = sum(float(plan.gap[q, w]) for q, queue in enumerate(inp.queues) if queue.area == team)
            rows.append((wk.monday, wk.monday.isocalendar()[1], wk.month, team, len(members), len(on_leave),
                         float(sum(inp.people[p].fte for p in on_leave)), float(sub[t, w]),
                         duty, cap, work, cap / work if work > 0 else float("nan"),
                         float(short[lines, w].sum()), round(gaps)))  # fmt: skip
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


def leave_rows(plan: LeavePlan) -> pd.DataFrame:
    """The plan as the simulation plays it: one row per person and leave week, with the working
    days of it a substitute covers (``substitute_days``: the substitute takes the absent person's
    customers, all their lines, and queue that day)."""
    inp, rows = plan.input, []
    for p, person in enumerate(inp.people):
        for w in np.flatnonzero(plan.leave[p]):
            wk = inp.weeks[w]
            rows.append((person.area, person.ordinal, person.id, wk.monday, wk.working_days, int(plan.sub_days[p, w])))
    out = pd.DataFrame(rows, columns=LEAVE_COLUMNS)
    return out.sort_values(["area", "ordinal", "week_start"], ignore_index=True)
