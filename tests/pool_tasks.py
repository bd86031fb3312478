"""Tasks for tests/test_executors.py's pools, in a module that imports nothing of the project, so
that what a worker has imported is what the pool gave it (the test module imports the runner)."""

from __future__ import annotations

import sys


def imported(names: tuple[str, ...]) -> dict[str, bool]:
    """Which of ``names`` the worker had imported when this task arrived."""
    return {n: n in sys.modules for n in names}


def probe(module: str, attribute: str) -> bool:
    """Whether the worker's ``module`` (when imported) has ``attribute``."""
    return hasattr(sys.modules.get(module), attribute)


def environment(names: tuple[str, ...]) -> dict[str, str | None]:
    """The worker's environment variables ``names`` (None: unset)."""
    import os

    return {n: os.environ.get(n) for n in names}


def dask_setting(key: str) -> object:
    """The worker's Dask configuration value ``key``."""
    import dask

    return dask.config.get(key)
