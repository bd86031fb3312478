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
        from dask.distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)
            cluster = None
        else:
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
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
        import multiprocessing as mp

        ex = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"))
        try:
            yield ex
        finally:
            # Every result has been taken here (or the caller is failing: pending tasks are
            # dropped). The workers exit on their own; waiting for their interpreters' teardown
            # cost the caller about a second on the 2-core machine.
            ex.shutdown(wait=False, cancel_futures=True)


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
