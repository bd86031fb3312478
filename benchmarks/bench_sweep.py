"""Sweep benchmark: a 200-task sweep (8 scenarios x 25 replications x 12 months) at 1 and 2
workers (process pool) and on a 2-worker Dask LocalCluster; parallel efficiency = T1 / (2 T2).

Medians of REPEATS runs measured side by side in one process run (``BENCH_REPEATS``, default 3).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from resurssimalli.experiment.sweep import grid, run_grid
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("baseline", "plant_closure", "recession", "ageing", "immigration", "digitalisation",
         "staff_shortage", "law_2026")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def main() -> None:
    scenarios = [load_scenario(ROOT / "scenarios" / f"{n}.yaml") for n in NAMES]
    alloc = Allocation.from_result(optimize(scenarios[0]))
    tasks = grid(scenarios, alloc, 25, scenarios[0].seed)
    print(f"{len(tasks)} tasks; repeats {REPEATS}; cores {os.cpu_count()}")
    configs = {"processes x1": ("processes", 1), "processes x2": ("processes", 2), "dask x2": ("dask", 2)}
    times: dict[str, list[float]] = {k: [] for k in configs}
    tables = {}
    for _ in range(REPEATS):
        for name, (kind, jobs) in configs.items():  # interleaved: side by side under the same load
            t0 = time.perf_counter()
            tables[name] = run_grid(tasks, kind=kind, jobs=jobs)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:14s} median {v:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in times[k])})")
    t1 = med["processes x1"]
    for k in ("processes x2", "dask x2"):
        print(f"{k}: speed-up {t1 / med[k]:.2f}, parallel efficiency {t1 / (2 * med[k]):.0%}")
    same = all(tables["processes x1"].equals(t) for t in tables.values())
    print(f"identical tables across executors: {same}")


if __name__ == "__main__":
    main()
