"""Task functions for the sweep tests (a module, so worker processes can import them)."""

from __future__ import annotations

import pandas as pd

from resurssimalli.experiment.sweep import Task, simulate_task


def fail_on_replication_1(task: Task) -> pd.DataFrame:
    if task.replication == 1:
        raise RuntimeError("deliberate failure for the test")
    return simulate_task(task)
