"""Replications: the pure per-replication function, a process pool for ``--jobs`` and the
replication algorithm of Hoad, Robinson & Davies (2010) for ``--precision``.

``run_replication`` is top-level, picklable and deterministic: a later stage's sweeps (Dask)
call it directly. Results never depend on ``jobs``: each replication draws only from its own
``SeedSequence([root_seed, replication])`` streams and the tables are sorted by replication.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import gc
import logging
import math
import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.executors import executor
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.scenario.load import Scenario
from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.calendar import SimCalendar
from resurssimalli.simulate.kpis import COLUMNS, customer_table, kpi_rows, rows_frame
from resurssimalli.simulate.model import ReplicationOutput, simulate_replication
from resurssimalli.simulate.outcome_kpis import outcome_rows
from resurssimalli.simulate.params import SimParams, build_params
from resurssimalli.simulate.staff_tables import posts_frame, roster_frame
from resurssimalli.simulate.staffing import unplaced_htv
from resurssimalli.simulate.stats import relative_half_width, summarise, summarise_periods

log = logging.getLogger(__name__)
# KPIs (group "all") whose relative CI half-width --precision controls.
PRECISION_KPIS = (
    "initial_interview_on_time_share",
    "initial_interview_wait_days_mean",
    "staff_utilisation",
    "stock",
    "spells_past_3_months_share",
    "customer_travel_minutes",
)
HOAD_INITIAL = 3  # replications run before the first precision check
HOAD_K_LIMIT = 5  # look-ahead: the precision must hold over this many further replications
SEED_SCHEME = (
    "numpy SeedSequence([seed, replication]).spawn(16): one stream per activity, spares reserved; "
    "the scenario is not part of the seed"
)
EVENT_COLUMNS = ["scenario", "replication", "time_days", "date", "customer", "event", "detail"]


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off while one replication runs: its tens of thousands of
    long-lived objects (customers, queue entries) would otherwise trigger collections that walk
    every object of the process. The run leaves no reference cycle behind (``Office.close``), so
    its objects are freed by reference counting when the replication's output is dropped."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def run_params(
    p: SimParams, replication: int, root_seed: int, event_log: bool = False, staff_tables: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict, dict[str, pd.DataFrame]]:
    """KPIs (and the event log if asked), run statistics and the staff's tables (``posts``,
    ``roster``: :mod:`resurssimalli.simulate.staff_tables`; empty without ``staff_tables``: a
    simulation whose tables nobody writes does not send them back) of one replication."""
    with _collector_paused():
        t0 = time.perf_counter()
        out = simulate_replication(p, replication, root_seed, event_log)
        seconds = time.perf_counter() - t0
        kpis = rows_frame(p, kpi_rows(p, out) + outcome_rows(p, out), replication)
        events = _events_frame(p, out, replication) if out.events is not None else None
        staff = {"posts": posts_frame(p, out, replication), "roster": roster_frame(p, out, replication)} if (
            staff_tables
        ) else {}
        stats = {
            "replication": replication,
            "seconds": seconds,
            "customers": len(out.customers),
            "meetings": out.meetings,
            "employer_requests": out.employer_requests,
            "events": 2 * len(out.customers) + out.meetings + out.employer_requests,
        }
        # freed now, by reference counting: alive when the collector is back, its first pass
        # would walk every customer and queue entry of the run
        del out
    return kpis, events, stats, staff


def _events_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    cal = p.calendar
    events = pd.DataFrame(out.events, columns=["time_days", "customer", "event", "detail"])
    events["date"] = [cal.date(int(t)) for t in events["time_days"]]
    events.insert(0, "replication", replication)
    events.insert(0, "scenario", p.scenario)
    return events[EVENT_COLUMNS]


def run_replication(
    scenario: Scenario, allocation: Allocation, replication: int, root_seed: int, months: int | None = None
) -> pd.DataFrame:
    """One replication's KPI table (``scenario, replication, month, kpi, group, value``)."""
    p = build_params(scenario, allocation, months)
    return run_params(p, replication, root_seed, staff_tables=False)[0]


def replication_customers(
    scenario: Scenario, allocation: Allocation, replication: int, root_seed: int, months: int | None = None
) -> tuple[SimParams, pd.DataFrame]:
    """The per-customer table of one replication (for checks such as Little's law)."""
    p = build_params(scenario, allocation, months)
    return p, customer_table(p, simulate_replication(p, replication, root_seed))


def _task(
    args: tuple[SimParams, int, int, bool] | tuple[SimParams, int, int, bool, bool],
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict, dict[str, pd.DataFrame]]:
    return run_params(*args)


def _ready() -> None:
    """A worker's first task, which starts it: forked from the fork server, the simulation is
    imported already; spawned (no fork server), unpickling this imports it."""


def start_workers(ex: cf.Executor, jobs: int) -> None:
    """Start a process pool's workers now (they start on demand) while the caller goes on, e.g.
    optimising, before the replications are submitted. A worker's start waits for the fork
    server's imports (:mod:`resurssimalli.executors`), so a thread waits for it, not the caller;
    the caller's own next task waits for the pool as it would anyway."""
    threading.Thread(target=_submit_ready, args=(ex, jobs), name="start-workers", daemon=True).start()


def _submit_ready(ex: cf.Executor, jobs: int) -> None:
    try:
        for _ in range(jobs):
            ex.submit(_ready)
    except Exception:  # noqa: BLE001 - the pool was shut down or broke first, or its fork server
        pass  # died (EOFError, OSError, e.g. on Ctrl-C): the caller hears of it from its own tasks


def _stock_text(scenario: Scenario) -> str:
    """The starting stock in words: the official snapshot a scenario names, else the plan's stock."""
    js = scenario.config.demand.jobseekers
    if js is not None and js.use == "counts":
        return f"the unemployed of the job-seeker snapshot {js.month} (StatFin 12r5)"
    return f"the {scenario.config.demand.stock_period} stock"


def _warm_up_text(cal: SimCalendar, stock: str = "the 2023-07 stock") -> str:
    if cal.warm_up_days == 0:
        return f"none: the run starts on the horizon start from {stock} (with elapsed spells)"
    return (
        f"{cal.warm_up_days} days: {stock} is placed on {cal.sim_start}; "
        f"KPIs count from {cal.horizon_start}"
    )


class _Pool:
    """Runs batches of replications on one executor (:mod:`resurssimalli.executors`), in order.

    One pool serves every scenario of a call and is started once; results come back in the order
    asked, whatever finished first, so they never depend on ``jobs``.
    """

    def __init__(self, ex: cf.Executor, jobs: int) -> None:
        self.ex = ex
        self.jobs = jobs

    def run(self, p: SimParams, reps: list[int], seed: int, event_log: bool) -> list:
        return self.run_many([(p, r, seed, event_log) for r in reps])

    def run_many(
        self, args: Iterable[tuple[SimParams, int, int, bool]], progress: ProgressFn | None = None
    ) -> list:
        """``run_params(*a)`` for every argument tuple, each submitted as it comes; results in
        the order given."""
        futures = [self.ex.submit(_task, a) for a in args]
        for done, fut in enumerate(cf.as_completed(futures), start=1):
            fut.result()  # raise the first failure at once
            tick(progress, "simulate", done, len(futures))
        return [f.result() for f in futures]


def _precision_met(kpis: pd.DataFrame, precision: float) -> tuple[bool, dict[str, float]]:
    allk = kpis[(kpis["group"] == "all") & kpis["kpi"].isin(PRECISION_KPIS)]
    per_rep = allk.groupby(["kpi", "replication"])["value"].mean()
    widths = {k: relative_half_width(per_rep.loc[k].to_numpy()) for k in PRECISION_KPIS if k in per_rep.index}
    return all(w <= precision for w in widths.values()), widths


@dataclass
class SimulationResult:
    """KPIs of all replications, their summary, and how they were obtained."""

    scenario: Scenario
    params: SimParams
    kpis: pd.DataFrame
    replications: int
    seed: int
    jobs: int
    precision: float | None
    precision_widths: dict[str, float]
    run_stats: list[dict]
    events: pd.DataFrame | None = None
    allocation_source: str = ""
    unplaced_htv: float = 0.0  # budget HTV the fixed plan does not place (not simulated)
    # per replication: every person's minutes by kind of work, and their status day by day
    posts: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """The KPIs over replications (:func:`~resurssimalli.simulate.stats.summarise`), worked out
        when first asked for: ``run`` asks only for its own scenario's, not the compared ones'."""
        return summarise(self.kpis)

    def manifest(self) -> dict[str, Any]:
        cal = self.params.calendar
        secs = [s["seconds"] for s in self.run_stats]
        events = sum(s["events"] for s in self.run_stats)
        return {
            "replications": self.replications,
            "seed": self.seed,
            "seed_scheme": SEED_SCHEME,
            "jobs": self.jobs,
            "precision": self.precision,
            "precision_relative_half_widths": self.precision_widths,
            "confidence": 0.95,
            "months": cal.months,
            "simulated_from": str(cal.sim_start),
            "kpis_from": str(cal.horizon_start),
            "warm_up": _warm_up_text(cal, _stock_text(self.scenario)),
            "warm_up_days": cal.warm_up_days,
            "allocation": self.allocation_source,
            "people": self.params.n_people,
            "coaches": self.params.n_coaches,
            "unplaced_htv": self.unplaced_htv,
            "event_log": self.events is not None,
            "seconds_per_replication_median": sorted(secs)[len(secs) // 2] if secs else None,
            "simulated_events": events,
        }

    def write(self, rf: Any) -> None:
        """Write kpis.parquet, summary.csv (+ events.parquet) and the manifest entry.

        Figures belong to the report (:mod:`resurssimalli.report.figures`), drawn once with the memo.
        """
        rf.write_parquet("kpis.parquet", self.kpis)
        rf.write_csv("summary.csv", summarise_periods(self.kpis))
        if self.posts is not None:
            rf.write_csv("posts.csv", self.posts)
        if self.roster is not None:
            rf.write_parquet("roster.parquet", self.roster)
        if self.events is not None:
            rf.write_parquet("events.parquet", self.events)
        rf.extra["simulation"] = self.manifest()


def _check_options(jobs: int, replications: int | None, precision: float | None, seed: int) -> None:
    if jobs < 1:
        raise InputError("--jobs", "jobs", f"a positive number of processes, got {jobs}")
    if replications is not None and replications < 1:
        raise InputError("--replications", "replications", f"at least 1, got {replications}")
    if precision is not None and not 0 < precision < 1:
        raise InputError(
            "--precision", "precision", f"a relative half-width between 0 and 1, got {precision}"
        )
    if seed < 0:
        raise InputError("--seed", "seed", f"a non-negative integer, got {seed}")


def _result(
    scenario: Scenario, p: SimParams, results: list, seed: int, jobs: int, allocation: Allocation,
    precision: float | None = None, widths: dict[str, float] | None = None,
) -> SimulationResult:
    """Assemble one scenario's replications (in replication order) into a result."""
    staff = all(r[3] for r in results)
    kpis = pd.concat([r[0] for r in results], ignore_index=True)[COLUMNS]
    logged = [r[1] for r in results if r[1] is not None]
    return SimulationResult(
        scenario=scenario,
        params=p,
        kpis=kpis,
        replications=len(results),
        seed=seed,
        jobs=jobs,
        precision=precision,
        precision_widths=widths or {},
        run_stats=[r[2] for r in results],
        events=pd.concat(logged, ignore_index=True) if logged else None,
        allocation_source=allocation.source,
        unplaced_htv=unplaced_htv(scenario, allocation),
        posts=pd.concat([r[3]["posts"] for r in results], ignore_index=True) if staff else None,
        roster=pd.concat([r[3]["roster"] for r in results], ignore_index=True) if staff else None,
    )


def simulate(
    scenario: Scenario,
    allocation: Allocation,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    months: int | None = None,
    precision: float | None = None,
    event_log: bool = False,
    progress: ProgressFn | None = None,
    pool: cf.Executor | None = None,
) -> SimulationResult:
    """Run replications of a scenario on an allocation (data: see :class:`Allocation`).

    The simulation never optimises; "optimise, then simulate" is :func:`resurssimalli.pipeline.plan_for`.

    ``precision`` (relative CI half-width, e.g. 0.02) picks the number of replications by the
    replication algorithm of Hoad et al. (2010), at most ``simulation.max_replications``;
    otherwise ``replications`` (default ``simulation.replications``) are run. ``pool``: an executor
    the caller started and keeps (:func:`start_workers`); else one is started here.
    """
    if precision is None:
        return simulate_many(
            [scenario], allocation, replications=replications, seed=seed, jobs=jobs, months=months,
            event_log=event_log, progress=progress, pool=pool,
        )[scenario.name]
    cfg = scenario.config.simulation
    seed = scenario.seed if seed is None else seed
    _check_options(jobs, replications, precision, seed)
    p = build_params(scenario, allocation, months)
    with executor("processes", jobs) if pool is None else contextlib.nullcontext(pool) as ex:
        results = _hoad(_Pool(ex, jobs), p, seed, event_log or cfg.event_log, precision, cfg.max_replications)
    kp = pd.concat([r[0] for r in results], ignore_index=True)
    return _result(scenario, p, results, seed, jobs, allocation, precision, _precision_met(kp, precision)[1])


def simulate_many(
    scenarios: Sequence[Scenario],
    allocation: Allocation,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    months: int | None = None,
    event_log: bool = False,
    progress: ProgressFn | None = None,
    pool: cf.Executor | None = None,
) -> dict[str, SimulationResult]:
    """Every scenario × replication on one pool, started once; results by scenario name.

    The first scenario's seed and replication count apply to all (common random numbers: the
    same replication of every scenario draws from the same streams). ``pool``: an executor the
    caller started (:func:`start_workers`), used and left open; else one is started here.
    """
    kw = {"replications": replications, "seed": seed, "jobs": jobs, "months": months, "event_log": event_log}
    if pool is not None:
        return submit_many(scenarios, allocation, pool, **kw).results(progress)  # type: ignore[arg-type]
    with executor("processes", jobs) as ex:
        return submit_many(scenarios, allocation, ex, **kw).results(progress)  # type: ignore[arg-type]


@dataclass
class Submitted:
    """Replications handed to a pool (:func:`submit_many`), not waited for: the caller does other
    work (a leave plan, the next scenarios' tasks) while the workers simulate, then asks for
    :meth:`results`."""

    scenarios: Sequence[Scenario]
    allocation: Allocation
    params: list[SimParams]
    futures: list[cf.Future]
    replications: int
    seed: int
    jobs: int

    def results(self, progress: ProgressFn | None = None) -> dict[str, SimulationResult]:
        """Every scenario's result by name, once all its replications are back (in the order asked,
        whatever finished first, so they never depend on ``jobs``)."""
        wait_all([self], progress)
        results = [f.result() for f in self.futures]
        self.futures = []  # taken: the tables are the results' now, not held twice
        n = self.replications
        return {
            s.name: _result(s, p, results[i * n : (i + 1) * n], self.seed, self.jobs, self.allocation)
            for i, (s, p) in enumerate(zip(self.scenarios, self.params, strict=True))
        }


def wait_all(submitted: Sequence[Submitted], progress: ProgressFn | None = None) -> None:
    """Wait for every replication of ``submitted``, ticking stage ``"simulate"`` over all of them;
    the first failure is raised at once."""
    futures = [f for sub in submitted for f in sub.futures]
    for done, fut in enumerate(cf.as_completed(futures), start=1):
        fut.result()
        tick(progress, "simulate", done, len(futures))


def submit_many(
    scenarios: Sequence[Scenario],
    allocation: Allocation,
    pool: cf.Executor,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    months: int | None = None,
    event_log: bool = False,
    staff_tables: Collection[str] | None = None,
) -> Submitted:
    """:func:`simulate_many`'s tasks submitted to ``pool`` (each scenario's as soon as its parameters
    are built), returned at once; :meth:`Submitted.results` waits for them. ``staff_tables``: the
    scenarios (by name) whose staff tables come back (``posts``, ``roster``; None: every one's)."""
    if not isinstance(allocation, Allocation):
        raise InputError("simulate", "allocation", f"an Allocation, got {type(allocation).__name__}")
    first = scenarios[0]
    seed = first.seed if seed is None else seed
    n = replications if replications is not None else first.config.simulation.replications
    _check_options(jobs, n, None, seed)
    params: list[SimParams] = []
    futures: list[cf.Future] = []
    for s in scenarios:
        params.append(p := build_params(s, allocation, months))
        logged = event_log or s.config.simulation.event_log
        staff = staff_tables is None or s.name in staff_tables
        futures += [pool.submit(_task, (p, r, seed, logged, staff)) for r in range(n)]
    return Submitted(scenarios, allocation, params, futures, n, seed, jobs)


def _scalars(kpis: pd.DataFrame) -> dict[str, float]:
    allk = kpis[(kpis["group"] == "all") & kpis["kpi"].isin(PRECISION_KPIS)]
    return allk.groupby("kpi")["value"].mean().to_dict()


def _k_limit(n: int) -> int:
    return HOAD_K_LIMIT if n <= 100 else math.ceil(n / 100 * HOAD_K_LIMIT)


def hoad_decision(values: list[dict[str, float]], precision: float) -> int | None:
    """The replication number the algorithm settles on, or None if more are needed.

    Scans n = 3, 4, ... in order (so the answer never depends on how many ran in parallel): the
    solution is the first n at which every precision KPI's relative 95 % CI half-width is at most
    ``precision`` and stays so for the following k_limit replications (Hoad et al. 2010).
    """
    keys = sorted({k for v in values for k in v})
    solution: int | None = None
    for n in range(HOAD_INITIAL, len(values) + 1):
        met = all(relative_half_width([v.get(k, math.nan) for v in values[:n]]) <= precision for k in keys)
        solution = (solution or n) if met else None
        if solution is not None and n >= solution + _k_limit(solution):
            return solution
    return None


def _hoad(pool: _Pool, p: SimParams, seed: int, event_log: bool, precision: float, n_max: int) -> list:
    """Run replications until :func:`hoad_decision` settles or ``n_max`` is reached."""
    results = pool.run(p, list(range(min(HOAD_INITIAL, n_max))), seed, event_log)
    values = [_scalars(r[0]) for r in results]
    while True:
        solution = hoad_decision(values, precision)
        if solution is not None:
            log.info("precision %.3g reached with %d replications", precision, solution)
            return results[:solution]
        n = len(results)
        if n >= n_max:
            log.warning(
                "precision %.3g not reached within simulation.max_replications = %d", precision, n_max
            )
            return results
        batch = pool.run(p, list(range(n, min(n + max(pool.jobs, 2), n_max))), seed, event_log)
        results += batch
        values += [_scalars(r[0]) for r in batch]
