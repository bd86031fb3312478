"""Sweeps: the grid scenarios × replications, on any executor, resumable.

Each task is ``run_replication(scenario, allocation, replication, seed)`` — a pure function —
so the tables are identical whichever executor ran them. Finished tasks are stored one file
each (:mod:`resurssimalli.experiment.store`); ``resume`` recomputes only what is missing. The
plan under test (allocation, sites, access) is stored in the sweep folder at the start, so a
resumed sweep tests exactly the same plan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError, ResurssimalliError, RunFolderExists
from resurssimalli.executors import Kind, executor, run_all
from resurssimalli.experiment.compare import paired_comparison
from resurssimalli.experiment.store import TaskStore
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.reading import existing_dir, read_csv
from resurssimalli.runs import RESULTS_DIR, atomic_write, build_manifest, utc_now
from resurssimalli.safety import slug, write_csv
from resurssimalli.scenario.load import Scenario, check_distinct
from resurssimalli.simulate.allocation import ACCESS_COLUMNS, ALLOCATION_COLUMNS, SITES_COLUMNS, Allocation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One cell of the grid. Everything a worker needs travels with it (picklable)."""

    scenario: Scenario
    allocation: Allocation
    replication: int
    seed: int
    months: int | None = None

    @property
    def key(self) -> str:
        return task_key(self.scenario.name, self.replication)

    def describe(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "replication": self.replication, "seed": self.seed}


def _workers(kind: Kind, jobs: int | None, scheduler: str | None) -> int:
    """How many workers share the tasks (a remote cluster's size is not known here: as local)."""
    from resurssimalli.executors import default_jobs

    return 1 if kind == "serial" and not scheduler else jobs or default_jobs()


def task_key(scenario: str, replication: int) -> str:
    """A task's file name stem: a slug of the scenario name (never a path) + a hash keeping it unique."""
    digest = hashlib.sha256(scenario.encode("utf-8")).hexdigest()[:8]
    return f"{slug(scenario)}-{digest}__r{replication:05d}"


def simulate_task(task: Task) -> pd.DataFrame:
    """The default task: one replication of the simulation (top level, so it pickles)."""
    from resurssimalli.simulate import run_replication

    return run_replication(task.scenario, task.allocation, task.replication, task.seed, task.months)


@dataclass(frozen=True)
class Batch:
    """Replications of one scenario on one plan, run as one task: the scenario and plan travel to
    the worker once, and its parameters are built once (:func:`simulate_batch`)."""

    tasks: tuple[Task, ...]

    @property
    def key(self) -> str:
        return self.tasks[0].key


def simulate_batch(batch: Batch) -> list[tuple[bool, Any]]:
    """Each task's :func:`simulate_task` table, on parameters built once: ``(True, table)``, or
    ``(False, exception)`` for a replication that raised (the others still run). The same tables
    as task by task: a replication draws from its own seed's streams only. The staff's tables
    (posts, roster) are not built: a sweep keeps the KPIs only (building them was ~0.9 of the
    45 areas' sweep's 33 CPU-s)."""
    from resurssimalli.simulate.params import build_params
    from resurssimalli.simulate.runner import run_params

    first = batch.tasks[0]
    try:
        p = build_params(first.scenario, first.allocation, first.months)
    except Exception as exc:  # noqa: BLE001 - every task of the batch fails with it, reported per task
        return [(False, exc)] * len(batch.tasks)
    out: list[tuple[bool, Any]] = []
    for t in batch.tasks:
        try:
            out.append((True, run_params(p, t.replication, t.seed, staff_tables=False)[0]))
        except Exception as exc:  # noqa: BLE001 - reported per task by the caller
            out.append((False, exc))
    return out


def batches(tasks: Sequence[Task], jobs: int) -> list[Batch]:
    """``tasks`` as batches, in the order of each batch's first task: replications of one scenario
    on one plan (the same objects) together, each batch at most half the remaining tasks' share of
    a worker (guided self-scheduling): large batches first, single tasks at the end, so the workers
    still share the grid's tail."""
    groups: dict[tuple[int, int, int | None], list[Task]] = {}
    for t in tasks:
        groups.setdefault((id(t.scenario), id(t.allocation), t.months), []).append(t)
    out: list[Batch] = []
    left = len(tasks)
    for group in groups.values():
        i = 0
        while i < len(group):
            size = min(len(group) - i, max(1, math.ceil(left / (2 * max(1, jobs)))))
            out.append(Batch(tuple(group[i : i + size])))
            i, left = i + size, left - size
    return out


def _run_batched(
    ex: Any,
    tasks: Sequence[Task],
    task_fn: Callable[[Task], pd.DataFrame],
    jobs: int,
    on_result: Callable[[Task, pd.DataFrame], None],
    on_error: Callable[[Task, BaseException], None],
) -> None:
    """``task_fn`` on every task; the default task (a simulation) goes in :func:`batches`."""
    if task_fn is not simulate_task:
        run_all(ex, task_fn, tasks, on_result, on_error)
        return

    def done(batch: Batch, results: list[tuple[bool, Any]]) -> None:
        for t, (ok, value) in zip(batch.tasks, results, strict=True):
            (on_result if ok else on_error)(t, value)

    def failed(batch: Batch, exc: BaseException) -> None:  # the batch itself did not come back
        for t in batch.tasks:
            on_error(t, exc)

    run_all(ex, simulate_batch, batches(tasks, jobs), done, failed)


def grid(
    scenarios: Sequence[Scenario],
    allocation: Allocation,
    replications: int,
    seed: int,
    months: int | None = None,
) -> list[Task]:
    """Every (scenario, replication) task; the seed is shared, never derived from the scenario."""
    return [Task(s, allocation, r, seed, months) for s in scenarios for r in range(replications)]


def run_grid(
    tasks: Sequence[Task],
    *,
    kind: Kind = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    task_fn: Callable[[Task], pd.DataFrame] = simulate_task,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Run tasks in memory (no store) and return their tables in task order; raise on any failure.
    ``progress`` hears stage ``"simulate"`` as each task finishes."""
    results: dict[str, pd.DataFrame] = {}
    failures: list[dict[str, Any]] = []

    def on_done(t: Task, df: pd.DataFrame) -> None:
        results[t.key] = df
        tick(progress, "simulate", len(results), len(tasks))

    def on_error(t: Task, exc: BaseException) -> None:
        failures.append({**t.describe(), "error": f"{type(exc).__name__}: {exc}"})

    with executor(kind, jobs, scheduler) as ex:
        _run_batched(ex, tasks, task_fn, _workers(kind, jobs, scheduler), on_done, on_error)
    if failures:
        raise SweepIncomplete(Path("<memory>"), failures, len(tasks))
    return pd.concat([results[t.key] for t in tasks], ignore_index=True)


@dataclass
class SweepResult:
    folder: Path
    kpis: pd.DataFrame
    comparison: pd.DataFrame
    errors: list[dict[str, Any]] = field(default_factory=list)
    computed: int = 0
    reused: int = 0


def _plan(scenarios: Sequence[Scenario], replications: int, seed: int, months: int | None) -> dict[str, Any]:
    return {
        "scenarios": {s.name: s.hash for s in scenarios},
        "replications": replications,
        "seed": seed,
        "months": months,
    }


def _save_allocation(folder: Path, allocation: Allocation) -> None:
    for name, df in (
        ("allocation", allocation.allocation),
        ("sites", allocation.sites),
        ("access", allocation.access),
    ):
        path = folder / f"{name}.csv"
        if not path.exists():
            atomic_write(path, lambda p, df=df: write_csv(df, p))


def _check_names(scenarios: Sequence[Scenario]) -> None:
    if not scenarios:
        raise InputError("sweep", "SCENARIO", "at least one scenario")
    check_distinct(scenarios, "sweep")
    regions = {s.region.data_dir for s in scenarios}  # one plan is simulated: one region's places
    if len(regions) > 1:
        raise InputError(
            "sweep", "SCENARIO",
            f"scenarios of one region (one plan is simulated on all); got {len(regions)} regions: "
            "sweep each region pack on its own",
        )


def _resumed_store(folder: Path, plan: dict[str, Any]) -> tuple[Path, TaskStore, Allocation]:
    """An unfinished sweep folder: its task store and the plan it was started on.

    Every check is made before anything is written; a missing folder is never created.
    """
    existing_dir(folder, "a sweep folder to resume (from `resurssimalli sweep`)")
    if (folder / "manifest.json").exists():
        raise RunFolderExists(folder)
    store = TaskStore(folder, create=False)
    store.check_plan(plan)
    tables = (("allocation", ALLOCATION_COLUMNS), ("sites", SITES_COLUMNS), ("access", ACCESS_COLUMNS))
    frames = [read_csv(folder / f"{n}.csv", f"the sweep's {n} table", cols) for n, cols in tables]
    return folder, store, Allocation.from_frames(*frames, source=str(folder))


def _new_store(
    scenarios: Sequence[Scenario],
    plan: dict[str, Any],
    allocation: Allocation | None,
    out: Path | None,
) -> tuple[Path, TaskStore, Allocation]:
    """A new sweep folder ``out`` holding the plan under test (optimised now if none was given)."""
    if out is None:
        raise InputError("sweep", "out", "an output folder (out=...) for a new sweep, or resume=... for an old one")
    folder = claim_folder(Path(out))
    try:
        if allocation is None:
            from resurssimalli.pipeline import plan_for

            allocation = plan_for(scenarios[0]).allocation
    except BaseException:
        folder.rmdir()  # still empty: the claim is dropped
        raise
    store = TaskStore(folder)
    _save_allocation(folder, allocation)
    store.write_plan(plan)
    return folder, store, allocation


def _run_tasks(
    todo: list[Task],
    store: TaskStore,
    task_fn: Callable[[Task], pd.DataFrame],
    progress: ProgressFn | None,
    kind: Kind,
    jobs: int | None,
    scheduler: str | None,
) -> list[dict[str, Any]]:
    """Run the tasks, storing each result as it finishes; the failures, each with its task."""
    failures: list[dict[str, Any]] = []
    finished = 0

    def advance(message: str = "") -> None:
        nonlocal finished
        finished += 1
        tick(progress, "sweep", finished, len(todo), message)

    def on_result(task: Task, table: pd.DataFrame) -> None:
        store.save(task.key, table)
        advance()

    def on_error(task: Task, exc: BaseException) -> None:
        info = {
            **task.describe(),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(traceback.format_exception(exc)),
        }
        store.save_error(task.key, info)
        failures.append(info)
        log.warning("task failed: %s", info["error"])
        advance(
            f"task failed: scenario={task.scenario.name} replication={task.replication} "
            f"seed={task.seed}: {info['error']}"
        )

    tick(progress, "sweep", 0, len(todo))
    if todo:
        with executor(kind, jobs, scheduler) as ex:
            _run_batched(ex, todo, task_fn, _workers(kind, jobs, scheduler), on_result, on_error)
    return failures


def sweep(
    scenarios: Sequence[Scenario],
    replications: int,
    *,
    allocation: Allocation | None = None,
    seed: int | None = None,
    months: int | None = None,
    kind: Kind = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: Path | None = None,
    out: Path | None = None,
    task_fn: Callable[[Task], pd.DataFrame] = simulate_task,
    progress: ProgressFn | None = None,
    baseline: str | None = None,
) -> SweepResult:
    """Run (or resume) a sweep and write ``kpis.parquet``, ``comparison.csv`` and the manifest
    into ``out`` (a new folder; required unless ``resume`` names an interrupted sweep's folder):
    nothing is written into the current folder.

    Without ``allocation`` the first scenario is optimised first (:func:`resurssimalli.pipeline.plan_for`).
    ``progress`` is called after every finished or failed task (stage ``"sweep"``).
    """
    _check_names(scenarios)
    if (out is None) == (resume is None):
        raise InputError("sweep", "out", "either out= (a new folder) or resume= (an interrupted sweep's folder)")
    seed = scenarios[0].seed if seed is None else seed
    plan = _plan(scenarios, replications, seed, months)
    started = utc_now()
    if resume is not None:
        folder, store, allocation = _resumed_store(Path(resume), plan)
    else:
        folder, store, allocation = _new_store(scenarios, plan, allocation, out)
    allocation.check(scenarios[0])

    tasks = grid(scenarios, allocation, replications, seed, months)
    if resume is not None:
        store.check_tasks({t.key: t.describe() for t in tasks})
    done = store.done()
    todo = [t for t in tasks if t.key not in done]
    log.info("sweep %s: %d tasks, %d already done", folder, len(tasks), len(tasks) - len(todo))
    try:
        failures = _run_tasks(todo, store, task_fn, progress, kind, jobs, scheduler)
    except KeyboardInterrupt:
        raise SweepInterrupted(folder, len(store.done()), len(tasks)) from None

    kpis = store.combine([t.key for t in tasks])
    if failures:
        raise SweepIncomplete(folder, failures, len(tasks))
    names = [s.name for s in scenarios]
    base = baseline or ("baseline" if "baseline" in names else names[0])
    comparison = paired_comparison(kpis, base) if len(scenarios) > 1 else pd.DataFrame()
    _finish(folder, kpis, comparison, scenarios, plan, started, kind, jobs, scheduler, len(tasks) - len(todo))
    return SweepResult(folder, kpis, comparison, failures, computed=len(todo), reused=len(tasks) - len(todo))


class SweepIncomplete(ResurssimalliError):
    """Some tasks raised; the others are stored and the sweep can be resumed."""

    def __init__(self, folder: Path, failures: list[dict[str, Any]], total: int) -> None:
        self.failures = failures
        lines = "\n".join(
            f"  - scenario={f['scenario']} replication={f['replication']} seed={f['seed']}: {f['error']}"
            for f in failures
        )
        super().__init__(
            f"{folder}: {len(failures)} of {total} tasks failed (the others are stored):\n{lines}\n"
            f"fix the cause, then: resurssimalli sweep ... --resume {folder}"
        )


class SweepInterrupted(ResurssimalliError):
    """Ctrl-C: the finished tasks are stored; ``--resume`` continues."""

    exit_code = 130

    def __init__(self, folder: Path, done: int, total: int) -> None:
        super().__init__(
            f"{folder}: interrupted with {done} of {total} tasks stored; "
            f"continue with: resurssimalli sweep ... --resume {folder}"
        )


def claim_folder(folder: Path) -> Path:
    """Create the new sweep folder ``folder`` before any work (``mkdir`` is atomic: a folder, file
    or link already there, or another sweep's folder made a moment ago, is refused)."""
    from resurssimalli.runs import check_output_path, output_error

    check_output_path(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(folder)
    except FileExistsError:
        raise RunFolderExists(folder) from None
    except OSError as exc:
        raise output_error(folder, exc, "a sweep folder that can be created") from None
    return folder


def _finish(
    folder: Path,
    kpis: pd.DataFrame,
    comparison: pd.DataFrame,
    scenarios: Sequence[Scenario],
    plan: dict[str, Any],
    started: Any,
    kind: str,
    jobs: int | None,
    scheduler: str | None,
    reused: int,
) -> None:
    again = reused > 0  # a resumed sweep may have written these before it was stopped
    atomic_write(folder / "kpis.parquet", lambda p: kpis.to_parquet(p, index=False), replace=again)
    if not comparison.empty:
        atomic_write(folder / "comparison.csv", lambda p: write_csv(comparison, p), replace=again)
    extra = {
        "sweep": {
            **plan,
            "executor": "dask" if scheduler else kind,
            "jobs": jobs,
            "scheduler": scheduler,
            "tasks_reused_on_resume": reused,
        },
        "scenarios": {s.name: {"file": str(s.path), "hash_sha256": s.hash} for s in scenarios},
    }
    manifest = build_manifest(scenarios[0], "sweep", plan["seed"], started, folder, extra)
    atomic_write(
        folder / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=2, default=str))
    )


def default_sweep_folder(root: Path = RESULTS_DIR) -> Path:
    """``root/sweep-<UTC timestamp>`` (suffixed if taken): where the command line puts a sweep
    without ``--out``."""
    from resurssimalli.runs import default_run_path

    return default_run_path("sweep", root)
