"""The allocation model as a Pyomo MIP, built from an :class:`OptimisationInput` (pure).

Decisions
    ``y[site]``          site open (binary);
    ``h[site, line]``    HTV of a service line stationed at a site (>= 0);
    ``a[point, site]``   share of a demand point's face-to-face visits served at a site
                         (binary with single-site assignment);
    ``b[site, office]``  the office a service point / pop-up is run from (staff day trips);
    ``u[area, line]``    unserved workload hours (penalised slack);
    ``v[point]``         share of a point's visits left uncovered (penalised slack; with
                         ``coverage_first`` held at 0 where an office is within the travel limit).

The rules are added family by family (:func:`add_allocation` reads as the table of contents);
every constraint family is listed in :data:`resurssimalli.optimize.rules.RULES` with its
plain-language label and scenario key, which the conflict finder reads. "Only if open" rows that can never bind are left out (:func:`reductions`):
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

from resurssimalli import tolerances
from resurssimalli.optimize.gc_pause import gc_paused
from resurssimalli.optimize.inputs import OptimisationInput, PairIn, SiteIn
from resurssimalli.optimize.rules import RULES

COST_ITEMS = (
    "staff",
    "site_fixed",
    "staff_travel",
    "customer_travel",
    "unserved_penalty",
    "uncovered_penalty",
)

FIXED_STAFF_LINES = ("centralised",)  # a set staff number (staff.centralised_htv), no headroom
TIME_EPS = tolerances.TIME_EPS


def candidate_pairs(
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
) -> list[PairIn]:
    """The sparse demand point → site pairs: the ``k`` nearest sites within the travel limit, and
    always the nearest office the point may use within it; a point no such office reaches keeps
    every site within the limit (so coverage first never depends on ``k``)."""
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    sites = inp.site_by_id
    out: list[PairIn] = []
    for p in inp.points:
        k = (k_by_point or {}).get(p.id, inp.k_nearest_sites)
        within = [q for q in inp.pairs[p.id] if q.minutes <= limit + TIME_EPS]
        chosen = within[:k]
        if not any(_serves_all(sites[q.site], inp) for q in chosen):
            offices = [q for q in within[k:] if _serves_all(sites[q.site], inp)][:1]
            chosen = chosen + offices if offices else within  # no office in reach: every site in reach
        out.extend(chosen)
    return out


def _serves_all(site: SiteIn, inp: OptimisationInput) -> bool:
    """An office the plan may open: it takes any number of visits."""
    return site.visit_capacity is None and site.id not in inp.force_closed


def must_serve(inp: OptimisationInput, limit: float) -> frozenset[str]:
    """Points with visits and an office within ``limit`` the plan may open: all their visits are served."""
    sites = inp.site_by_id
    return frozenset(
        p.id
        for p in inp.points
        if p.visits > 0
        and any(q.minutes <= limit + TIME_EPS and _serves_all(sites[q.site], inp) for q in inp.pairs[p.id])
    )


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


@dataclass
class _Ctx:
    """What the rule families share: the input, index sets and plain dicts of the variables."""

    inp: OptimisationInput
    red: Reductions
    limit: float
    sites: dict[str, SiteIn]
    station: list[tuple[str, str]]
    work_keys: list[tuple[str, str]]
    y: dict
    h: dict
    u: dict
    a: dict
    v: dict
    b: dict
    area_htv: dict
    minus_y: dict


def _put(blk: pyo.Block, name: str, index: list | None, rows: Mapping | pyo.Expression) -> None:
    """Add the constraint family ``name`` (which must be listed in :data:`.rules.RULES`)."""
    if name not in RULES:
        raise KeyError(f"constraint family {name!r} is not in the rule registry (optimize/rules.py)")
    if index is None:
        blk.add_component(name, pyo.Constraint(expr=rows))
    else:
        blk.add_component(name, pyo.Constraint(index, rule=rows))


def add_allocation(
    blk: pyo.Block,
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    minmax: bool = False,
    coverage_first: bool = False,
) -> None:
    """Add variables, rules and the cost expressions of one scenario to ``blk`` (a model or block).

    ``coverage_first`` (minmax-travel plans and the points of the cost–accessibility front): every
    visit an office reaches within the limit is served, never traded for cost.

    The rule families, in the order they are added (each listed in :data:`.rules.RULES`):
    staff (:func:`_staff_rules`), the customer-facing split (:func:`_split_rules`), sites
    (:func:`_site_rules`), access (:func:`_access_rules`), then the cost items
    (:func:`_cost_items`) and, for ``minmax-travel``, equity (:func:`_equity_rules`).
    """
    with gc_paused():
        c = _variables(blk, inp, k_by_point=k_by_point, travel_limit=travel_limit, coverage_first=coverage_first)
        _staff_rules(blk, c)
        _split_rules(blk, c)
        _site_rules(blk, c)
        _access_rules(blk, c)
        _cost_items(blk, c)
        if minmax:
            _equity_rules(blk, c)


def _variables(
    blk: pyo.Block,
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None,
    travel_limit: float | None,
    coverage_first: bool,
) -> _Ctx:
    """The decision variables (see the module docstring) and the shared index sets.

    With ``coverage_first`` a point with an office it may use within the travel limit has its
    coverage slack ``v`` held at 0 (every such visit is served; :func:`must_serve`).
    """
    sites = {s.id: s for s in inp.sites}
    limit = inp.max_travel_minutes if travel_limit is None else min(travel_limit, inp.max_travel_minutes)
    station = [(s.id, line) for s in inp.sites for line in inp.allowed_lines(s)]
    work_keys = [k for k, hours in inp.workload_hours.items() if hours > 0]
    red = reductions(inp, candidate_pairs(inp, k_by_point=k_by_point, travel_limit=travel_limit))
    home_keys = [(s.id, o) for s in inp.sites if s.kind != "office" for o, _ in s.home_offices]
    blk.pair_data = {(q.point, q.site): q for q in red.pairs}
    blk.y = pyo.Var(list(sites), within=pyo.Binary)
    blk.h = pyo.Var(station, within=pyo.NonNegativeReals)
    blk.u = pyo.Var(work_keys, within=pyo.NonNegativeReals)
    blk.a = pyo.Var(list(blk.pair_data), within=pyo.Binary if inp.single_site_assignment else pyo.UnitInterval)
    blk.v = pyo.Var([p.id for p in inp.points], within=pyo.UnitInterval)
    blk.b = pyo.Var(home_keys, within=pyo.UnitInterval)
    blk.area_htv = pyo.Var(list(inp.areas), within=pyo.NonNegativeReals)
    # Plain dicts of variable data: indexing a dict is much cheaper than indexing a Pyomo Var.
    y = dict(blk.y.items())
    c = _Ctx(inp, red, limit, sites, station, work_keys, y, dict(blk.h.items()), dict(blk.u.items()),
             dict(blk.a.items()), dict(blk.v.items()), dict(blk.b.items()), dict(blk.area_htv.items()),
             {j: MonomialTermExpression((-1.0, yj)) for j, yj in y.items()})  # fmt: skip
    for k in red.closed_homes:
        c.b[k].setub(0.0)
    for p in must_serve(inp, limit) if coverage_first else ():
        c.v[p].setub(0.0)
    return c


def _staff_rules(blk: pyo.Block, c: _Ctx) -> None:
    """Workload cover (staff hours + unserved hours >= workload), area totals, the HTV total,
    workstations. Where spare staff sit is left to the tie-break (:mod:`.tiebreak`)."""
    inp, h = c.inp, c.h
    P = inp.productive_hours_per_htv
    by_area_line: dict[tuple[str, str], list] = defaultdict(list)
    by_site: dict[str, list] = defaultdict(list)
    by_area: dict[str, list] = defaultdict(list)
    for j, line in c.station:
        by_area_line[(c.sites[j].area, line)].append(h[j, line])
        by_site[j].append(h[j, line])
        by_area[c.sites[j].area].append(h[j, line])
    _put(blk, "workload", c.work_keys, {
        k: _lin((), [(P, x) for x in by_area_line[k]], [c.u[k]]) >= inp.workload_hours[k] for k in c.work_keys
    })  # fmt: skip
    _put(blk, "area_htv_def", list(inp.areas), {
        ar: _lin(by_area[ar], [(-1.0, c.area_htv[ar])]) == 0.0 for ar in inp.areas
    })  # fmt: skip
    total = _lin([c.area_htv[ar] for ar in inp.areas])
    _put(blk, "total_htv", None, (total == inp.total_htv) if inp.use_all_htv else (total <= inp.total_htv))
    _put(blk, "workstations", list(c.sites), {
        j: _lin(by_site[j], [(-float(s.workstations), c.y[j])]) <= 0.0 for j, s in c.sites.items()
    })  # fmt: skip


def _split_rules(blk: pyo.Block, c: _Ctx) -> None:
    """The plan's 40/40/20 customer-facing split (rule family ``split_low`` / ``split_high``).

    Each group's HTV share of the customer-facing HTV stays within ``share ± split_tolerance``,
    less a deviation ``split_dev_low`` / ``split_dev_high`` (HTV) that costs
    ``split_deviation_penalty_eur`` per HTV in the objective (``split_mode: goal``, the plan's
    "noin 40 %") or is held at 0 (``split_mode: hard``). The penalty is a planning weight, not a
    cost (``total_cost`` leaves it out; ``objective_value`` adds it): the MIP minimises cost plus
    this weight. The tie-break (:mod:`.tiebreak`) then holds the cost only, not this weight: at
    that cost the served shares of every area and line first rise together to a common floor,
    then the split goal's deviation is made as small as that floor allows, then the other shares
    rise leximin. The deviations are reported (``split``) after the tie-break.
    """
    inp = c.inp
    split_lines = {line for g in inp.split for line in g.lines}
    facing = [(x, c.h[x]) for x in c.station if x[1] in split_lines]
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

    low, high = blk.split_dev_low, blk.split_dev_high
    _put(blk, "split_low", names, {g.name: band(g.lines, max(g.share - tol, 0.0), 1.0, low[g.name]) for g in inp.split})
    _put(blk, "split_high", names, {g.name: band(g.lines, min(g.share + tol, 1.0), -1.0, high[g.name])
                                    for g in inp.split})  # fmt: skip
    penalty = inp.split_deviation_penalty_eur if inp.split_mode == "goal" else 0.0
    blk.split_penalty = pyo.Expression(expr=_lin((), [(penalty, low[n]) for n in names] + [(penalty, high[n]) for n in names]))


def _site_rules(blk: pyo.Block, c: _Ctx) -> None:
    """An office in every area, a presence in every municipality, forced sites, home offices."""
    inp, y = c.inp, c.y
    if inp.office_required_in_every_area:
        offices: dict[str, list] = defaultdict(list)
        for s in inp.sites:
            if s.kind == "office":
                offices[s.area].append(y[s.id])
        _put(blk, "office_in_area", list(inp.areas), {ar: _lin(offices[ar]) >= 1.0 for ar in inp.areas})
    if inp.presence_required_in_every_municipality:
        present: dict[str, list] = defaultdict(list)
        for s in inp.sites:
            if s.kind in ("office", "service_point"):
                present[s.municipality].append(y[s.id])
        munis = list(inp.municipality_area)
        _put(blk, "presence", munis, {mu: _lin(present[mu]) >= 1.0 for mu in munis})
    _put(blk, "force_open", sorted(inp.force_open), {j: y[j] == 1 for j in inp.force_open})
    _put(blk, "force_closed", sorted(inp.force_closed), {j: y[j] == 0 for j in inp.force_closed})
    nonoffice = [s.id for s in inp.sites if s.kind != "office"]
    _put(blk, "home_office", nonoffice, {
        j: _lin([*(c.b[j, o] for o, _ in c.sites[j].home_offices), c.minus_y[j]]) == 0.0 for j in nonoffice
    })  # fmt: skip
    links = c.red.home_links
    _put(blk, "home_open", links, {(j, o): _lin([c.b[j, o], c.minus_y[o]]) <= 0.0 for j, o in links})


def _access_rules(blk: pyo.Block, c: _Ctx) -> None:
    """Visits go to open sites, every visit is served or counted uncovered, visit capacity."""
    inp, a = c.inp, c.a
    links = c.red.assign_links
    _put(blk, "assign_open", links, {(i, j): _lin([a[i, j], c.minus_y[j]]) <= 0.0 for i, j in links})
    of_point: dict[str, list] = defaultdict(list)
    of_site: dict[str, list] = defaultdict(list)
    for q in c.red.pairs:
        of_point[q.point].append(a[q.point, q.site])
        of_site[q.site].append(q)
    point_ids = [p.id for p in inp.points]
    _put(blk, "cover", point_ids, {i: _lin(of_point[i] + [c.v[i]]) == 1.0 for i in point_ids})
    visits = {p.id: p.visits for p in inp.points}
    capped = [s.id for s in inp.sites if s.visit_capacity is not None and of_site[s.id]]
    _put(blk, "visit_capacity", capped, {
        j: _lin((), [(visits[q.point], a[q.point, q.site]) for q in of_site[j]]
                + [(-float(c.sites[j].visit_capacity), c.y[j])]) <= 0.0
        for j in capped
    })  # fmt: skip


def _cost_items(blk: pyo.Block, c: _Ctx) -> None:
    """The plan's costs a year by item (``cost_item``), their sum ``total_cost`` and the objective
    ``objective_value`` (the cost plus the split goal's weight, see :func:`_split_rules`).

    No tie-break rewards: where spare staff and shortfalls sit is settled afterwards, at this
    plan's cost (``total_cost``, not this objective), by :mod:`.tiebreak`.
    """
    inp, sites = c.inp, c.sites
    visits = {p.id: p.visits for p in inp.points}
    travel = [(s.staff_days_per_year * eur, c.b[s.id, o]) for s in inp.sites if s.kind != "office"
              for o, eur in s.home_offices]  # fmt: skip
    items = {
        "staff": _lin((), [(inp.cost_per_htv_eur, c.area_htv[ar]) for ar in inp.areas]),
        "site_fixed": _lin((), [(sites[j].fixed_cost_eur, c.y[j]) for j in sites]),
        "staff_travel": _lin((), travel),
        "customer_travel": _lin((), [(visits[q.point] * q.eur_per_visit, c.a[q.point, q.site]) for q in c.red.pairs]),
        "unserved_penalty": _lin((), [(inp.unserved_hour_penalty_eur, c.u[k]) for k in c.work_keys]),
        "uncovered_penalty": _lin((), [(inp.uncovered_visit_penalty_eur * visits[i], c.v[i]) for i in visits]),
    }
    blk.cost_item = pyo.Expression(list(COST_ITEMS), rule=items)
    blk.total_cost = pyo.Expression(expr=pyo.quicksum(blk.cost_item[k] for k in COST_ITEMS))
    # what the optimiser minimises: the cost plus the split goal's stated weight (0 in hard mode)
    blk.objective_value = pyo.Expression(expr=blk.total_cost + blk.split_penalty)


def _equity_rules(blk: pyo.Block, c: _Ctx) -> None:
    """``longest`` >= every trip used; a point left uncovered counts as one minute beyond the limit."""
    pair_keys = list(blk.pair_data)
    point_ids = [p.id for p in c.inp.points]
    blk.longest = pyo.Var(within=pyo.NonNegativeReals)
    blk.w = pyo.Var(pair_keys, within=pyo.Binary)
    blk.left_out = pyo.Var(point_ids, within=pyo.Binary)
    longest, w, left = blk.longest, dict(blk.w.items()), dict(blk.left_out.items())
    _put(blk, "pair_used", pair_keys, {k: _lin([c.a[k]], [(-1.0, w[k])]) <= 0.0 for k in pair_keys})
    _put(blk, "longest_trip", pair_keys, {
        k: _lin((), [(blk.pair_data[k].minutes, w[k]), (-1.0, longest)]) <= 0.0 for k in pair_keys
    })  # fmt: skip
    _put(blk, "left_out_flag", point_ids, {i: _lin([c.v[i]], [(-1.0, left[i])]) <= 0.0 for i in point_ids})
    _put(blk, "longest_left_out", point_ids, {
        i: _lin((), [(c.limit + 1.0, left[i]), (-1.0, longest)]) <= 0.0 for i in point_ids
    })  # fmt: skip


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
    coverage_first: bool = False,
) -> pyo.ConcreteModel:
    """One scenario's allocation model; objective ``cost`` (active) and, with ``minmax``, ``equity``.

    ``travel_limit`` tightens the maximum travel time (epsilon constraint of the Pareto front);
    ``k_by_point`` overrides the number of nearest sites considered per demand point;
    ``coverage_first`` see :func:`add_allocation`.
    """
    m = pyo.ConcreteModel(name=inp.name)
    add_allocation(
        m, inp, k_by_point=k_by_point, travel_limit=travel_limit, minmax=minmax, coverage_first=coverage_first
    )
    m.cost = pyo.Objective(expr=m.objective_value, sense=pyo.minimize)
    if minmax:
        m.equity = pyo.Objective(expr=m.longest, sense=pyo.minimize)
        m.equity.deactivate()
    return m
