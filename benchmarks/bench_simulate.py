"""Customer-flow simulation speed: one baseline year, 100 replications on 2 processes, and the
M/M/c verification mode against Ciw (a benchmark-only dependency) on the same queue.

Targets (issue 4): one replication of one year < 1 s; 100 replications with --jobs 2 < 60 s;
M/M/c at least as fast as Ciw. Issue 16: one replication-year against older code, side by side
(:func:`bench_one_year`): name checkouts with ``RESURSSIMALLI_OLD=/path`` (and optionally
``RESURSSIMALLI_BEFORE=/path``); a checkout with its own ``.venv`` runs in it, one without runs
in this checkout's environment with ``PYTHONPATH=<checkout>/src`` (e.g. ``git archive REV src``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_YEAR_ROUNDS = 3  # processes per checkout, run in turn (old, new, old, new, ...)
ONE_YEAR = r"""
import json, statistics, time, simpy
from resurssimalli.scenario import load_scenario
from resurssimalli.optimize import optimize
from resurssimalli.simulate import Allocation
from resurssimalli.simulate.params import build_params
from resurssimalli.simulate.runner import run_params
s = load_scenario("scenarios/baseline.yaml")
p = build_params(s, Allocation.from_result(optimize(s)), None)
wall, cpu, stats = [], [], None
for r in range(8):
    t0, c0 = time.perf_counter(), time.process_time()
    stats = run_params(p, r, 1)[2]
    wall.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
def bare(n=200_000):
    env = simpy.Environment()
    def loop():
        for _ in range(n):
            yield env.timeout(1)
    env.process(loop()); t0 = time.perf_counter(); env.run(); return n / (time.perf_counter() - t0)
print(json.dumps({"seconds": statistics.median(wall[1:]), "cpu": statistics.median(cpu[1:]),
                  "events": stats["events"], "bare_events_per_s": bare()}))
"""
MMC = (4.25, 1.0, 5)  # λ, μ, c: load 0.85, Erlang C Wq = 0.873
MMC_CUSTOMERS = 50_000


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_baseline() -> None:
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario import load_scenario
    from resurssimalli.simulate import Allocation, simulate
    from resurssimalli.simulate.params import build_params
    from resurssimalli.simulate.runner import run_params

    s = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    alloc = Allocation.from_result(optimize(s))
    p = build_params(s, alloc)
    rep = iter(range(1000))
    secs, (_, _, stats) = _median_time(lambda: run_params(p, next(rep), 1), repeat=7)
    print(f"baseline, one replication of 12 months: median {secs:.3f} s (target < 1 s)")
    print(
        f"  {stats['customers']} customers, {stats['meetings']} meetings, "
        f"{stats['employer_requests']} employer requests; "
        f"{stats['events'] / secs:,.0f} simulated events/s (KPI table included)"
    )
    for jobs in (1, 2):
        t0 = time.perf_counter()
        res = simulate(s, alloc, replications=100, jobs=jobs, seed=1)
        wall = time.perf_counter() - t0
        print(f"{res.replications} replications, --jobs {jobs}: {wall:.1f} s (target with 2 jobs < 60 s)")


def bench_mmc() -> None:
    import ciw

    from resurssimalli.simulate import erlang_c_wait, simulate_mmc

    lam, mu, c = MMC
    theory = erlang_c_wait(lam, mu, c)
    ours_t, ours = _median_time(lambda: simulate_mmc(lam, mu, c, MMC_CUSTOMERS, warm_up=1000, root_seed=3), 3)

    def run_ciw() -> float:
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=lam)],
            service_distributions=[ciw.dists.Exponential(rate=mu)],
            number_of_servers=[c],
        )
        ciw.seed(3)
        q = ciw.Simulation(net)
        q.simulate_until_max_customers(MMC_CUSTOMERS + 1000, method="Finish")
        recs = sorted(q.get_all_records(), key=lambda r: r.arrival_date)[1000:]
        return statistics.fmean(r.waiting_time for r in recs)

    ciw_t, ciw_wait = _median_time(run_ciw, 3)
    print(f"M/M/{c}, λ={lam}, μ={mu}, {MMC_CUSTOMERS:,} customers (Erlang C Wq = {theory:.3f}):")
    rate = 3 * MMC_CUSTOMERS / ours_t
    print(f"  ours (SimPy): median {ours_t:.2f} s, Wq = {ours.mean_wait:.3f}, {rate:,.0f} events/s")
    print(f"  Ciw {ciw.__version__}:   median {ciw_t:.2f} s, Wq = {ciw_wait:.3f}")
    print(f"  Ciw time / ours: {ciw_t / ours_t:.2f} (target >= 1)")


def _checkouts() -> dict[str, Path]:
    out = {"new": ROOT}
    for name, var in (("before", "RESURSSIMALLI_BEFORE"), ("old", "RESURSSIMALLI_OLD")):
        if os.environ.get(var):
            out[name] = Path(os.environ[var]).resolve()
    return out


def _one_year_in(checkout: Path) -> dict:
    """``ONE_YEAR`` in a fresh process of ``checkout`` (its own .venv, else this one + PYTHONPATH)."""
    env = dict(os.environ)
    py = checkout / ".venv" / "bin" / "python"
    if not py.exists():
        py = ROOT / ".venv" / "bin" / "python"
        env["PYTHONPATH"] = str(checkout / "src")
    cwd = checkout if (checkout / "scenarios").is_dir() else ROOT  # its own scenario files if it has them
    done = subprocess.run(
        [str(py), "-c", ONE_YEAR], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_one_year() -> None:
    """One baseline replication-year (``run_params``: simulation + KPI frames; median of 7 after a
    warm-up, wall and CPU) per checkout, in turn; simulated events/s beside a bare SimPy timeout
    loop measured in the same process; old / new ratios."""
    res: dict[str, list[dict]] = {k: [] for k in _checkouts()}
    load = os.getloadavg()[0]
    for _ in range(ONE_YEAR_ROUNDS):
        for name, path in _checkouts().items():
            res[name].append(_one_year_in(path))
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    fields = ("seconds", "cpu")
    med = {k: {f: statistics.median(r[f] for r in rows) for f in fields} for k, rows in res.items()}
    for name, rows in res.items():
        ev, bare = rows[-1]["events"], statistics.median(r["bare_events_per_s"] for r in rows)
        sec, cpu = med[name]["seconds"], med[name]["cpu"]
        print(
            f"one replication-year [{name}]: median {sec:.3f} s (CPU {cpu:.3f} s), {ev:,} events, "
            f"{ev / sec:,.0f} events/s; bare SimPy timeout loop, same process: {bare:,.0f} events/s"
        )
    for name in res:
        if name != "new":
            w, c = (med[name][f] / med["new"][f] for f in ("seconds", "cpu"))
            print(f"  {name} / new: wall {w:.2f}, CPU {c:.2f}")


def main() -> None:
    bench_one_year()
    bench_baseline()
    bench_mmc()


if __name__ == "__main__":
    main()
