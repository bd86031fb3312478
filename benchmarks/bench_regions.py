"""Region packs at scale (issue 30): the largest area on a laptop, all 45 on a cluster.

1. Helsinki's ``resurssimalli run baseline.yaml --replications 30`` (the pack as ``region init
   Helsinki`` writes it; optimise, 30 replication-years, memo and workbook): wall time and the
   largest process's peak memory. Targets ≤ 180 s on 2 cores, ≤ 2 GB.
2. One replication-year's cost against customers (starting stock + a year's registrations):
   the seed area's baseline (also with the unemployed only, the packs' kind of customers), the
   seed area's pack (``region init 21``) and Helsinki, median of
   ``BENCH_REPEATS`` each (one worker, the plan fixed); the exponent b of cost ∝ customers^b
   between the seed and Helsinki. Target b ≤ 1.1.
3. All 45 areas' baselines (each on its own plan), ``REPLICATIONS_45`` replication-years each, on
   one process and on a 2-worker Dask LocalCluster; parallel efficiency T1 / (2 T2). Target ≥ 85 %.
   The tasks go largest first (the longest-processing-time rule), so one big area does not
   finish alone at the end.

Run once: ``python benchmarks/run_all.py regions`` (a few minutes); figures in README.md.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
# a sweep's own default (``resurssimalli sweep --replications 10``); sessions 7-9 timed 2, where the
# cluster's start and close (~1.5 s) were a tenth of the Dask run
REPLICATIONS_45 = int(os.environ.get("BENCH_REPLICATIONS_45", "10"))
TICK = 0.5  # seconds between samples of the command's process tree


def _tree(root: int) -> list[int]:
    """``root`` and every descendant (from /proc: the workers' fork server is not the command's
    child, so getrusage(RUSAGE_CHILDREN) would miss the replications)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _sample(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of one process now."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _watched(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd``; (wall s, CPU s of its whole tree, largest process's peak RSS MB), sampled."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cpu: dict[int, float] = {}
    peak = 0.0
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            c, rss = _sample(pid)
            cpu[pid] = max(cpu.get(pid, 0.0), c)
            peak = max(peak, rss)
        time.sleep(TICK)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr.read().decode()[-2000:] if proc.stderr else "run failed")
    return wall, sum(cpu.values()), peak


def _pack(tmp: Path, area: str) -> Path:
    from resurssimalli.data.pack import build_pack, write_pack

    folder = tmp / f"pack-{area}"
    return (folder if folder.exists() else write_pack(build_pack(area), folder)) / "baseline.yaml"


def helsinki_run(tmp: Path) -> None:
    scenario = _pack(tmp, "Helsinki")
    cmd = [str(ROOT / ".venv" / "bin" / "resurssimalli"), "run", str(scenario), "--replications", "30",
           "--out", str(tmp / "helsinki-run")]  # fmt: skip
    wall, cpu, peak_mb = _watched(cmd)
    print(f"Helsinki run --replications 30: {wall:.1f} s wall (target <= 180 s), {cpu:.1f} CPU-s of its "
          f"processes (sampled every {TICK:g} s; on 2 idle cores at least {cpu / 2:.1f} s), largest process "
          f"{peak_mb:.0f} MB (target <= 2048 MB); load {os.getloadavg()[0]:.1f}")  # fmt: skip
    shutil.rmtree(tmp / "helsinki-run", ignore_errors=True)


def _customers(scenario) -> float:
    from resurssimalli.scenario.customers import customer_mix

    mix = customer_mix(scenario)
    return float(mix["stock"].sum() + mix["inflow_per_year"].sum())


def replication_cost(tmp: Path) -> dict[str, tuple[float, float, float]]:
    """CPU-s per replication-year of each case and the exponent between the sizes, on two counts of
    customers: the scenario's (stock + a year's registrations, ``customer_mix``) and those the
    replication simulated (``run_params``' count: with the seed's customer states, the laid off,
    employed job seekers and people in services, which the packs do not have). The seed area with
    the unemployed only (``demand.jobseekers`` off) is the seed baseline with the packs' kind of
    customers: a customer state meets every 2-6 months and its stay is fixed at entry, so it costs
    about half an unemployed customer, and counting them makes the seed look cheaper per head."""
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario import load_scenario
    from resurssimalli.simulate import Allocation
    from resurssimalli.simulate.runner import build_params, run_params

    seed = ROOT / "scenarios" / "baseline.yaml"
    cases = {  # name: (scenario, overrides)
        "seed baseline": (seed, None),
        "seed, unemployed only": (seed, {"demand": {"jobseekers": None}}),
        "seed-area pack (21)": (_pack(tmp, "21"), None),
        "Helsinki pack (8)": (_pack(tmp, "Helsinki"), None),
    }
    cost = {}
    for name, (path, overrides) in cases.items():
        s = load_scenario(path, overrides)
        p = build_params(s, Allocation.from_result(optimize(s)), None)  # once per run, as a run does
        run_params(p, 0, s.seed)  # warm-up
        times, simulated = [], []
        for r in range(REPEATS):
            c0 = time.process_time()
            simulated.append(run_params(p, r + 1, s.seed)[2]["customers"])
            times.append(time.process_time() - c0)
        cost[name] = (_customers(s), statistics.median(simulated), statistics.median(times))
        n, m, t = cost[name]
        print(f"{name:22s} customers {n:9,.0f} (simulated {m:9,.0f})  replication-year {t:6.3f} CPU-s "
              f"({', '.join(f'{x:.3f}' for x in times)})")  # fmt: skip
    for small in ("seed baseline", "seed, unemployed only", "seed-area pack (21)"):
        (n0, m0, t0), (n1, m1, t1) = cost[small], cost["Helsinki pack (8)"]
        b, b_sim = (math.log(t1 / t0) / math.log(x1 / x0) for x0, x1 in ((n0, n1), (m0, m1)))
        print(f"exponent {small} -> Helsinki: {b:.3f} by the scenario's customers, {b_sim:.3f} by those "
              f"simulated (target <= 1.1); CPU-s per 1,000 simulated {1000 * t0 / m0:.3f} -> "
              f"{1000 * t1 / m1:.3f}")  # fmt: skip
    return cost


def _tree_cpu() -> float:
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def all_areas(tmp: Path) -> None:
    from resurssimalli.data import finland
    from resurssimalli.experiment.sweep import Task, run_grid
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario import load_scenario
    from resurssimalli.simulate import Allocation

    tasks = []
    for code in finland.area_table().sort_values("unemployed", ascending=False)["code"]:
        s = load_scenario(_pack(tmp, str(code)))
        alloc = Allocation.from_result(optimize(s))
        tasks += [Task(s, alloc, r, s.seed) for r in range(REPLICATIONS_45)]
    print(f"{len(tasks)} tasks (45 areas x {REPLICATIONS_45} replication-years), largest area first; "
          f"one process and Dask alternately, {REPEATS} pairs")  # fmt: skip
    walls: dict[str, list[float]] = {"one process": [], "dask x2": []}
    tables = {}
    for rep in range(REPEATS):  # alternately: a machine's drift touches both alike
        for name, kind, jobs in (("one process", "processes", 1), ("dask x2", "dask", 2)):
            t0, c0 = time.perf_counter(), _tree_cpu()
            tables[name] = run_grid(tasks, kind=kind, jobs=jobs)
            walls[name].append(time.perf_counter() - t0)
            cpu = _tree_cpu() - c0
            print(f"pair {rep + 1} {name:12s} {walls[name][-1]:7.1f} s wall, {cpu:7.1f} CPU-s "
                  f"(this process, ended children); load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    pairs = [t1 / (2 * t2) for t1, t2 in zip(walls["one process"], walls["dask x2"], strict=True)]
    t1, t2 = statistics.median(walls["one process"]), statistics.median(walls["dask x2"])
    each = ", ".join(f"{e:.0%}" for e in pairs)
    print(f"Dask 2 workers: median {t1:.1f} s / {t2:.1f} s, speed-up {t1 / t2:.2f}, parallel "
          f"efficiency {t1 / (2 * t2):.0%} (target >= 85 %); per pair {each}")  # fmt: skip
    print(f"identical tables: {tables['one process'].equals(tables['dask x2'])}")


def main() -> None:
    print(f"cores {os.cpu_count()}, repeats {REPEATS}, load {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-regions-"))
    try:
        replication_cost(tmp)
        all_areas(tmp)
        helsinki_run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
