"""Customer-flow simulation speed: one baseline year, 100 replications on 2 processes, and the
M/M/c verification mode against Ciw (a benchmark-only dependency) on the same queue.

Targets (issue 4): one replication of one year < 1 s; 100 replications with --jobs 2 < 60 s;
M/M/c at least as fast as Ciw.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def main() -> None:
    bench_baseline()
    bench_mmc()


if __name__ == "__main__":
    main()
