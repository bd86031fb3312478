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
the planner's words. ``build_model`` only builds; solving lives in :mod:`.solve`. To share site
decisions between several scenarios (two-stage robust plan), build one block per scenario with
:func:`add_allocation` and tie their ``y`` together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pyomo.environ as pyo

from resurssimalli.optimize.inputs import OptimisationInput, PairIn

COST_ITEMS = (
    "staff",
    "site_fixed",
    "staff_travel",
    "customer_travel",
    "unserved_penalty",
    "uncovered_penalty",
)


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


def add_allocation(
    blk: pyo.Block,
    inp: OptimisationInput,
    *,
    k_by_point: Mapping[str, int] | None = None,
    travel_limit: float | None = None,
    minmax: bool = False,
) -> None:
    """Add variables, rules and the cost expressions of one scenario to ``blk`` (a model or block)."""
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
    pairs = candidate_pairs(inp, k_by_point=k_by_point, travel_limit=travel_limit)
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

    # --- staff -------------------------------------------------------------------------------
    blk.workload = pyo.Constraint(
        work_keys,
        rule=lambda b, a, line: (
            P * pyo.quicksum(b.h[k] for k in by_area_line[(a, line)]) + b.u[a, line]
            >= inp.workload_hours[(a, line)]
        ),
    )
    blk.area_htv_def = pyo.Constraint(
        list(inp.areas),
        rule=lambda b, a: pyo.quicksum(b.h[k] for k in by_area[a]) - b.area_htv[a] == 0,
    )
    total = pyo.quicksum(blk.area_htv[a] for a in inp.areas)
    blk.total_htv = pyo.Constraint(
        expr=(total == inp.total_htv) if inp.use_all_htv else (total <= inp.total_htv)
    )
    blk.workstations = pyo.Constraint(
        site_ids,
        rule=lambda b, j: pyo.quicksum(b.h[k] for k in by_site[j]) <= sites[j].workstations * b.y[j],
    )
    split_lines = {line for g in inp.split for line in g.lines}
    facing = pyo.quicksum(blk.h[k] for k in station if k[1] in split_lines)
    groups = [g.name for g in inp.split]
    gmap = {g.name: g for g in inp.split}

    def _group(b: pyo.Block, g: str) -> pyo.Expression:
        return pyo.quicksum(b.h[k] for k in station if k[1] in gmap[g].lines)

    tol = inp.split_tolerance
    blk.split_low = pyo.Constraint(
        groups, rule=lambda b, g: _group(b, g) >= max(gmap[g].share - tol, 0.0) * facing
    )
    blk.split_high = pyo.Constraint(
        groups, rule=lambda b, g: _group(b, g) <= min(gmap[g].share + tol, 1.0) * facing
    )

    # --- sites -------------------------------------------------------------------------------
    if inp.office_required_in_every_area:
        blk.office_in_area = pyo.Constraint(
            list(inp.areas),
            rule=lambda b, a: (
                pyo.quicksum(b.y[s.id] for s in inp.sites if s.area == a and s.kind == "office") >= 1
            ),
        )
    if inp.presence_required_in_every_municipality:
        blk.presence = pyo.Constraint(
            list(inp.municipality_area),
            rule=lambda b, m: (
                pyo.quicksum(
                    b.y[s.id]
                    for s in inp.sites
                    if s.municipality == m and s.kind in ("office", "service_point")
                )
                >= 1
            ),
        )
    blk.force_open = pyo.Constraint(sorted(inp.force_open), rule=lambda b, j: b.y[j] == 1)
    blk.force_closed = pyo.Constraint(sorted(inp.force_closed), rule=lambda b, j: b.y[j] == 0)
    nonoffice = [s.id for s in inp.sites if s.kind != "office"]
    blk.home_office = pyo.Constraint(
        nonoffice,
        rule=lambda b, j: pyo.quicksum(b.b[j, o] for o, _ in sites[j].home_offices) - b.y[j] == 0,
    )
    blk.home_open = pyo.Constraint(home_keys, rule=lambda b, j, o: b.b[j, o] <= b.y[o])

    # --- access ------------------------------------------------------------------------------
    blk.assign_open = pyo.Constraint(pair_keys, rule=lambda b, i, j: b.a[i, j] <= b.y[j])
    blk.cover = pyo.Constraint(
        [p.id for p in inp.points],
        rule=lambda b, i: pyo.quicksum(b.a[q.point, q.site] for q in pairs_of_point[i]) + b.v[i] == 1,
    )
    capped = [s.id for s in inp.sites if s.visit_capacity is not None and pairs_of_site[s.id]]
    blk.visit_capacity = pyo.Constraint(
        capped,
        rule=lambda b, j: (
            pyo.quicksum(visits[q.point] * b.a[q.point, q.site] for q in pairs_of_site[j])
            <= sites[j].visit_capacity * b.y[j]
        ),
    )

    # --- costs -------------------------------------------------------------------------------
    blk.cost_item = pyo.Expression(
        list(COST_ITEMS),
        rule=lambda b, c: {
            "staff": inp.cost_per_htv_eur * pyo.quicksum(b.area_htv[a] for a in inp.areas),
            "site_fixed": pyo.quicksum(sites[j].fixed_cost_eur * b.y[j] for j in site_ids),
            "staff_travel": pyo.quicksum(
                sites[j].staff_days_per_year * eur * b.b[j, o]
                for j in nonoffice
                for o, eur in sites[j].home_offices
            ),
            "customer_travel": pyo.quicksum(
                visits[q.point] * q.eur_per_visit * b.a[q.point, q.site] for q in pairs
            ),
            "unserved_penalty": inp.unserved_hour_penalty_eur * pyo.quicksum(b.u[k] for k in work_keys),
            "uncovered_penalty": inp.uncovered_visit_penalty_eur
            * pyo.quicksum(visits[p.id] * b.v[p.id] for p in inp.points),
        }[c],
    )
    blk.total_cost = pyo.Expression(expr=pyo.quicksum(blk.cost_item[c] for c in COST_ITEMS))

    # --- equity (minmax-travel) -------------------------------------------------------------
    if minmax:
        limit = inp.max_travel_minutes if travel_limit is None else travel_limit
        blk.longest = pyo.Var(within=pyo.NonNegativeReals)
        blk.w = pyo.Var(pair_keys, within=pyo.Binary)
        blk.left_out = pyo.Var([p.id for p in inp.points], within=pyo.Binary)
        blk.pair_used = pyo.Constraint(pair_keys, rule=lambda b, i, j: b.a[i, j] <= b.w[i, j])
        blk.longest_trip = pyo.Constraint(
            pair_keys, rule=lambda b, i, j: b.longest >= b.pair_data[(i, j)].minutes * b.w[i, j]
        )
        # A point left uncovered counts as a trip one minute longer than the limit.
        blk.left_out_flag = pyo.Constraint(
            [p.id for p in inp.points], rule=lambda b, i: b.v[i] <= b.left_out[i]
        )
        blk.longest_left_out = pyo.Constraint(
            [p.id for p in inp.points], rule=lambda b, i: b.longest >= (limit + 1.0) * b.left_out[i]
        )


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
    m.cost = pyo.Objective(expr=m.total_cost, sense=pyo.minimize)
    if minmax:
        m.equity = pyo.Objective(expr=m.longest, sense=pyo.minimize)
        m.equity.deactivate()
    return m
