"""The allocation model as a Pyomo MIP, built from an :class:`OptimisationInput` (pure).

Decisions
    ``y[site]``          site open (binary);
    ``h[site, line]``    HTV of a service line stationed at a site (>= 0);
    ``a[point, site]``   share of a demand point's face-to-face visits served at a site
                         (binary with single-site assignment);
    ``b[site, office]``  the office a service point / pop-up is run from (staff day trips);
    ``u[area, line]``    unserved workload hours (penalised slack);
    ``v[point]``         share of a point's visits with no site within the travel limit (slack).

Constraint names are the rule names :mod:`resurssimalli.optimize.conflicts` translates into
the planner's words. "Only if open" rows that can never bind are left out (:func:`reductions`):
the hand-off to HiGHS costs per row. ``build_model`` only builds; solving lives in
:mod:`.solve`. To share site decisions between several scenarios (two-stage robust plan),
build one block per scenario with :func:`add_allocation` and tie their ``y`` together.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from resurssimalli.optimize.gc_pause import gc_paused
from resurssimalli.optimize.inputs import OptimisationInput, PairIn

COST_ITEMS = (
    "staff",
    "site_fixed",
    "staff_travel",
    "customer_travel",
    "unserved_penalty",
    "uncovered_penalty",
)


HEADROOM_REWARD_EUR = 100.0
LINE_HEADROOM_REWARD_EUR = 1.0  # second tie-breaker: each line's own headroom above the common one
FIXED_STAFF_LINES = ("centralised",)  # a set staff number (staff.centralised_htv), no headroom


def candidate_pairs(
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
) -> list[PairIn]:
    """The sparse demand point → site pairs: the ``k`` nearest sites within the travel limit."""
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    out: list[PairIn] = []
    for p in inp.points:
        k = (k_by_point or {}).get(p.id, inp.k_nearest_sites)
        out.extend([q for q in inp.pairs[p.id] if q.minutes <= limit + 1e-9][:k])
    return out


def necessarily_open(inp: OptimisationInput) -> frozenset[str]:
    """Sites every plan that keeps the hard rules opens: forced open, or the only candidate for
    a municipality's presence or an area's office (never a site forced closed)."""
    must = set(inp.force_open)
    sole: list[dict[str, list[str]]] = []
    if inp.presence_required_in_every_municipality:
        by_mu: dict[str, list[str]] = defaultdict(list)
        for s in inp.sites:
            if s.kind in ("office", "service_point"):
                by_mu[s.municipality].append(s.id)
        sole.append(by_mu)
    if inp.office_required_in_every_area:
        by_area: dict[str, list[str]] = defaultdict(list)
        for s in inp.sites:
            if s.kind == "office":
                by_area[s.area].append(s.id)
        sole.append(by_area)
    for groups in sole:
        must.update(ids[0] for ids in groups.values() if len(ids) == 1)
    return frozenset(must - inp.force_closed)


@dataclass(frozen=True)
class Reductions:
    """What the model leaves out of the textbook formulation (see :func:`reductions`)."""

    pairs: list[PairIn]  # candidate pairs less those a necessarily open office beats
    assign_links: list[tuple[str, str]]  # (point, site) pairs that keep an ``a <= y`` row
    home_links: list[tuple[str, str]]  # (site, office) pairs that keep a ``b <= y`` row
    closed_homes: frozenset[tuple[str, str]]  # (site, office): ``b`` held at 0 by its upper bound


def reductions(inp: OptimisationInput, pairs: Iterable[PairIn]) -> Reductions:
    """Rows and choices that can never matter, left out because the hand-off to HiGHS costs per row.

    * A pair ``(p, j)`` is dropped when a necessarily open office within reach of ``p`` is no
      dearer and no farther: serving ``p`` there instead never costs more nor lengthens a trip.
    * ``a[p, j] <= y[j]`` is left out where it can never bind: ``j`` is necessarily open, or
      ``j`` has a visit capacity no larger than ``p``'s visits (then the capacity row
      ``Σ visits·a <= capacity·y`` already gives ``a[p, j] <= y[j]``).
    * A service point's home office ``o`` dearer than a necessarily open one gets ``b = 0``
      as a bound; ``b[j, o] <= y[o]`` is left out for those and for necessarily open ``o``.

    The optimum (cost or longest trip) and the LP bound are those of the full formulation.
    Whether a set of hard rules contradicts is unchanged too (an ``a`` can always be 0, and
    opening a necessarily open office never breaks a rule), so the conflict finder still names
    the right rules.
    """
    must = necessarily_open(inp)
    sites = inp.site_by_id
    visits = {p.id: p.visits for p in inp.points}
    by_point: dict[str, list[PairIn]] = defaultdict(list)
    for q in pairs:
        by_point[q.point].append(q)
    kept: list[PairIn] = []
    for qs in by_point.values():
        anchors = [q for q in qs if q.site in must and sites[q.site].visit_capacity is None]
        kept.extend(
            q
            for q in qs
            if (q.site in must and sites[q.site].visit_capacity is None)
            or not any(r.eur_per_visit <= q.eur_per_visit and r.minutes <= q.minutes for r in anchors)
        )
    assign = []
    for q in kept:
        cap = sites[q.site].visit_capacity
        implied = cap is not None and visits[q.point] > 0 and visits[q.point] >= cap
        if q.site not in must and not implied:
            assign.append((q.point, q.site))
    homes, closed = [], set()
    for s in inp.sites:
        if s.kind == "office":
            continue
        best = min((eur for o, eur in s.home_offices if o in must), default=math.inf)
        for o, eur in s.home_offices:
            if o in must:
                continue
            if eur < best:
                homes.append((s.id, o))
            else:
                closed.add((s.id, o))
    return Reductions(kept, assign, homes, frozenset(closed))


def add_allocation(
    blk: pyo.Block,
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    minmax: bool = False,
) -> None:
    """Add variables, rules and the cost expressions of one scenario to ``blk`` (a model or block)."""
    with gc_paused():
        _add_allocation(blk, inp, k_by_point=k_by_point, travel_limit=travel_limit, minmax=minmax)


def _add_allocation(
    blk: pyo.Block,
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    minmax: bool = False,
) -> None:
    sites = {s.id: s for s in inp.sites}
    site_ids = list(sites)
    P = inp.productive_hours_per_htv
    station = [(s.id, line) for s in inp.sites for line in inp.allowed_lines(s)]
    by_area_line: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    by_site: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_area: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for j, line in station:
        by_area_line[(sites[j].area, line)].append((j, line))
        by_site[j].append((j, line))
        by_area[sites[j].area].append((j, line))
    work_keys = [k for k, hours in inp.workload_hours.items() if hours > 0]
    red = reductions(inp, candidate_pairs(inp, k_by_point=k_by_point, travel_limit=travel_limit))
    pairs = red.pairs
    pair_keys = [(q.point, q.site) for q in pairs]
    pairs_of_point: dict[str, list[PairIn]] = defaultdict(list)
    pairs_of_site: dict[str, list[PairIn]] = defaultdict(list)
    for q in pairs:
        pairs_of_point[q.point].append(q)
        pairs_of_site[q.site].append(q)
    visits = {p.id: p.visits for p in inp.points}
    home_keys = [(s.id, o) for s in inp.sites if s.kind != "office" for o, _ in s.home_offices]

    blk.pair_data = {(q.point, q.site): q for q in pairs}
    blk.y = pyo.Var(site_ids, within=pyo.Binary)
    blk.h = pyo.Var(station, within=pyo.NonNegativeReals)
    blk.u = pyo.Var(work_keys, within=pyo.NonNegativeReals)
    blk.a = pyo.Var(pair_keys, within=pyo.Binary if inp.single_site_assignment else pyo.UnitInterval)
    blk.v = pyo.Var([p.id for p in inp.points], within=pyo.UnitInterval)
    blk.b = pyo.Var(home_keys, within=pyo.UnitInterval)
    blk.area_htv = pyo.Var(list(inp.areas), within=pyo.NonNegativeReals)
    # Plain dicts of variable data: indexing a dict is much cheaper than indexing a Pyomo Var.
    y, h, u, a, v, b = (
        dict(blk.y.items()),
        dict(blk.h.items()),
        dict(blk.u.items()),
        dict(blk.a.items()),
        dict(blk.v.items()),
        dict(blk.b.items()),
    )
    area_htv = dict(blk.area_htv.items())
    for k in red.closed_homes:
        b[k].setub(0.0)
    minus_y = {j: MonomialTermExpression((-1.0, yj)) for j, yj in y.items()}  # shared by many rows

    # --- staff -------------------------------------------------------------------------------
    # Spare HTV (when the total exceeds the work) are spread as headroom: every area of a service
    # line gets exactly (1 + line_headroom[line]) × its hours (less any unserved hours), every
    # line's headroom is at least the common ``headroom``, and tiny rewards (first for the common
    # headroom, then for each line's) make the solver raise them after the costs are settled.
    # So spare staff, and what the split band forces into a line, are spread over the areas by
    # workload, never placed at random. Centralised functions are a fixed staff number
    # (at least their hours) and get no headroom.
    spread_lines = sorted({k[1] for k in work_keys if k[1] not in FIXED_STAFF_LINES})
    blk.headroom = pyo.Var(within=pyo.NonNegativeReals)
    blk.line_headroom = pyo.Var(spread_lines, within=pyo.NonNegativeReals)
    blk.headroom_floor = pyo.Constraint(
        spread_lines, rule={ln: blk.line_headroom[ln] >= blk.headroom for ln in spread_lines}
    )

    def work_row(k: tuple[str, str]) -> pyo.Expression:
        hours = inp.workload_hours[k]
        staff = [(P, h[x]) for x in by_area_line[k]]
        if k[1] in FIXED_STAFF_LINES:
            return _lin((), staff, [u[k]]) >= hours
        return _lin((), [*staff, (-hours, blk.line_headroom[k[1]])], [u[k]]) == hours

    blk.workload = pyo.Constraint(work_keys, rule={k: work_row(k) for k in work_keys})
    blk.area_htv_def = pyo.Constraint(
        list(inp.areas),
        rule={ar: _lin([h[x] for x in by_area[ar]], [(-1.0, area_htv[ar])]) == 0.0 for ar in inp.areas},
    )
    total = _lin([area_htv[ar] for ar in inp.areas])
    blk.total_htv = pyo.Constraint(
        expr=(total == inp.total_htv) if inp.use_all_htv else (total <= inp.total_htv)
    )
    blk.workstations = pyo.Constraint(
        site_ids,
        rule={
            j: _lin([h[x] for x in by_site[j]], [(-float(sites[j].workstations), y[j])]) <= 0.0
            for j in site_ids
        },
    )
    add_split(blk, inp, station, h)

    # --- sites -------------------------------------------------------------------------------
    if inp.office_required_in_every_area:
        offices: dict[str, list[pyo.Var]] = defaultdict(list)
        for s in inp.sites:
            if s.kind == "office":
                offices[s.area].append(y[s.id])
        blk.office_in_area = pyo.Constraint(
            list(inp.areas), rule={ar: _lin(offices[ar]) >= 1.0 for ar in inp.areas}
        )
    if inp.presence_required_in_every_municipality:
        present: dict[str, list[pyo.Var]] = defaultdict(list)
        for s in inp.sites:
            if s.kind in ("office", "service_point"):
                present[s.municipality].append(y[s.id])
        blk.presence = pyo.Constraint(
            list(inp.municipality_area), rule={mu: _lin(present[mu]) >= 1.0 for mu in inp.municipality_area}
        )
    blk.force_open = pyo.Constraint(sorted(inp.force_open), rule={j: y[j] == 1 for j in inp.force_open})
    blk.force_closed = pyo.Constraint(sorted(inp.force_closed), rule={j: y[j] == 0 for j in inp.force_closed})
    nonoffice = [s.id for s in inp.sites if s.kind != "office"]
    blk.home_office = pyo.Constraint(
        nonoffice,
        rule={j: _lin([*(b[j, o] for o, _ in sites[j].home_offices), minus_y[j]]) == 0.0 for j in nonoffice},
    )
    blk.home_open = pyo.Constraint(
        red.home_links, rule={(j, o): _lin([b[j, o], minus_y[o]]) <= 0.0 for j, o in red.home_links}
    )

    # --- access ------------------------------------------------------------------------------
    blk.assign_open = pyo.Constraint(
        red.assign_links, rule={(i, j): _lin([a[i, j], minus_y[j]]) <= 0.0 for i, j in red.assign_links}
    )
    point_ids = [p.id for p in inp.points]
    blk.cover = pyo.Constraint(
        point_ids,
        rule={i: _lin([a[q.point, q.site] for q in pairs_of_point[i]] + [v[i]]) == 1.0 for i in point_ids},
    )
    capped = [s.id for s in inp.sites if s.visit_capacity is not None and pairs_of_site[s.id]]
    blk.visit_capacity = pyo.Constraint(
        capped,
        rule={
            j: _lin(
                (),
                [(visits[q.point], a[q.point, q.site]) for q in pairs_of_site[j]]
                + [(-float(sites[j].visit_capacity), y[j])],
            )
            <= 0.0
            for j in capped
        },
    )

    # --- costs -------------------------------------------------------------------------------
    items = {
        "staff": _lin((), [(inp.cost_per_htv_eur, area_htv[ar]) for ar in inp.areas]),
        "site_fixed": _lin((), [(sites[j].fixed_cost_eur, y[j]) for j in site_ids]),
        "staff_travel": _lin(
            (),
            [
                (sites[j].staff_days_per_year * eur, b[j, o])
                for j in nonoffice
                for o, eur in sites[j].home_offices
            ],
        ),
        "customer_travel": _lin((), [(visits[q.point] * q.eur_per_visit, a[q.point, q.site]) for q in pairs]),
        "unserved_penalty": _lin((), [(inp.unserved_hour_penalty_eur, u[k]) for k in work_keys]),
        "uncovered_penalty": _lin(
            (), [(inp.uncovered_visit_penalty_eur * visits[i], v[i]) for i in point_ids]
        ),
    }
    blk.cost_item = pyo.Expression(list(COST_ITEMS), rule=items)
    blk.total_cost = pyo.Expression(expr=pyo.quicksum(blk.cost_item[c] for c in COST_ITEMS))
    # The objective adds −HEADROOM_REWARD_EUR × headroom: 1 EUR per percentage point, far below
    # any real cost, so it only breaks ties in where spare staff sit.
    blk.objective_value = pyo.Expression(
        expr=blk.total_cost
        + blk.split_penalty
        - HEADROOM_REWARD_EUR * blk.headroom
        - LINE_HEADROOM_REWARD_EUR * pyo.quicksum(blk.line_headroom[ln] for ln in spread_lines)
    )

    # --- equity (minmax-travel) -------------------------------------------------------------
    if minmax:
        limit = inp.max_travel_minutes if travel_limit is None else travel_limit
        blk.longest = pyo.Var(within=pyo.NonNegativeReals)
        blk.w = pyo.Var(pair_keys, within=pyo.Binary)
        blk.left_out = pyo.Var(point_ids, within=pyo.Binary)
        longest, w, left = blk.longest, dict(blk.w.items()), dict(blk.left_out.items())
        blk.pair_used = pyo.Constraint(
            pair_keys, rule={k: _lin([a[k]], [(-1.0, w[k])]) <= 0.0 for k in pair_keys}
        )
        blk.longest_trip = pyo.Constraint(
            pair_keys,
            rule={k: _lin((), [(blk.pair_data[k].minutes, w[k]), (-1.0, longest)]) <= 0.0 for k in pair_keys},
        )
        # A point left uncovered counts as a trip one minute longer than the limit.
        blk.left_out_flag = pyo.Constraint(
            point_ids, rule={i: _lin([v[i]], [(-1.0, left[i])]) <= 0.0 for i in point_ids}
        )
        blk.longest_left_out = pyo.Constraint(
            point_ids, rule={i: _lin((), [(limit + 1.0, left[i]), (-1.0, longest)]) <= 0.0 for i in point_ids}
        )


def add_split(blk: pyo.Block, inp: OptimisationInput, station: list[tuple[str, str]], h: dict) -> None:
    """The plan's 40/40/20 customer-facing split (rule family ``split_low`` / ``split_high``).

    Each group's HTV share of the customer-facing HTV stays within ``share ± split_tolerance``,
    less a deviation ``split_dev_low`` / ``split_dev_high`` (HTV) that costs
    ``split_deviation_penalty_eur`` per HTV in the objective (``split_mode: goal``, the plan's
    "noin 40 %") or is held at 0 (``split_mode: hard``). The penalty is a planning weight, not a
    cost (``total_cost`` leaves it out); its default (1 EUR) puts the work first and an even
    headroom second, so the split decides only between otherwise equal plans (e.g. where a
    shortfall lands). The deviations are reported in the plan's summary (``split``).
    """
    split_lines = {line for g in inp.split for line in g.lines}
    facing = [(x, h[x]) for x in station if x[1] in split_lines]
    tol = inp.split_tolerance
    names = [g.name for g in inp.split]
    blk.split_dev_low = pyo.Var(names, within=pyo.NonNegativeReals)
    blk.split_dev_high = pyo.Var(names, within=pyo.NonNegativeReals)
    if inp.split_mode == "hard":
        for n in names:
            blk.split_dev_low[n].fix(0.0)
            blk.split_dev_high[n].fix(0.0)

    def band(g_lines: tuple[str, ...], share: float, sign: float, dev: pyo.Var) -> pyo.Expression:
        """``sign × (share × facing − group) − dev <= 0``; the orientation of ``group >= share × facing``."""
        terms = [(sign * (share - (1.0 if x[1] in g_lines else 0.0)), hv) for x, hv in facing]
        return _lin((), [*terms, (-1.0, dev)]) <= 0.0

    blk.split_low = pyo.Constraint(
        names,
        rule={
            g.name: band(g.lines, max(g.share - tol, 0.0), 1.0, blk.split_dev_low[g.name]) for g in inp.split
        },
    )
    blk.split_high = pyo.Constraint(
        names,
        rule={
            g.name: band(g.lines, min(g.share + tol, 1.0), -1.0, blk.split_dev_high[g.name])
            for g in inp.split
        },
    )
    penalty = inp.split_deviation_penalty_eur if inp.split_mode == "goal" else 0.0
    blk.split_penalty = pyo.Expression(
        expr=_lin(
            (),
            [(penalty, blk.split_dev_low[n]) for n in names]
            + [(penalty, blk.split_dev_high[n]) for n in names],
        )
    )


def _lin(
    unit: Iterable[pyo.Var] = (),
    terms: Iterable[tuple[float, pyo.Var]] = (),
    more_unit: Iterable[pyo.Var] = (),
) -> LinearExpression:
    """``Σ unit + Σ c·x + Σ more_unit`` as one flat :class:`LinearExpression` (no operator overloading).

    ``unit`` and ``more_unit`` hold variables (coefficient 1) or ready-made monomials.

    Built directly from variable data and monomials, so that the solver hand-off takes Pyomo's
    fast path for linear expressions and no constraint needs ``lhs − rhs`` to be formed.
    """
    args: list = list(unit)
    args.extend(MonomialTermExpression((float(c), x)) for c, x in terms)
    args.extend(more_unit)
    return LinearExpression(args)


def build_model(
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    minmax: bool = False,
) -> pyo.ConcreteModel:
    """One scenario's allocation model; objective ``cost`` (active) and, with ``minmax``, ``equity``.

    ``travel_limit`` tightens the maximum travel time (epsilon constraint of the Pareto front);
    ``k_by_point`` overrides the number of nearest sites considered per demand point.
    """
    m = pyo.ConcreteModel(name=inp.name)
    add_allocation(m, inp, k_by_point=k_by_point, travel_limit=travel_limit, minmax=minmax)
    m.cost = pyo.Objective(expr=m.objective_value, sense=pyo.minimize)
    if minmax:
        m.equity = pyo.Objective(expr=m.longest, sense=pyo.minimize)
        m.equity.deactivate()
    return m
