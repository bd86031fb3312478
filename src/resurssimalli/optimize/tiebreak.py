"""Tie-breaks without rewards: what is settled after the cost optimum, at that cost.

The cost model says how much staff each area and line needs at least; it is indifferent to
where *spare* staff sit and, when staff run short, to which area and line go without (every
unserved hour costs the same penalty). Those choices are made here, lexicographically:

1. the plan's integer decisions (sites, assignments) are fixed and its LP re-solved for cost
   (:func:`settle`): the duals of this LP are the shadow prices, read as they are;
2. with the cost held at that optimum (within :data:`COST_TOLERANCE_REL`), the served shares
   ``staff hours / workload`` of every area and line are raised *leximin*: the smallest as high
   as possible, then the next, and so on (:func:`leximin_shares`). The (area, line) pairs that
   cannot rise are found from the duals (a positive dual means the row binds in every optimum)
   and held at their level. After the first round (the common floor: every area and line gets
   at least this share) the split goal's deviation is made as small as the floor allows. In the
   words of :data:`TIEBREAK_ORDER`: at that cost the served shares of every area and line first
   rise together to a common floor, then the split goal's deviation is made as small as that
   floor allows, then the other shares rise leximin. The cost is held, not the MIP's objective
   (cost plus the split goal's weight): the baseline's split deviation can be larger after the
   tie-break than in the MIP's plan.

The leximin vector is unique, so spare staff and shortfalls land in the same places whatever
tie the MIP solver happened to pick. The stated rule (``SHORTFALL_RULE``): every area and line
gets the same served share as far as the cost optimum allows — when staff run short, each
short line is short by the same share of its workload in every area; spare staff are spread as
the same headroom. Centralised functions (a set staff number) take part in shortfalls but
get no headroom: their share is capped at 1 (or at what the cost optimum already gave them).
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from resurssimalli import tolerances
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import COST_ITEMS, FIXED_STAFF_LINES
from resurssimalli.optimize.solve import Session, SolveOutcome

COST_TOLERANCE_REL = tolerances.COST_REL
DUAL_EPS = tolerances.DUAL_EPS
LEVEL_SLACK = tolerances.LEVEL_SLACK
NOISE_REL = tolerances.NOISE_REL
# The order among plans of the cost optimum, in one place: the docstrings, data/assumptions.csv
# (staff.split_deviation_penalty_eur, English), report/assumptions_fi.csv (Finnish), both READMEs
# and hence the memo's assumptions appendix quote it word for word (tests/test_tiebreak_texts.py).
TIEBREAK_ORDER = {
    "en": (
        "at that cost the served shares of every area and line first rise together to a common floor, "
        "then the split goal's deviation is made as small as that floor allows, then the other shares "
        "rise leximin"
    ),
    "fi": (
        "samalla kustannuksella kaikkien vastuualueiden ja palvelulinjojen palveltu osuus nousee ensin "
        "yhdessä yhteiseen alarajaan, sitten jakotavoitteesta poiketaan niin vähän kuin tuo alaraja "
        "sallii, ja lopuksi muut osuudet nousevat pienimmästä alkaen"
    ),
}
SHORTFALL_RULE = (
    "equal served share: every area and service line gets the same share of its workload served "
    "as far as the cost optimum allows (leximin of served shares, cost first)"
)


def fix_integers(m: pyo.Block) -> None:
    """Hold every binary/integer variable at its value in the loaded plan (by its bounds) and relax
    the domains. Bounds, not ``fix``: a persistent solver then changes column bounds instead of
    rebuilding every row that holds a fixed variable."""
    ints = [v for v in m.component_data_objects(pyo.Var, descend_into=True) if v.is_integer() or v.is_binary()]
    vals = [round(v.value or 0.0) for v in ints]
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    for v, x in zip(ints, vals, strict=True):
        v.setlb(x)
        v.setub(x)


def settle(m: pyo.ConcreteModel, session: Session) -> SolveOutcome:
    """Stage 1 of the tie-break: the plan's LP (integers fixed), cost objective active, with duals."""
    fix_integers(m)
    return session.run(m, duals=True)


def _staff_hours(m: pyo.Block, inp: OptimisationInput) -> dict[tuple[str, str], list[pyo.Var]]:
    sites = inp.site_by_id
    out: dict[tuple[str, str], list[pyo.Var]] = defaultdict(list)
    for j, line in m.h:
        out[(sites[j].area, line)].append(m.h[j, line])
    return out


def share_keys(inp: OptimisationInput) -> list[tuple[str, str]]:
    """The (area, line) pairs whose served share the tie-break raises (every line with work)."""
    return [k for k, hours in inp.workload_hours.items() if hours > 0]


def served_shares(m: pyo.Block, inp: OptimisationInput) -> dict[tuple[str, str], float]:
    """Staff hours / workload for every (area, line) of :func:`share_keys` in the loaded plan."""
    P = inp.productive_hours_per_htv
    staff = _staff_hours(m, inp)
    return {
        k: P * sum(x.value or 0.0 for x in staff[k]) / inp.workload_hours[k] for k in share_keys(inp)
    }


def _block(m: pyo.ConcreteModel, keys: list, share) -> pyo.Block:
    """The tie-break's rows: the cost held, ``share_k >= z`` to raise, no headroom for a set staff number."""
    cost = float(pyo.value(m.total_cost))
    tb = m.tiebreak = pyo.Block()
    tb.z = pyo.Var()
    tb.cost_cap = pyo.Constraint(expr=_flat_cost(m) <= cost + COST_TOLERANCE_REL * max(abs(cost), 1.0))
    tb.rise = pyo.Constraint(keys, rule={k: share(k) - tb.z >= 0.0 for k in keys})
    fixed = [k for k in keys if k[1] in FIXED_STAFF_LINES]
    tb.no_headroom = pyo.Constraint(fixed, rule={k: share(k) <= max(1.0, pyo.value(share(k))) for k in fixed})
    tb.level = pyo.ConstraintList()  # shares held at their level
    tb.goal = pyo.Objective(expr=tb.z, sense=pyo.maximize)
    return tb


def _flat_cost(m: pyo.Block) -> pyo.Expression:
    """``total_cost`` as one flat linear expression (the cost items' terms in order) when every item
    is one, so that the hand-off reads the row directly (:mod:`.flat_handoff`); else ``total_cost``."""
    items = [m.cost_item[k].expr for k in COST_ITEMS]
    if all(type(e) is LinearExpression for e in items):
        return LinearExpression([a for e in items for a in e.args])
    return m.total_cost


def _split_stage(m: pyo.ConcreteModel, tb: pyo.Block, session: Session) -> None:
    """Between the common floor and the rest of the leximin: the least split deviation (goal mode)."""
    if not hasattr(m, "split_dev_low"):
        return
    dev = pyo.quicksum(m.split_dev_low[n] + m.split_dev_high[n] for n in m.split_dev_low)
    tb.goal.deactivate()
    tb.split_goal = pyo.Objective(expr=dev)
    out = session.run(m, rows_only=True)
    if out.has_solution:
        least = float(pyo.value(dev))
        tb.split_held = pyo.Constraint(expr=dev <= least + LEVEL_SLACK * max(least, 1.0))
    tb.del_component(tb.split_goal)
    tb.goal.activate()


STAFF_VARS = ("h", "u", "area_htv", "split_dev_low", "split_dev_high")


def _hold_access(m: pyo.ConcreteModel) -> None:
    """Hold every variable but the staff ones at its value (by bounds): the tie-break moves only
    staff, and HiGHS's presolve then drops the access part of the LP (much faster on large models)."""
    for comp in m.component_objects(pyo.Var, descend_into=False):
        if comp.local_name in STAFF_VARS:
            continue
        for v in comp.values():
            if v.value is not None and not v.fixed:
                v.setlb(v.value)
                v.setub(v.value)


def _hold(tb: pyo.Block, share, keys: set, level: float) -> None:
    for k in sorted(keys):  # rows in a fixed order: a set's order changes with PYTHONHASHSEED
        tb.level.add(share(k) >= level)


def leximin_shares(m: pyo.ConcreteModel, inp: OptimisationInput, session: Session) -> int:
    """Stage 2: raise the served shares leximin at the cost of the loaded LP plan; returns the rounds.

    The shares first rise together up to 1 (a full share; shortfalls spread evenly); then, past 1,
    without the fixed-staff lines, the common floor of headroom every (area, line) can have is
    found and held; then the split goal's deviation is made as small as that floor allows; then
    the leximin goes on. In a shortage the floor is the common served share below 1.
    Call after :func:`settle`. The model keeps the resulting plan; its tie-break rows are removed.
    """
    P = inp.productive_hours_per_htv
    staff = _staff_hours(m, inp)
    keys = share_keys(inp)

    def share(k: tuple[str, str]) -> LinearExpression:
        c = P / inp.workload_hours[k]
        return LinearExpression([MonomialTermExpression((c, x)) for x in staff[k]])

    _hold_access(m)
    tb = _block(m, keys, share)
    tb.z_cap = pyo.Constraint(expr=tb.z <= 1.0)  # first up to a full share for all; then headroom
    fixed = {k for k in keys if k[1] in FIXED_STAFF_LINES}
    m.cost.deactivate()
    free, rounds, floor_done = set(keys), 0, False
    try:
        while free:
            rounds += 1
            out = session.run(m, duals=True, rows_only=rounds > 1)
            if not out.has_solution:
                raise RuntimeError(f"tie-break LP ended {out.status}")  # the plan's own LP was feasible
            z = float(tb.z.value)
            level = z - LEVEL_SLACK * max(abs(z), 1.0)
            if tb.z_cap.active and z >= 1.0 - 1e-9:  # every share is full: headroom from here
                frozen = free & fixed
                tb.z_cap.deactivate()
                _hold(tb, share, free, level)
            else:
                frozen = {k for k in free if abs(out.duals.get(tb.rise[k], 0.0)) > DUAL_EPS}
                frozen = frozen or {k for k in free if pyo.value(share(k)) <= z + 1e-9} or set(free)
                if not floor_done:  # the common floor holds for every (area, line); then the split goal
                    _hold(tb, share, free, level)
                    floor_done = _split_stage(m, tb, session) or True
            for k in sorted(frozen):  # a fixed row order, whatever the process's hash seed
                tb.rise[k].deactivate()
                tb.level.add(share(k) >= level)
            free -= frozen
    finally:
        m.cost.activate()
        m.del_component(tb)
    _tighten_unserved(m, inp, staff)
    return rounds


def _tighten_unserved(m: pyo.Block, inp: OptimisationInput, staff: dict) -> None:
    """Unserved hours = workload − staff hours where positive (the slack the cost row allows is noise)."""
    P = inp.productive_hours_per_htv
    for k in m.u:
        need = inp.workload_hours[k]
        short = need - P * sum(x.value or 0.0 for x in staff[k])
        m.u[k].set_value(short if short > NOISE_REL * need else 0.0, skip_validation=True)
