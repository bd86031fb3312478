"""The process pool's workers (resurssimalli.executors): how they start and what they share.

Theory: a worker forked from the fork server starts with the server's imports (the simulation)
already done, yet it is not a fork of the caller, so nothing the caller changed after importing
reaches a task: a task's result depends on its arguments only, whatever the executor.
"""

from __future__ import annotations

import multiprocessing as mp

import pytest

import resurssimalli.simulate.runner as runner
from pool_tasks import dask_setting, environment, imported, probe
from resurssimalli.executors import WORKER_MODULES, executor

FORK_SERVER = "forkserver" in mp.get_all_start_methods()


@pytest.mark.skipif(not FORK_SERVER, reason="no fork server on this platform: workers are spawned")
def test_workers_start_with_the_simulation_imported():
    # The task's module imports nothing of the project: in a spawned worker all would be missing.
    names = (*WORKER_MODULES, "resurssimalli.simulate.model", "simpy")
    with executor("processes", 2) as ex:
        firsts = [ex.submit(imported, names) for _ in range(2)]
        assert all(all(f.result().values()) for f in firsts)


def test_workers_do_not_see_the_callers_later_state(monkeypatch):
    monkeypatch.setattr(runner, "_caller_probe", True, raising=False)
    with executor("processes", 2) as ex:
        assert [
            f.result() for f in [ex.submit(probe, runner.__name__, "_caller_probe") for _ in range(4)]
        ] == [False] * 4


def test_dask_workers_trim_memory_as_glibc_does_and_the_callers_environment_is_kept():
    # Dask's nannies give their workers MALLOC_TRIM_THRESHOLD_=65536 (a replication cost 7-12 %
    # more CPU under it) and set their variables in the caller's own environment as well.
    names = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "PYTHONHASHSEED")
    before = environment(names)
    with executor("dask", 1) as ex:
        worker = ex.submit(environment, names).result()
        assert worker["MALLOC_TRIM_THRESHOLD_"] == before["MALLOC_TRIM_THRESHOLD_"]
        assert worker["OMP_NUM_THREADS"] == "1"  # the other variables the nanny sets still reach it
        assert ex.submit(dask_setting, "distributed.worker.profile.enabled").result() is False
        assert environment(names) == before


class _DeadServerPool:
    """A pool whose worker start fails as it does when its fork server died (Ctrl-C, killed)."""

    def submit(self, fn, *args):
        raise EOFError("unexpected EOF")


def test_warm_up_thread_keeps_quiet_when_the_fork_server_died(monkeypatch):
    """start_workers' thread leaves a failed worker start to the caller's own tasks: no
    'Exception in thread start-workers' traceback on stderr."""
    import threading

    raised: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    runner.start_workers(_DeadServerPool(), 2)
    for t in threading.enumerate():
        if t.name == "start-workers":
            t.join(timeout=30)
    assert raised == []
