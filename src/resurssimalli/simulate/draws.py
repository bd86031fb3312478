"""Random inputs of one replication, drawn up front from the activity streams (pure numpy).

Each customer's attributes are drawn once, at registration (or for the starting stock): service
need (line), age group, demand point, site for face-to-face meetings, remote preference and an
Exp(1) variate that fixes the exit time through the cumulative exit hazard; foreign nationality
and partial work ability come from their own stream (``attributes``), so adding them shifted no
other stream (probabilities in :mod:`resurssimalli.simulate.attributes`). Registrations are
thinned from a scenario-independent envelope process, so a scenario with more inflow keeps all
of the baseline's customers and adds more: scenario differences pair up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from resurssimalli.scenario.demand import DAYS_PER_MONTH, cum_hazard, inv_cum_hazard
from resurssimalli.simulate.attributes import AGE_GROUPS
from resurssimalli.simulate.customer_states import draw_states
from resurssimalli.simulate.entries import Source
from resurssimalli.simulate.params import LINE_INDEX, LINES, SimParams
from resurssimalli.simulate.roster import random_block, statuses
from resurssimalli.simulate.streams import child_generators

MULTI = LINE_INDEX["multi_sector"]


@dataclass(frozen=True)
class Cohort:
    """Customers as columns (one row each), sorted by registration time."""

    reg: np.ndarray  # registration time in days (negative for the starting stock)
    exit: np.ndarray  # exit time in days (may lie beyond the run)
    muni: np.ndarray
    line: np.ndarray
    dp: np.ndarray
    minutes: np.ndarray  # one-way travel minutes to the customer's site
    remote: np.ndarray  # bool
    age: np.ndarray  # index into AGE_GROUPS
    foreign: np.ndarray  # bool
    partially_able: np.ndarray  # bool
    first_due: np.ndarray  # stock only: day of the next conversation (else -1, unread)
    source: np.ndarray  # entries.Source values: stock, inflow, plant closure
    e: np.ndarray | None = None  # the Exp(1) variate the accumulated exit hazard runs against
    rate: np.ndarray | None = None  # [customer, duration band] base exit hazard per month
    site: np.ndarray | None = None  # index in SimParams.sites of the face-to-face site (-1: none)
    state: np.ndarray | None = None  # customer state (customer_states.py): 1.. the states; None: unemployed

    def __len__(self) -> int:
        return len(self.reg)


@functools.lru_cache(maxsize=8)
def _elapsed_tables(hazard: bytes, dtype: str, shape: tuple[int, ...], max_months: float) -> list:
    """Per municipality × line × long-term flag: (m, li, lt, lo, hi, grid, CDF) of the stock's
    elapsed spell (density ∝ survival, below or above 12 months). The same for every replication
    of a scenario, so computed once per hazard table (the key is its content: workers unpickle a
    new SimParams for every replication)."""
    h = np.frombuffer(hazard, dtype=dtype).reshape(shape)
    grid = np.linspace(0.0, max_months, int(max_months * 50) + 1)
    out = []
    for m, li in np.ndindex(shape[:2]):
        surv = np.exp(-cum_hazard(grid, tuple(h[m, li])))
        for lt, lo, hi in ((False, 0.0, 12.0), (True, 12.0, max_months)):
            g = grid[(grid >= lo) & (grid <= hi)]
            s = surv[(grid >= lo) & (grid <= hi)]
            cdf = np.concatenate([[0.0], np.cumsum((s[1:] + s[:-1]) / 2 * np.diff(g))])
            out.append((m, li, lt, lo, hi, g, cdf))
    return out


def _elapsed(
    p: SimParams, muni: np.ndarray, line: np.ndarray, long_term: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Elapsed spell (months) of the stock: density ∝ survival, below or above 12 months."""
    out = np.empty(len(u))
    hz = p.hazard
    tables = _elapsed_tables(hz.tobytes(), hz.dtype.str, hz.shape, p.max_elapsed_months)
    groups = _slices((muni * hz.shape[1] + line) * 2 + long_term, len(tables))  # the tables' order
    for (*_, lo, hi, g, cdf), sel in zip(tables, groups, strict=True):
        if len(sel) == 0:
            continue
        if cdf[-1] <= 0:
            out[sel] = lo + u[sel] * (hi - lo)
        else:
            out[sel] = np.interp(u[sel] * cdf[-1], cdf, g)
    return out


def _slices(key: np.ndarray, n_keys: int) -> list[np.ndarray]:
    """For each key 0..n_keys-1 the positions holding it, in order (``np.flatnonzero(key == k)``,
    from one stable sort instead of a comparison over all positions per key)."""
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n_keys + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


@functools.lru_cache(maxsize=8)
def _dp_tables(dp_cum_by_muni: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per municipality: its demand points and their cumulative shares, as arrays (once a scenario)."""
    return [(np.array(idx), np.array(cum)) for idx, cum in dp_cum_by_muni]


def _pick_dp(p: SimParams, muni: np.ndarray, u: np.ndarray) -> np.ndarray:
    dp = np.empty(len(u), dtype=np.int64)
    for m, (idx, cum) in enumerate(_dp_tables(p.dp_cum_by_muni)):
        sel = muni == m
        k = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(idx) - 1)
        dp[sel] = idx[k]
    return dp


@functools.lru_cache(maxsize=8)
def _access_tables(access_cum: tuple, access_site: tuple) -> list:
    """Per demand point: (cumulative shares, one-way minutes, site indices or None) as arrays."""
    return [
        (np.array(cum), np.array(minutes), np.array(access_site[i], dtype=np.int64) if access_site else None)
        for i, (cum, minutes) in enumerate(access_cum)
    ]


def _pick_site(p: SimParams, dp: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's face-to-face site: one-way minutes and index in ``p.sites`` (-1: none)."""
    out = np.zeros(len(u))
    site = np.full(len(u), -1, dtype=np.int64)
    tables = _access_tables(p.access_cum, p.access_site)
    for (cum, minutes, sites), sel in zip(tables, _slices(dp, len(tables)), strict=True):
        if len(sel) and len(minutes):
            k = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(minutes) - 1)
            out[sel] = minutes[k]
            if sites is not None:
                site[sel] = sites[k]
    return out, site


def _age(p: SimParams, muni: np.ndarray, line: np.ndarray, u: np.ndarray) -> np.ndarray:
    cum = p.age_cum[muni, line]
    return np.minimum((u[:, None] >= cum).sum(axis=1), len(AGE_GROUPS) - 1).astype(np.int64)


def _attributes(p: SimParams, muni: np.ndarray, line: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """Foreign nationality and partial work ability from the attribute stream's uniforms ``a``."""
    if len(a) == 0:
        return {"foreign": np.zeros(0, dtype=bool), "partially_able": np.zeros(0, dtype=bool)}
    return {
        "foreign": a[:, 0] < p.foreign_prob[muni, line],
        "partially_able": a[:, 1] < p.partially_able_prob[muni, line],
    }


def base_rates(p: SimParams, muni: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Each customer's base exit hazard per month in the bands 0-3, 3-12, 12+ ([customer, band]):
    municipality × line, calibrated."""
    return p.hazard[muni, line].reshape(len(line), 3)


def _exit(reg: np.ndarray, elapsed: np.ndarray, rate: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Exit time: the spell at which the cumulative hazard (``rate``: :func:`base_rates`) has grown
    by ``e`` beyond its value at ``elapsed``."""
    r = rate[:, 0], rate[:, 1], rate[:, 2]
    spell = inv_cum_hazard(cum_hazard(elapsed, r) + e, r)
    return reg + (spell - elapsed) * DAYS_PER_MONTH


def draw_stock(
    p: SimParams, rng: np.random.Generator, rng_schedule: np.random.Generator, rng_attr: np.random.Generator
) -> Cohort:
    """The starting stock by municipality and line, long-term counts as in the plan's table."""
    start = 0.0  # the run's first day (the warm-up, if any, begins here)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("muni", "line", "lt", "u", "e")}
    for m in range(len(p.municipalities)):
        counts = p.stock_counts[m]
        line = np.repeat(np.arange(len(LINES)), counts)
        n = len(line)
        key = rng.random(n) - (line == MULTI)  # long-term unemployed are multi-sector customers first
        lt = np.zeros(n, dtype=bool)
        lt[np.argsort(key, kind="stable")[: int(p.long_term_counts[m])]] = True
        cols["muni"].append(np.full(n, m))
        cols["line"].append(line)
        cols["lt"].append(lt)
        cols["u"].append(rng.random((n, 5)))
        cols["e"].append(rng.standard_exponential(n))
    muni = np.concatenate(cols["muni"]).astype(np.int64)
    line = np.concatenate(cols["line"]).astype(np.int64)
    lt = np.concatenate(cols["lt"])
    u = np.concatenate(cols["u"])
    e = np.concatenate(cols["e"])
    attrs = _attributes(p, muni, line, rng_attr.random((len(line), 2)))
    elapsed = _elapsed(p, muni, line, lt, u[:, 0])
    reg = start - elapsed * DAYS_PER_MONTH
    dp = _pick_dp(p, muni, u[:, 1])
    minutes, site = _pick_site(p, dp, u[:, 3])
    phase = rng_schedule.random(len(line))
    first_phase = (-reg) < p.first_phase_days
    interval = np.where(first_phase, p.first_phase_interval_days, np.array(p.later_interval_days)[line])
    rate = base_rates(p, muni, line)
    return Cohort(
        reg=reg,
        exit=_exit(np.full(len(reg), start), elapsed, rate, e),
        muni=muni,
        line=line,
        dp=dp,
        minutes=minutes,
        remote=u[:, 2] < p.remote_share,
        age=_age(p, muni, line, u[:, 4]),
        **attrs,
        first_due=np.floor(start + phase * interval).astype(np.int64),
        source=np.full(len(line), Source.STOCK, dtype=np.int64),
        e=e,
        rate=rate,
        site=site,
    )


def draw_arrivals(p: SimParams, rng: np.random.Generator, rng_attr: np.random.Generator) -> Cohort:
    """New registrations over the run: envelope Poisson process per municipality, thinned."""
    cal = p.calendar
    n_days = cal.n_days
    parts: list[dict[str, np.ndarray]] = []
    for m in range(len(p.municipalities)):
        env = float(p.envelope_per_day[m])
        n = rng.poisson(env * n_days)
        t = np.sort(rng.random(n) * n_days)
        u = rng.random((n, 6))
        e = rng.standard_exponential(n)
        a = rng_attr.random((n, 2))
        day = t.astype(np.int64)
        rate_line = p.inflow_per_day[m]
        lam = rate_line.sum() * p.seasonality[cal.cal_month[day] - 1]
        keep = np.flatnonzero(u[:, 0] * env < lam)  # positions: one take per column, not a mask each
        u = u[keep]
        if rate_line.sum() > 0:
            cum = np.cumsum(rate_line / rate_line.sum())
            line = np.minimum(np.searchsorted(cum, u[:, 1], side="right"), len(LINES) - 1)
        else:
            line = np.zeros(len(keep), dtype=np.int64)
        muni = np.full(len(keep), m)
        parts.append({"t": t[keep], "u": u, "e": e[keep], "a": a[keep], "line": line, "muni": muni})
    return _cohort(p, parts, Source.INFLOW)


def draw_closures(p: SimParams, rng: np.random.Generator, rng_attr: np.random.Generator) -> Cohort:
    """Plant-closure registrations: spread over working days from the closure date."""
    cal = p.calendar
    parts: list[dict[str, np.ndarray]] = []
    gens = child_generators(rng, len(p.closures)) if p.closures else []
    attr_gens = child_generators(rng_attr, len(p.closures)) if p.closures else []
    for c, g, ga in zip(p.closures, gens, attr_gens, strict=True):
        j = g.integers(0, c.spread, c.n)
        k0 = int(cal.wd_upto[c.day - 1]) if c.day > 0 else 0
        idx = np.minimum(k0 + j, len(cal.wd_days) - 1)
        t = cal.wd_days[idx] + g.random(c.n)
        u = g.random((c.n, 6))
        e = g.standard_exponential(c.n)
        line = np.minimum(np.searchsorted(np.array(c.line_cum), u[:, 1], side="right"), len(LINES) - 1)
        part = {
            "t": t,
            "u": u,
            "e": e,
            "a": ga.random((c.n, 2)),
            "line": line,
            "muni": np.full(c.n, c.municipality),
        }
        if c.demand_point >= 0:
            part["dp"] = np.full(c.n, c.demand_point)
        parts.append(part)
    return _cohort(p, parts, Source.CLOSURE)


def draw_state_customers(p: SimParams, rng: np.random.Generator) -> Cohort:
    """The customer states' customers (customer_states.py): stock, then entries in time order."""

    def places(muni: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dp = _pick_dp(p, muni, u[:, 0])
        minutes, site = _pick_site(p, dp, u[:, 1])
        return dp, minutes, site

    cols = draw_states(p, rng, places)
    if cols is None:
        return _cohort(p, [], Source.INFLOW)
    return Cohort(**cols)


def _cohort(p: SimParams, parts: list[dict[str, np.ndarray]], source: Source) -> Cohort:
    if not parts or sum(len(x["t"]) for x in parts) == 0:
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        zb = np.zeros(0, dtype=bool)
        return Cohort(z, z, zi, zi, zi, z, zb, zi, zb, zb, zi, zi)
    t = np.concatenate([x["t"] for x in parts])
    u = np.concatenate([x["u"] for x in parts])
    e = np.concatenate([x["e"] for x in parts])
    a = np.concatenate([x["a"] for x in parts])
    line = np.concatenate([x["line"] for x in parts]).astype(np.int64)
    muni = np.concatenate([x["muni"] for x in parts]).astype(np.int64)
    dp = _pick_dp(p, muni, u[:, 2])
    fixed = np.concatenate([x.get("dp", np.full(len(x["t"]), -1)) for x in parts])
    dp = np.where(fixed >= 0, fixed, dp)
    order = np.argsort(t, kind="stable")
    minutes, site = _pick_site(p, dp, u[:, 4])
    rate = base_rates(p, muni, line)
    cohort = Cohort(
        reg=t,
        exit=_exit(t, np.zeros(len(t)), rate, e),
        muni=muni,
        line=line,
        dp=dp,
        minutes=minutes,
        remote=u[:, 3] < p.remote_share,
        age=_age(p, muni, line, u[:, 5]),
        **_attributes(p, muni, line, a),
        first_due=np.full(len(t), -1, dtype=np.int64),
        source=np.full(len(t), source, dtype=np.int64),
        e=e,
        rate=rate,
        site=site,
    )
    return Cohort(*(_take(getattr(cohort, f), order) for f in cohort.__dataclass_fields__))


def _take(column: np.ndarray | None, order: np.ndarray) -> np.ndarray | None:
    return None if column is None else column[order]


def draw_rosters(p: SimParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each person's status per day [person, day] (:mod:`resurssimalli.simulate.roster`) and the
    capacity factor per day (vacancies).

    Summer leave is the plan's (``p.planned_leave``: the rota or the leave optimiser's) or, for
    ``july`` and ``staggered``, a block at a random start; other absence is random on every
    working day outside it, and a shortage adds sick leave and leaves ``vacancy_share`` of the
    capacity unfilled. Each person draws from their own stream keyed by (area, ordinal), so a person
    keeps their absences when another area grows or shrinks (common random numbers across plans).
    """
    cal = p.calendar
    n_days = len(cal.working)
    extra, factor = np.zeros(n_days), np.ones(n_days)
    days = np.arange(n_days)
    for s in p.shortages:
        on = (days >= s.start_day) & (days < s.end_day)
        extra = np.where(on, extra + s.extra_sick_leave_share, extra)
        factor = np.where(on, factor * (1 - s.vacancy_share), factor)
    root = int(rng.integers(2**63))  # one draw whatever the number of people
    status = np.empty((p.n_people, n_days), dtype=np.int8)
    for x, key in enumerate(person_keys(p)):
        r = np.random.default_rng([root, *key])
        u = r.random(n_days)
        leave = np.zeros(n_days, dtype=bool)
        if p.planned_leave is not None:
            leave[: p.planned_leave.shape[1]] = p.planned_leave[x, :n_days]
        elif p.summer_leave_days > 0:
            leave[random_block(r, cal.sim_start, n_days, p.summer_leave, p.summer_leave_days)] = True
        status[x] = statuses(cal.working, leave, u, p.other_share, extra)
    return status, factor


def person_keys(p: SimParams) -> list[tuple[int, int]]:
    """Each person's identity as (area, ordinal in the area): the key of their own roster stream."""
    return [(int(a), int(k)) for a, k in zip(p.person_area, p.person_ordinal, strict=True)]


def draw_employer_requests(p: SimParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Employer service requests: (times, municipality), Poisson per municipality."""
    n_days = p.calendar.n_days
    ts, ms = [], []
    for m, rate in enumerate(p.employer_requests_per_day):
        n = rng.poisson(float(rate) * n_days)
        ts.append(rng.random(n) * n_days)
        ms.append(np.full(n, m, dtype=np.int64))
    t = np.concatenate(ts)
    mm = np.concatenate(ms)
    order = np.argsort(t, kind="stable")
    return t[order], mm[order]
