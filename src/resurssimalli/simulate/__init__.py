"""Stage 4 — customer-flow simulation (SimPy): does the allocation keep its promises?

Public API::

    from resurssimalli.simulate import Allocation, simulate, run_replication
    res = simulate(scenario, Allocation.from_run_folder("results/baseline-..."), replications=20, jobs=2)
    res.kpis, res.summary          # DataFrames
    with RunFolder.new(...) as rf: res.write(rf)
"""

from resurssimalli.simulate import native

native.choose()  # before anything imports the model: compiled (mypyc) or its Python sources

from resurssimalli.simulate.allocation import Allocation
from resurssimalli.simulate.mmc import MMCResult, erlang_c_wait, simulate_mmc
from resurssimalli.simulate.runner import (
    SimulationResult,
    replication_customers,
    run_replication,
    simulate,
    simulate_many,
)

__all__ = [
    "Allocation",
    "MMCResult",
    "SimulationResult",
    "simulate_many",
    "erlang_c_wait",
    "replication_customers",
    "run_replication",
    "simulate",
    "simulate_mmc",
]
