"""M/M/c verification mode: Poisson arrivals, exponential service, c identical servers, FIFO.

No calendar, no absences: the same SimPy idiom and random streams as the main model, checked
against Erlang C (tests) and timed against Ciw (benchmarks).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import simpy

from resurssimalli.simulate.streams import streams


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean waiting time in queue Wq of an M/M/c queue (Erlang C); requires λ < cμ."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError(f"unstable queue: load {rho:.3f} >= 1")
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@dataclass(frozen=True)
class MMCResult:
    mean_wait: float  # over customers after the warm-up
    customers: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return 3 * self.customers / self.seconds if self.seconds > 0 else math.inf


def simulate_mmc(
    lam: float,
    mu: float,
    c: int,
    customers: int,
    *,
    warm_up: int = 0,
    replication: int = 0,
    root_seed: int = 0,
) -> MMCResult:
    """Mean queueing wait of ``customers`` customers after ``warm_up`` discarded ones (one replication)."""
    if lam <= 0 or mu <= 0 or c < 1 or customers < 1:
        raise ValueError("need λ > 0, μ > 0, c ≥ 1 and at least one customer")
    rs = streams(root_seed, replication)
    n = customers + warm_up
    gaps = rs["mmc_arrivals"].exponential(1.0 / lam, n).tolist()
    service = rs["mmc_service"].exponential(1.0 / mu, n).tolist()
    waits = [0.0] * n
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)

    def customer(i: int):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits[i] = env.now - arrived
            yield env.timeout(service[i])

    def source():
        for i in range(n):
            yield env.timeout(gaps[i])
            env.process(customer(i))

    t0 = time.perf_counter()
    env.process(source())
    env.run()
    seconds = time.perf_counter() - t0
    return MMCResult(float(np.mean(waits[warm_up:])), customers, seconds)
