"""The write stage of ``run`` (issue 16): what follows the simulation, its time and its memory.

``run scenarios/baseline.yaml --replications 30`` spends its last seconds and reaches its peak
memory after the simulation: KPI summary, paired comparison, run folder, figures, memo and
``results.xlsx``. This benchmark times exactly that stage (``pipeline._write_run``) on the KPI
frame of a real 30-replication run (baseline + the 7 compared scenarios, 450,480 rows), in a
fresh process per measurement, with the plan optimised there and a one-replication simulation
standing in for the run's own (its manifest only). Where ``_write_run`` takes a ``background``
pool (the workbook beside the memo), a warm 2-worker pool is given as ``run`` does; the main
process's and the workers' CPU seconds are printed beside the wall time (on a loaded machine the
CPU on the critical path says more than the wall).

The KPI frame comes from a run folder named by ``RESURSSIMALLI_RUN=/path/to/run`` (made once
with ``resurssimalli run scenarios/baseline.yaml --replications 30``); without it one is made
first (~40 s). The old code is another checkout with its own ``.venv``
(``RESURSSIMALLI_OLD=/path/to/old``); old and new are run in turn, 3 times each, medians quoted.
Memory: the process's resident set before the stage and its peak (``ru_maxrss``, the whole
process: the stage is where the run's main process peaks).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulate import _checkouts  # noqa: E402  (old and new checkouts, as for the whole run)

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3

STAGE = r"""
import contextlib, inspect, json, resource, sys, time
import pandas as pd, psutil
from resurssimalli import pipeline as P
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import simulate_many
s = load_scenario("scenarios/baseline.yaml")
others = P.compared_scenarios(s)
plan = P.plan_for(s, pareto=5)
sim = simulate_many([s], plan.allocation, replications=1, jobs=1)[s.name]
kpis = pd.read_parquet(sys.argv[1])
def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS")) / 1024
def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = sum(sum(q.cpu_times()[:2]) for q in psutil.Process().children(recursive=True))
    return me.ru_utime + me.ru_stime, kids
with contextlib.ExitStack() as stack:
    kw = {}
    if "background" in inspect.signature(P._write_run).parameters:  # as run does: its warm 2-worker pool
        from resurssimalli.executors import executor
        from resurssimalli.simulate.runner import start_workers
        pool = stack.enter_context(executor("processes", 2))
        start_workers(pool, 2)
        time.sleep(4)
    before, (me0, kids0) = rss_mb(), cpu()
    t0 = time.perf_counter()
    if "background" in inspect.signature(P._write_run).parameters:
        spare = inspect.signature(P._spare_worker).parameters  # older checkouts: (pool) only
        kw["background"] = P._spare_worker(pool, 2) if "jobs" in spare else P._spare_worker(pool)
    P._write_run(s, sys.argv[2], plan.optimised, sim, kpis, others, "fi", **kw)
    wall = time.perf_counter() - t0
    me1, kids1 = cpu()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"seconds": wall, "rss_before_mb": before, "peak_mb": peak}
print(json.dumps({**out, "cpu_main": me1 - me0, "cpu_workers": kids1 - kids0}))
"""


def _kpis(tmp: Path) -> Path:
    given = os.environ.get("RESURSSIMALLI_RUN")
    if given:
        return Path(given).resolve() / "kpis.parquet"
    run = tmp / "run30"
    exe = ROOT / ".venv" / "bin" / "resurssimalli"
    cmd = [str(exe), "run", "scenarios/baseline.yaml", "--replications", "30", "--out", str(run)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return run / "kpis.parquet"


def _stage(checkout: Path, kpis: Path, out: Path) -> dict:
    py = checkout / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(py), "-c", STAGE, str(kpis), str(out)], cwd=checkout, check=True, capture_output=True, text=True
    )
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    checkouts = _checkouts()
    res: dict[str, list[dict]] = {k: [] for k in checkouts}
    with tempfile.TemporaryDirectory() as tmp:
        kpis = _kpis(Path(tmp))
        for i in range(RUNS):
            for name, path in checkouts.items():
                res[name].append(_stage(path, kpis, Path(tmp) / f"{name}-{i}"))
    for name, rows in res.items():
        sec = [r["seconds"] for r in rows]
        before = statistics.median(r["rss_before_mb"] for r in rows)
        peaks = [r["peak_mb"] for r in rows]
        cpu_main = statistics.median(r["cpu_main"] for r in rows)
        cpu_workers = statistics.median(r["cpu_workers"] for r in rows)
        print(
            f"write stage of run --replications 30 [{name}]: median {statistics.median(sec):.2f} s "
            f"(min {min(sec):.2f}, max {max(sec):.2f}); CPU main {cpu_main:.2f} s + pool workers "
            f"{cpu_workers:.2f} s; RSS before {before:.0f} MB, peak {statistics.median(peaks):.0f} MB "
            f"(max {max(peaks):.0f})"
        )
    if "old" in res:
        ratios = [o["seconds"] / n["seconds"] for o, n in zip(res["old"], res["new"], strict=True)]
        print(f"  old / new, pair by pair: median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
