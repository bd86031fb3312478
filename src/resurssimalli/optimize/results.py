"""Turn a solved allocation model into the planner's tables (pure reads of variable values)."""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
import pyomo.environ as pyo

from resurssimalli import tolerances
from resurssimalli.optimize.inputs import OptimisationInput
from resurssimalli.optimize.model import COST_ITEMS
from resurssimalli.scenario.schema import UNCOVERED_SITE

EPS = tolerances.VALUE_EPS
VISIT_NOISE = tolerances.VISIT_NOISE
UNCOVERED = UNCOVERED_SITE  # the simulation reads the same name
ALLOCATION_COLUMNS = ["area", "municipality", "site", "service_line", "htv"]
SITES_COLUMNS = ["site", "municipality", "kind", "open", "htv", "workstations", "workstations_used"]
ACCESS_COLUMNS = ["demand_point", "municipality", "site", "share", "minutes"]
COSTS_COLUMNS = ["municipality", "cost_item", "eur"]


def _val(x: pyo.Var) -> float:
    v = x.value
    return 0.0 if v is None else float(v)


def allocation_table(m: pyo.Block, inp: OptimisationInput) -> pd.DataFrame:
    """One row per non-zero HTV of a line stationed at a site."""
    sites = inp.site_by_id
    rows = [
        (sites[j].area, sites[j].municipality, j, line, _val(m.h[j, line]))
        for (j, line) in m.h
        if _val(m.h[j, line]) > EPS
    ]
    return pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)


def sites_table(m: pyo.Block, inp: OptimisationInput) -> pd.DataFrame:
    htv: dict[str, float] = defaultdict(float)
    for j, line in m.h:
        htv[j] += _val(m.h[j, line])
    rows = []
    for s in inp.sites:
        is_open = _val(m.y[s.id]) > 0.5
        h = htv[s.id] if htv[s.id] > EPS else 0.0
        rows.append(
            (s.id, s.municipality, s.kind, is_open, h, s.workstations, math.ceil(h - 1e-6) if h else 0)
        )
    return pd.DataFrame(rows, columns=SITES_COLUMNS)


def access_table(m: pyo.Block, inp: OptimisationInput) -> pd.DataFrame:
    """Where each demand point's face-to-face visits go; an ``(uncovered)`` row for the slack."""
    rows = []
    for p in inp.points:
        for q in inp.pairs[p.id]:
            if (p.id, q.site) in m.a and _val(m.a[p.id, q.site]) > EPS:
                rows.append((p.id, p.municipality, q.site, _val(m.a[p.id, q.site]), q.minutes))
        if _val(m.v[p.id]) > EPS:
            rows.append((p.id, p.municipality, UNCOVERED, _val(m.v[p.id]), float("nan")))
    return pd.DataFrame(rows, columns=ACCESS_COLUMNS)


def costs_table(m: pyo.Block, inp: OptimisationInput) -> pd.DataFrame:
    """Annual cost by municipality and item; the rows sum to the plan's total cost.

    Each municipality pays its own sites, the staff trips to them and its share of its area's
    local staff (by its share of the area's workload in each line); integration-phase and
    centralised staff are shared by the central cost key. Customers' travel and the penalties
    of unserved hours / uncovered visits are booked where the customers live.
    """
    sites = inp.site_by_id
    munis = list(inp.municipality_area)
    out: dict[tuple[str, str], float] = defaultdict(float)
    c = inp.cost_per_htv_eur
    area_munis: dict[str, list[str]] = defaultdict(list)
    for mu, a in inp.municipality_area.items():
        area_munis[a].append(mu)

    def shares(area: str, line: str) -> dict[str, float]:
        if line in inp.central_lines:
            return dict(inp.central_cost_shares)
        hours = {mu: inp.municipality_hours.get((mu, line), 0.0) for mu in area_munis[area]}
        if sum(hours.values()) <= 0:
            hours = {
                mu: sum(inp.municipality_hours.get((mu, li), 0.0) for li in inp.lines)
                for mu in area_munis[area]
            }
        if sum(hours.values()) <= 0:
            hours = dict.fromkeys(area_munis[area], 1.0)
        total = sum(hours.values())
        return {mu: v / total for mu, v in hours.items()}

    staff_area_line: dict[tuple[str, str], float] = defaultdict(float)
    for j, line in m.h:
        staff_area_line[(sites[j].area, line)] += _val(m.h[j, line])
    for (a, line), htv in staff_area_line.items():
        item = "staff_central" if line in inp.central_lines else "staff_local"
        for mu, sh in shares(a, line).items():
            out[(mu, item)] += c * htv * sh
    for s in inp.sites:
        out[(s.municipality, "site_fixed")] += s.fixed_cost_eur * _val(m.y[s.id])
        for o, eur in s.home_offices:
            out[(s.municipality, "staff_travel")] += s.staff_days_per_year * eur * _val(m.b[s.id, o])
    visits = {p.id: p for p in inp.points}
    for (i, j), q in m.pair_data.items():
        out[(visits[i].municipality, "customer_travel")] += (
            visits[i].visits * q.eur_per_visit * _val(m.a[i, j])
        )
    for a, line in m.u:
        for mu, sh in shares(a, line).items():
            out[(mu, "unserved_penalty")] += inp.unserved_hour_penalty_eur * _val(m.u[a, line]) * sh
    for p in inp.points:
        out[(p.municipality, "uncovered_penalty")] += (
            inp.uncovered_visit_penalty_eur * p.visits * _val(m.v[p.id])
        )
    items = [
        "staff_local",
        "staff_central",
        "site_fixed",
        "staff_travel",
        "customer_travel",
        "unserved_penalty",
        "uncovered_penalty",
    ]
    rows = [(mu, it, out[(mu, it)]) for mu in munis for it in items]
    return pd.DataFrame(rows, columns=COSTS_COLUMNS)


def shortfalls(m: pyo.Block, inp: OptimisationInput) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Unserved hours by area and line; uncovered face-to-face visits a year by demand point."""
    unserved: dict[str, dict[str, float]] = {}
    for a, line in m.u:
        v = _val(m.u[a, line])
        if v > 1e-6:
            unserved.setdefault(a, {})[line] = v
    uncovered = {p.id: p.visits * _val(m.v[p.id]) for p in inp.points if p.visits * _val(m.v[p.id]) > VISIT_NOISE}
    return unserved, uncovered


def _full_sites(m: pyo.Block, inp: OptimisationInput) -> set[str]:
    """Open sites whose visit capacity is used up."""
    load: dict[str, float] = defaultdict(float)
    visits = {p.id: p.visits for p in inp.points}
    for (i, j) in m.pair_data:
        load[j] += visits[i] * _val(m.a[i, j])
    return {
        s.id
        for s in inp.sites
        if s.visit_capacity is not None and _val(m.y[s.id]) > 0.5 and load[s.id] >= s.visit_capacity - 1e-6
    }


def uncovered_why(inp: OptimisationInput, point: str, limit: float, full: set[str]) -> str:
    """Why a point's visits are uncovered: geography, the scenario's closures, full sites — or, in a
    plain cost plan, the uncovered-visit penalty being cheaper than serving them."""
    within = [q for q in inp.pairs[point] if q.minutes <= limit + 1e-9]
    if not within:
        return f"no site within {limit:g} min"
    usable = [q for q in within if q.site not in inp.force_closed]
    if not usable:
        return f"every site within {limit:g} min is closed (sites.force_closed)"
    if all(q.site in full for q in usable):
        return f"the sites within {limit:g} min are at their visit capacity"
    return (
        f"cheaper to pay {inp.uncovered_visit_penalty_eur:g} EUR a visit unserved than to open or "
        f"run a site within {limit:g} min for them (costs.uncovered_visit_penalty_eur)"
    )


def coverage(m: pyo.Block, inp: OptimisationInput, limit: float, coverage_first: bool) -> dict:
    """Face-to-face visits a year served within ``limit`` and uncovered, each uncovered point with why."""
    _, unc = shortfalls(m, inp)
    total = sum(p.visits for p in inp.points)
    lost = sum(unc.values())
    full = _full_sites(m, inp)
    why = {p: uncovered_why(inp, p, limit, full) for p in unc}
    return {
        "travel_limit_minutes": limit,
        "coverage_first": coverage_first,
        "visits_total": total,
        "visits_served": total - lost,
        "visits_uncovered": lost,
        "uncovered": {p: {"visits": v, "why": why[p]} for p, v in unc.items()},
        "why": "; ".join(sorted(set(why.values()))),
    }


def nested(d: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    """{(a, b): x} as {a: {b: x}} (JSON-friendly)."""
    out: dict[str, dict[str, float]] = {}
    for (a, b), x in d.items():
        out.setdefault(a, {})[b] = x
    return out


def cost_items(m: pyo.Block) -> dict[str, float]:
    return {c: float(pyo.value(m.cost_item[c])) for c in COST_ITEMS}


def travel_stats(m: pyo.Block, inp: OptimisationInput) -> tuple[float, float]:
    """Longest trip used (minutes) and the visit-weighted mean trip of covered visits."""
    visits = {p.id: p.visits for p in inp.points}
    longest, num, den = 0.0, 0.0, 0.0
    for (i, j), q in m.pair_data.items():
        share = _val(m.a[i, j])
        if share > 1e-6:
            longest = max(longest, q.minutes)
            num += visits[i] * share * q.minutes
            den += visits[i] * share
    return longest, (num / den if den > 0 else float("nan"))


def split_table(m: pyo.Block, inp: OptimisationInput) -> dict[str, dict[str, float]]:
    """The customer-facing split as planned: per group its target share, HTV share and the HTV
    outside the band (``deviation_htv``, penalised in goal mode; 0 in hard mode)."""
    lines = {line: g.name for g in inp.split for line in g.lines}
    htv: dict[str, float] = defaultdict(float)
    for (_, line), var in m.h.items():
        if line in lines:
            htv[lines[line]] += _val(var)
    total = sum(htv.values())
    return {
        g.name: {
            "target": g.share,
            "htv": htv[g.name],
            "share": htv[g.name] / total if total > 0 else float("nan"),
            "deviation_htv": _val(m.split_dev_low[g.name]) + _val(m.split_dev_high[g.name]),
        }
        for g in inp.split
    }
