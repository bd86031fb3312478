"""Run independent tasks serially, on a local process pool, or on a Dask cluster.

All three expose the same ``concurrent.futures`` interface (Dask through
``Client.get_executor()``), so the caller's loop — store each result as it finishes, report each
failure with its task — is written once. Tasks are pure functions of their arguments, so results
do not depend on the executor.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from resurssimalli.errors import InputError

Kind = Literal["serial", "processes", "dask"]
# What every task of this project's process pools imports: a simulation replication (run, simulate,
# sweep). The fork server imports it once; each worker is a fork of that server (see _context).
WORKER_MODULES = ("resurssimalli.simulate.runner",)


class _SerialExecutor(cf.Executor):
    """Runs tasks in this process (debugging, tests, --jobs 1); :func:`run_all` runs them one by
    one so that each result is stored before the next task starts."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - reported per task by the caller
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Refuse a Dask scheduler address that is malformed or does not answer, before any work."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address)
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:  # a port that is not a number
        scheme = host = port = None
    if scheme not in ("tcp", "tls") or not host or not port:
        raise InputError("--scheduler", address, "a Dask scheduler address such as tcp://host:8786")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError("--scheduler", address, f"a Dask scheduler that answers ({reason})") from None


@contextlib.contextmanager
def executor(
    kind: Kind = "processes", jobs: int | None = None, scheduler: str | None = None
) -> Iterator[cf.Executor]:
    """An executor of the given kind; ``scheduler`` (a Dask address) implies ``dask``."""
    jobs = jobs or default_jobs()
    if scheduler or kind == "dask":
        from dask.distributed import Client

        if scheduler:
            client = Client(scheduler)
            cluster = None
        else:
            cluster = _local_cluster(jobs)
            client = Client(cluster)
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif kind == "serial" or jobs == 1:
        yield _SerialExecutor()
    else:
        ex = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=_context())
        try:
            yield ex
        finally:
            # Every result has been taken here (or the caller is failing: pending tasks are
            # dropped). The workers exit on their own; waiting for their interpreters' teardown
            # cost the caller about a second on the 2-core machine.
            ex.shutdown(wait=False, cancel_futures=True)


LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}


def _local_cluster(jobs: int) -> Any:
    """A Dask LocalCluster of ``jobs`` one-thread worker processes, with glibc's own memory
    trimming in the workers: Dask's nannies start them with ``MALLOC_TRIM_THRESHOLD_=65536`` (to
    hand freed memory back to the OS at once), under which a replication, allocating and freeing
    millions of small objects, cost 7-12 % more CPU (issue 30, benchmarks/README.md). The nannies
    run in this process and set their variables in its own environment too: put back as they
    were, so that processes this one starts later do not inherit them. No dashboard is served, so
    the workers' statistical profiler and system monitor feed nobody: the profiler off, the
    monitor every 5 s, the event loop's tick every second instead of every 20 ms (a busy worker's
    other threads took 2.4 % of its CPU, 1.2 % so)."""
    import dask
    from dask.distributed import LocalCluster

    keys = (*dask.config.get("distributed.nanny.pre-spawn-environ"), "PYTHONHASHSEED")
    saved = {k: os.environ.get(k) for k in keys}
    try:
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _context() -> Any:
    """How the pool's workers start: forked from a fork server that imported
    :data:`WORKER_MODULES` once, instead of each a fresh interpreter importing them again
    (spawn: about 0.7 CPU-s a worker, on a 2-core machine where the workers start while the
    plan is optimised). The server is itself a fresh interpreter, never a fork of this process
    (whose threads may hold locks), started with the first pool of this process and kept for
    the next. Spawn where there is no fork server (Windows)."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(WORKER_MODULES))
    return ctx


def start_workers_early(jobs: int | None = None) -> None:
    """Start the process pools' fork server now, when a pool of more than one worker is coming:
    its imports (about a CPU-second) then run beside the caller's own work (reading the
    scenarios, optimising) instead of holding up the first worker. Nothing to do otherwise."""
    import multiprocessing as mp
    import multiprocessing.forkserver

    if (jobs or default_jobs()) > 1 and _context() is mp.get_context("forkserver"):
        multiprocessing.forkserver.ensure_running()


def run_all(
    ex: cf.Executor,
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    on_result: Callable[[Any, Any], None],
    on_error: Callable[[Any, BaseException], None],
) -> None:
    """Submit ``fn(item)`` for every item; call back as each finishes (in completion order)."""
    if isinstance(ex, _SerialExecutor):
        for item in items:
            fut = ex.submit(fn, item)
            exc = fut.exception()
            if exc is None:
                on_result(item, fut.result())
            else:
                on_error(item, exc)
        return
    futures = {ex.submit(fn, item): item for item in items}
    try:
        for fut in cf.as_completed(futures):
            item = futures[fut]
            exc = fut.exception()
            if exc is None:
                on_result(item, fut.result())
            else:
                on_error(item, exc)
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        raise


def stop_workers(timeout: float = 3.0) -> None:
    """Stop the fork server, then every worker process this process started (called as a command
    ends after Ctrl-C, SIGTERM or an error: nothing is left running). A pool's workers are forked
    by the fork server but are this process's children."""
    import multiprocessing as mp
    import multiprocessing.forkserver
    import threading

    for thread in threading.enumerate():  # a pool's workers being started: let them be children first
        if thread.name == "start-workers" and thread is not threading.current_thread():
            thread.join(timeout)
    with contextlib.suppress(Exception):  # no new worker is forked while the others are stopped
        multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]
    children = mp.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join(timeout)
    # The resource tracker is left to end by itself: it exits as the last process holding its pipe
    # does (stopping it now would unlink the semaphores a worker still starting has to open).
