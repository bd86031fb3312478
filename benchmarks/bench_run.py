"""The planner's whole question and one replication-year, against the old code, in one run.

Issue 16's figures: ``resurssimalli run scenarios/baseline.yaml --replications 30`` (optimise,
baseline + the compared scenarios × 30 replications of a year, memo) wall time and peak memory;
one replication-year of the baseline (median of 5) with its simulated events per second beside a
bare SimPy timeout loop measured in the same process.

The old code is another checkout with its own ``.venv`` (e.g. ``git worktree add OLD ec21e4c``
plus an install); name it with ``RESURSSIMALLI_OLD=/path/to/old``. Without it only the current
code is measured. The two are run in turn (old, new, old, new, ...) so that drift of a shared
machine falls on both alike; quote the medians and the ratio.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
REPLICATIONS = 30

ONE_YEAR = r"""
import json, statistics, time, simpy
from resurssimalli.scenario import load_scenario
from resurssimalli.optimize import optimize
from resurssimalli.simulate import Allocation
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.runner import run_params
s = load_scenario("scenarios/baseline.yaml")
p = build_params(s, Allocation.from_result(optimize(s)), None)
times, stats = [], None
for r in range(6):
    t0 = time.perf_counter(); stats = run_params(p, r, 1)[2]; times.append(time.perf_counter() - t0)
sec = statistics.median(times[1:])
def bare(n=200_000):
    env = simpy.Environment()
    def loop():
        for _ in range(n):
            yield env.timeout(1)
    env.process(loop()); t0 = time.perf_counter(); env.run(); return n / (time.perf_counter() - t0)
print(json.dumps({"seconds": sec, "events": stats["events"], "bare_events_per_s": bare()}))
"""


def _checkouts() -> dict[str, Path]:
    out = {"new": ROOT}
    old = os.environ.get("RESURSSIMALLI_OLD")
    if old:
        out["old"] = Path(old).resolve()
    return out


def _run_once(checkout: Path, tmp: Path, i: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, largest process) of one `run` with 30 replications."""
    out = tmp / f"{checkout.name}-{i}"
    exe = checkout / ".venv" / "bin" / "resurssimalli"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    cmd = [str(exe), "run", "scenarios/baseline.yaml", "--replications", str(REPLICATIONS), "--out", str(out)]
    subprocess.run(cmd, cwd=checkout, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    shutil.rmtree(out, ignore_errors=True)
    return wall, peak


def bench_run() -> None:
    checkouts = _checkouts()
    walls: dict[str, list[float]] = {k: [] for k in checkouts}
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            for name, path in checkouts.items():
                wall, peak = _run_once(path, Path(tmp), i)
                walls[name].append(wall)
                peaks[name] = peak
    for name in checkouts:
        w = walls[name]
        print(
            f"run baseline --replications {REPLICATIONS} [{name}]: median {statistics.median(w):.1f} s "
            f"(min {min(w):.1f}, max {max(w):.1f}); peak RSS so far {peaks[name]:.0f} MB"
        )
    if "old" in walls:
        ratios = [o / n for o, n in zip(walls["old"], walls["new"], strict=True)]
        print(f"  old / new, pair by pair: median {statistics.median(ratios):.2f}")


def bench_one_year() -> None:
    res: dict[str, list[dict]] = {k: [] for k in _checkouts()}
    for _ in range(2):
        for name, path in _checkouts().items():
            py = path / ".venv" / "bin" / "python"
            cmd = [str(py), "-c", ONE_YEAR]
            done = subprocess.run(cmd, cwd=path, check=True, capture_output=True, text=True)
            res[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    for name, rows in res.items():
        sec = statistics.median(r["seconds"] for r in rows)
        ev = rows[-1]["events"]
        bare = statistics.median(r["bare_events_per_s"] for r in rows)
        print(
            f"one replication-year [{name}]: median {sec:.3f} s, {ev:,} events, {ev / sec:,.0f} events/s "
            f"(bare SimPy timeout loop, same process: {bare:,.0f} events/s)"
        )
    if "old" in res:
        old = statistics.median(r["seconds"] for r in res["old"])
        new = statistics.median(r["seconds"] for r in res["new"])
        print(f"  old / new: {old / new:.2f}")


def main() -> None:
    bench_one_year()
    bench_run()


if __name__ == "__main__":
    main()
