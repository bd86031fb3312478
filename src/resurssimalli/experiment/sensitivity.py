"""Global sensitivity of the verdicts to the assumptions (SALib), resumable like a sweep.

The ranged assumptions of ``data/assumptions.csv`` (:mod:`.factors`) are varied together over
their ranges as scenario overrides: a Morris design (screening, the default: μ*, σ) or a Sobol
design (first-order and total indices with 95 % intervals). Every point is optimised and then
simulated on the same seed and replications (common random numbers), as one task on the
executors (:mod:`resurssimalli.executors`), its decision quantities stored as it finishes
(:class:`~resurssimalli.experiment.store.TaskStore`): ``resume`` computes only what is missing.
For the top assumptions of each verdict the range's ends are run one at a time (the tornado) and
the value at which the verdict flips is searched (:mod:`.flips`).

The folder gets ``sensitivity_factors.csv``, ``sensitivity_samples.csv``,
``sensitivity_indices.csv``, ``sensitivity_oat.csv``, ``sensitivity_flips.csv``, the scenario's
own plan and its simulation (so ``resurssimalli memo`` reads it as a run) and the manifest last.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resurssimalli.errors import InputError, ResurssimalliError, RunFolderExists
from resurssimalli.executors import Kind, executor, run_all
from resurssimalli.experiment import flips
from resurssimalli.experiment.factors import Factor, factors, overrides, set_overrides
from resurssimalli.experiment.sensitivity_eval import SITE_PREFIX, Point, evaluate
from resurssimalli.experiment.store import TaskStore
from resurssimalli.progress import ProgressFn, tick
from resurssimalli.reading import existing_dir, read_parquet
from resurssimalli.runs import RESULTS_DIR, atomic_write, build_manifest, utc_now
from resurssimalli.safety import write_csv
from resurssimalli.scenario.load import Scenario
from resurssimalli.tolerances import EFFECT_REL

log = logging.getLogger(__name__)
METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 4, "sobol": 64}  # Morris trajectories; Sobol base samples (a power of 2)
MORRIS_LEVELS = 4
TORNADO_TOP = 5  # factors per decision quantity run at their range's ends (the tornado's bars)
RESAMPLES = 200  # bootstrap resamples of the indices' confidence intervals
INDEX_COLUMNS = {
    "morris": ["mu_star", "mu_star_conf", "mu", "sigma"],
    "sobol": ["S1", "S1_conf", "ST", "ST_conf"],
}


@dataclass
class SensitivityResult:
    folder: Path
    factors: pd.DataFrame
    samples: pd.DataFrame
    indices: pd.DataFrame
    oat: pd.DataFrame
    flips: pd.DataFrame
    computed: int = 0
    reused: int = 0


@dataclass
class _Runner:
    """Runs points on the executor, storing each; counts what it computed and reused."""

    store: TaskStore
    kind: Kind
    jobs: int | None
    scheduler: str | None
    progress: ProgressFn | None
    stage: str = "sensitivity"
    computed: int = 0
    reused: int = 0
    _cache: dict[str, dict[str, float]] = field(default_factory=dict)

    def __call__(self, points: list[Point]) -> dict[str, dict[str, float]]:
        unique = list({p.key: p for p in points}.values())
        done = self.store.done()
        todo = [p for p in unique if p.key not in done]
        self.reused += len([p for p in unique if p.key in done and p.key not in self._cache])
        failures: list[dict[str, Any]] = []
        finished = 0

        def on_result(p: Point, table: pd.DataFrame) -> None:
            nonlocal finished
            self.store.save(p.key, table)
            finished += 1
            tick(self.progress, self.stage, finished, len(todo))

        def on_error(p: Point, exc: BaseException) -> None:
            failures.append({**p.describe(), "error": f"{type(exc).__name__}: {exc}"})

        tick(self.progress, self.stage, 0, len(todo))
        if todo:
            with executor(self.kind, self.jobs, self.scheduler) as ex:
                run_all(ex, evaluate, todo, on_result, on_error)
        self.computed += len(todo) - len(failures)
        if failures:
            raise SensitivityIncomplete(self.store.root, failures)
        return {p.key: self._load(p.key) for p in unique}

    def _load(self, key: str) -> dict[str, float]:
        if key not in self._cache:
            path = self.store.tasks / f"{key}.parquet"
            df = read_parquet(path, "a sensitivity point's table", POINT_COLUMNS)
            if set(df["scenario"].astype(str)) != {key}:
                raise InputError(path, "scenario", f"only {key!r} (this point's name)")
            self._cache[key] = dict(zip(df["kpi"].astype(str), df["value"].astype(float), strict=True))
        return self._cache[key]


POINT_COLUMNS = ("scenario", "replication", "kpi", "value")  # a point's stored table (one row per output)


def problem(factors_: Sequence[Factor]) -> dict[str, Any]:
    """SALib's problem: one variable per factor over its range."""
    return {
        "num_vars": len(factors_),
        "names": [f.name for f in factors_],
        "bounds": [[f.low, f.high] for f in factors_],
    }


def design(method: str, factors_: Sequence[Factor], samples: int, seed: int) -> np.ndarray:
    """The sample matrix (one row per point, one column per factor)."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    p = problem(factors_)
    if method == "morris":
        return morris_sample.sample(p, N=samples, num_levels=MORRIS_LEVELS, seed=seed)
    return sobol_sample.sample(p, samples, calc_second_order=False, scramble=True, seed=seed)


def analyse(
    method: str, factors_: Sequence[Factor], x: np.ndarray, y: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """Indices per output × factor, with ``importance`` (μ* or ST) and its ``rank`` (1 = most)."""
    frames = []
    for output in y.columns:
        values = y[output].to_numpy(dtype=float)
        if np.isnan(values).any():
            log.warning("output %s has missing values; left out of the indices", output)
            continue
        frames.append(_indices(method, factors_, x, values, seed).assign(output=output))
    if not frames:
        return pd.DataFrame(columns=["output", "factor", "key", "method", "importance", "rank"])
    out = pd.concat(frames, ignore_index=True)
    peak = out.groupby("output")["importance"].transform("max")
    out.loc[out["importance"] <= EFFECT_REL * peak, "importance"] = 0.0  # solver noise: no effect
    out["rank"] = out.groupby("output")["importance"].rank(method="min", ascending=False).astype(int)
    cols = ["output", "factor", "key", "method", "importance", "rank", *INDEX_COLUMNS[method]]
    return out[cols]


def _indices(
    method: str, factors_: Sequence[Factor], x: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    from SALib.analyze import morris, sobol

    p = problem(factors_)
    base = {"factor": p["names"], "key": [f.key for f in factors_], "method": method}
    if method == "morris":
        r = morris.analyze(p, x, y, num_levels=MORRIS_LEVELS, num_resamples=RESAMPLES, seed=seed)
        cols = {c: np.asarray(r[c], dtype=float) for c in INDEX_COLUMNS["morris"]}
        return pd.DataFrame({**base, **cols, "importance": cols["mu_star"]})
    if np.ptp(y) == 0:  # a constant output: no variance to apportion
        zeros = np.zeros(len(factors_))
        return pd.DataFrame({**base, **{c: zeros for c in INDEX_COLUMNS["sobol"]}, "importance": zeros})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = sobol.analyze(p, y, calc_second_order=False, num_resamples=RESAMPLES, seed=seed)
    cols = {c: np.asarray(r[c], dtype=float) for c in INDEX_COLUMNS["sobol"]}
    return pd.DataFrame({**base, **cols, "importance": cols["ST"]})


def _check(method: str, samples: int, replications: int, factors_: Sequence[Factor]) -> None:
    if method not in METHODS:
        raise InputError("--method", method, "morris or sobol")
    if samples < 2 or (method == "sobol" and samples & (samples - 1)):
        what = "a power of 2 of at least 2 (Sobol)" if method == "sobol" else "at least 2 trajectories"
        raise InputError("--samples", str(samples), what)
    if replications < 1:
        raise InputError("--replications", str(replications), "at least 1")
    if len(factors_) < 2:
        raise InputError("sensitivity", "factors", "at least two ranged assumptions to vary")


def _plan(scenario: Scenario, method: str, samples: int, reps: int, seed: int, months: int | None,
          factors_: Sequence[Factor], top: int, steps: int) -> dict[str, Any]:  # fmt: skip
    return {
        "scenarios": {scenario.name: scenario.hash},
        "replications": reps,
        "seed": seed,
        "months": months,
        "sensitivity": {
            "method": method,
            "samples": samples,
            "top": top,
            "steps": steps,
            "factors": [[f.name, f.path, f.kind, f.low, f.high] for f in factors_],
        },
    }


def _store(plan: dict[str, Any], resume: Path | None, out: Path | None) -> TaskStore:
    """A new folder ``out``, or the interrupted run ``resume`` (the same plan; nothing written
    before every check)."""
    if (out is None) == (resume is None):
        raise InputError(
            "sensitivity", "out", "either out= (a new folder) or resume= (an interrupted run's folder)"
        )
    if resume is not None:
        folder = Path(resume)
        existing_dir(folder, "a sensitivity folder to resume (from `resurssimalli sensitivity`)")
        if (folder / "manifest.json").exists():
            raise RunFolderExists(folder)
        store = TaskStore(folder, create=False)
        store.check_plan(plan)
        return store
    folder = Path(out)  # type: ignore[arg-type]
    if folder.exists():
        raise RunFolderExists(folder)
    store = TaskStore(folder)
    store.write_plan(plan)
    return store


def sensitivity(
    scenario: Scenario,
    *,
    method: str = "morris",
    samples: int | None = None,
    replications: int = 2,
    months: int | None = None,
    seed: int | None = None,
    factor_list: Sequence[Factor] | None = None,
    only: Sequence[str] | None = None,
    top: int = 3,
    steps: int = 5,
    kind: Kind = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: Path | None = None,
    out: Path | None = None,
    progress: ProgressFn | None = None,
) -> SensitivityResult:
    """Run (or resume) a sensitivity analysis of ``scenario`` into ``out`` (a new folder).

    ``factor_list`` replaces the table's factors (tests plant their own); ``only`` keeps the named
    ones. ``samples``: Morris trajectories or Sobol base samples. ``top``: factors per verdict
    whose flips are searched, with ``steps`` bisection steps each.
    """
    method = method.lower()
    samples = samples or DEFAULT_SAMPLES.get(method, 0)
    seed = scenario.seed if seed is None else seed
    fs = list(factor_list) if factor_list is not None else factors(scenario, only)
    _check(method, samples, replications, fs)
    started = utc_now()
    plan = _plan(scenario, method, samples, replications, seed, months, fs, top, steps)
    store = _store(plan, resume, out)
    runner = _Runner(store, kind, jobs, scheduler, progress)
    base_set = set_overrides(scenario)

    def point(xs: Mapping[str, float], simulate: bool) -> Point:
        ov = overrides(fs, [xs[f.name] for f in fs], base_set)
        return Point(str(scenario.path), ov, replications, seed, months, simulate)

    x = design(method, fs, samples, seed)
    try:
        pts = [point(dict(zip((f.name for f in fs), row, strict=True)), True) for row in x]
        res = runner(pts)
        y = pd.DataFrame([res[p.key] for p in pts])
        indices = analyse(method, fs, x, y, seed)
        verdicts = flips.verdicts(scenario, list(y.columns))
        picked = flips.chosen(verdicts, indices, top)
        names = _one_at_a_time_factors(fs, list(y.columns), indices, picked)
        runner.stage = "flips"
        oat, got = flips.one_at_a_time(fs, names, point, runner)
        flip_rows = flips.flip_values(fs, verdicts, picked, got, point, runner, steps)
    except KeyboardInterrupt:
        raise SensitivityInterrupted(store.root) from None
    samples_df = pd.concat([pd.DataFrame(x, columns=[f.name for f in fs]), y], axis=1)
    samples_df.insert(0, "sample", range(len(samples_df)))
    result = SensitivityResult(store.root, factor_table(fs), samples_df, indices, oat, flip_rows,
                               runner.computed, runner.reused)  # fmt: skip
    _finish(result, scenario, plan, started, (kind, jobs, scheduler), replications, months, seed)
    return result


def _one_at_a_time_factors(
    fs: Sequence[Factor], outputs: Sequence[str], indices: pd.DataFrame, picked: Mapping[str, list[str]]
) -> list[str]:
    """The factors run at their range's ends: each verdict's top ones and the tornado's
    (:data:`TORNADO_TOP` per quantity that is not a site), in the table's order."""
    quantities = [flips.Verdict(o, o, ">=", 0.0) for o in outputs if not o.startswith(SITE_PREFIX)]
    wanted = {n for names in (*picked.values(), *flips.chosen(quantities, indices, TORNADO_TOP).values())
              for n in names}  # fmt: skip
    return [f.name for f in fs if f.name in wanted]


def factor_table(fs: Sequence[Factor]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "factor": [f.name for f in fs],
            "key": [f.key for f in fs],
            "path": [f.path for f in fs],
            "range_kind": [f.kind for f in fs],
            "low": [f.low for f in fs],
            "high": [f.high for f in fs],
            "x_base": [f.base_x for f in fs],
            "base": [json.dumps(f.base, ensure_ascii=False, default=str) for f in fs],
            "options": [" | ".join(str(o) for o in f.options) for f in fs],
            "range_source": [f.range_source for f in fs],
        }
    )


def _finish(
    r: SensitivityResult,
    scenario: Scenario,
    plan: dict[str, Any],
    started: Any,
    how: tuple[Kind, int | None, str | None],
    replications: int,
    months: int | None,
    seed: int,
) -> None:
    """The tables, the scenario's own plan and simulation (the memo's run), the manifest last."""
    from resurssimalli.experiment.sweep import grid, run_grid
    from resurssimalli.optimize.api import FILES
    from resurssimalli.pipeline import plan_for
    from resurssimalli.simulate import Allocation
    from resurssimalli.simulate.stats import summarise_periods

    folder = r.folder
    tables = {
        "sensitivity_factors.csv": r.factors,
        "sensitivity_samples.csv": r.samples,
        "sensitivity_indices.csv": r.indices,
        "sensitivity_oat.csv": r.oat,
        "sensitivity_flips.csv": r.flips,
    }
    own = plan_for(scenario).optimised
    assert own is not None
    kind, jobs, scheduler = how
    alloc = Allocation.from_result(own, source=f"optimize({scenario.name})")
    kpis = run_grid(
        grid([scenario], alloc, replications, seed, months), kind=kind, jobs=jobs, scheduler=scheduler
    )
    tables |= {name: getattr(own, attr) for attr, name in FILES.items()}
    tables["summary.csv"] = summarise_periods(kpis)
    # replace: a run interrupted while these were written left some of them (no manifest yet)
    for name, df in tables.items():
        atomic_write(folder / name, lambda p, df=df: write_csv(df, p), replace=True)
    atomic_write(folder / "kpis.parquet", lambda p: kpis.to_parquet(p, index=False), replace=True)
    summary = json.dumps(dict(own.summary), indent=2, ensure_ascii=False, default=str)
    atomic_write(folder / "summary.json", lambda p: p.write_text(summary, encoding="utf-8"), replace=True)
    extra = {
        "sensitivity": {**plan["sensitivity"], "replications": replications, "months": months,
                        "executor": "dask" if scheduler else kind, "jobs": jobs,
                        "points_computed": r.computed, "points_reused": r.reused},
    }  # fmt: skip
    manifest = build_manifest(scenario, "sensitivity", seed, started, folder, extra)
    atomic_write(
        folder / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=2, default=str))
    )


class SensitivityIncomplete(ResurssimalliError):
    """Some points raised; the others are stored and the run can be resumed."""

    def __init__(self, folder: Path, failures: list[dict[str, Any]]) -> None:
        self.failures = failures
        lines = "\n".join(
            f"  - {json.dumps(f['overrides'], default=str)[:300]}: {f['error']}" for f in failures[:5]
        )
        super().__init__(
            f"{folder}: {len(failures)} points failed (the others are stored):\n{lines}\n"
            f"narrow the range in data/assumptions.csv or fix the cause, then: "
            f"resurssimalli sensitivity ... --resume {folder}"
        )


class SensitivityInterrupted(ResurssimalliError):
    exit_code = 130

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder}: interrupted; the finished points are stored; continue with: "
                         f"resurssimalli sensitivity ... --resume {folder}")  # fmt: skip


def default_folder(scenario: Scenario, root: Path = RESULTS_DIR) -> Path:
    from resurssimalli.runs import default_run_path

    return default_run_path(f"sensitivity-{scenario.name}", root)
