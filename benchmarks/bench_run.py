"""The planner's whole question and one replication-year, against the old code, in one run.

Issue 16's figures: ``resurssimalli run scenarios/baseline.yaml --replications 30`` (optimise,
baseline + the compared scenarios × 30 replications of a year, memo) wall time and peak memory;
one replication-year of the baseline (``bench_simulate.bench_one_year``: median of 7, wall and
CPU) with its simulated events per second beside a bare SimPy timeout loop in the same process.

The old code is another checkout: with its own ``.venv`` (e.g. ``git worktree add OLD ec21e4c``
plus an install) or just its sources (``git archive REV src | tar -x -C OLD``: run in this
checkout's environment with ``PYTHONPATH=OLD/src``); name it with ``RESURSSIMALLI_OLD=/path/to/old``
and/or ``RESURSSIMALLI_BEFORE=/path``. Without them only the current code is measured. They are
run in turn (old, new, old, new, ...) so that drift of a shared machine falls on all alike; quote
the medians and the ratios.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
REPLICATIONS = 30
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import _checkouts  # noqa: E402  (new, and RESURSSIMALLI_BEFORE / _OLD if named)


def _run_once(checkout: Path, tmp: Path, i: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, largest process) of one `run` with 30 replications (a
    checkout without its own .venv runs in this one with PYTHONPATH=<checkout>/src)."""
    out = tmp / f"{checkout.name}-{i}"
    env = dict(os.environ)
    exe = [str(checkout / ".venv" / "bin" / "resurssimalli")]
    if not (checkout / ".venv").exists():
        exe = [str(ROOT / ".venv" / "bin" / "python"), "-m", "resurssimalli.cli"]
        env["PYTHONPATH"] = str(checkout / "src")
    cwd = checkout if (checkout / "scenarios").is_dir() else ROOT
    cmd = [*exe, "run", "scenarios/baseline.yaml", "--replications", str(REPLICATIONS), "--out", str(out)]
    t0 = time.perf_counter()
    # a fresh process per run reports its own children's peak (the largest process of this run only)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    peak = int(done.stdout.strip().splitlines()[-1]) / 1024
    shutil.rmtree(out, ignore_errors=True)
    return wall, peak


_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def bench_run() -> None:
    checkouts = _checkouts()
    walls: dict[str, list[float]] = {k: [] for k in checkouts}
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            for name, path in checkouts.items():
                wall, peak = _run_once(path, Path(tmp), i)
                walls[name].append(wall)
                peaks[name] = max(peaks.get(name, 0.0), peak)
    for name in checkouts:
        w = walls[name]
        print(
            f"run baseline --replications {REPLICATIONS} [{name}]: median {statistics.median(w):.1f} s "
            f"(min {min(w):.1f}, max {max(w):.1f}); peak RSS of its largest process {peaks[name]:.0f} MB"
        )
    for name in walls:
        if name != "new":
            ratios = [o / n for o, n in zip(walls[name], walls["new"], strict=True)]
            print(f"  {name} / new, pair by pair: median {statistics.median(ratios):.2f}")


def bench_one_year() -> None:
    """One replication-year, old and new in turn (``bench_simulate.bench_one_year``)."""
    import bench_simulate

    bench_simulate.bench_one_year()


def main() -> None:
    bench_one_year()
    bench_run()


if __name__ == "__main__":
    main()
