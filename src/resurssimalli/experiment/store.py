"""Per-task result files of a sweep: one parquet per finished task, written atomically.

A sweep folder holds ``sweep.json`` (what the sweep is: scenarios with their hashes,
replications, seed) and ``tasks/``. A task's table appears as ``tasks/<key>.parquet`` only when
complete (temporary name, then ``os.replace``), so an interrupted sweep loses at most the tasks
that were running, and ``--resume`` recomputes only what is missing. A task that raised leaves
``tasks/<key>.error.json`` instead (scenario, replication, seed, error) and is retried on resume.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.reading import existing_dir, read_json, read_parquet
from resurssimalli.runs import atomic_write, write_bytes

# What a task's table must hold to be merged on resume (a replication's KPI table: kpi_table.COLUMNS).
TASK_COLUMNS = ("scenario", "replication", "month", "kpi", "group", "value")
TEXT_COLUMNS = ("scenario", "month", "kpi", "group")
PLAN_KEYS = {"scenarios": dict, "replications": int, "seed": int, "months": (int, type(None))}


class TaskStore:
    """A sweep folder's ``sweep.json`` and ``tasks/``; ``create=False`` (resume) makes nothing."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        self.root = Path(root)
        self.tasks = self.root / "tasks"
        if create:
            self.tasks.mkdir(parents=True, exist_ok=True)
        else:
            existing_dir(self.tasks, "the sweep's tasks folder")

    # -- plan -----------------------------------------------------------------------------------
    def write_plan(self, plan: dict[str, Any]) -> None:
        self._atomic(self.root / "sweep.json", json.dumps(plan, indent=2, sort_keys=True).encode())

    def check_plan(self, plan: dict[str, Any]) -> None:
        """On resume: the stored plan must be the same sweep (same scenarios, hashes, seed...)."""
        path = self.root / "sweep.json"
        if not path.exists():
            raise InputError(self.root, "sweep.json", "a sweep folder started by `resurssimalli sweep`")
        stored = read_json(path, "the sweep's plan (sweep.json)")
        for key, kind in PLAN_KEYS.items():
            if not isinstance(stored.get(key), kind) or isinstance(stored.get(key), bool):
                raise InputError(path, key, f"the sweep plan's {key} (as `resurssimalli sweep` writes it)")
        for key in sorted(set(stored) | set(plan)):
            if stored.get(key) != plan.get(key):
                raise InputError(
                    path,
                    key,
                    f"the same value as this sweep to resume it; stored {stored.get(key)!r}, "
                    f"now {plan.get(key)!r}",
                )

    # -- tasks ----------------------------------------------------------------------------------
    def check_tasks(self, expected: dict[str, dict[str, Any]]) -> None:
        """On resume: every task file belongs to this sweep and holds that task's table."""
        for path in sorted(self.tasks.iterdir()):
            if path.name.startswith("."):
                continue  # a temporary file of an interrupted save; never read
            key = path.name.removesuffix(".parquet").removesuffix(".error.json")
            if key not in expected or path.name == key:
                raise InputError(path, "<file>", "a task file of this sweep (tasks/<task>.parquet)")
            if path.name.endswith(".error.json"):
                read_json(path, "a failed task's record")
                continue
            check_task_table(path, read_parquet(path, "a task's KPI table", TASK_COLUMNS), expected[key])

    def done(self) -> set[str]:
        return {p.name.removesuffix(".parquet") for p in self.tasks.glob("*.parquet")}

    def save(self, key: str, table: pd.DataFrame) -> None:
        err = self.tasks / f"{key}.error.json"
        atomic_write(self.tasks / f"{key}.parquet", lambda tmp: table.to_parquet(tmp, index=False))
        if err.is_file() and not err.is_symlink():
            err.unlink()

    def save_error(self, key: str, info: dict[str, Any]) -> None:
        self._atomic(self.tasks / f"{key}.error.json", json.dumps(info, indent=2).encode())

    def combine(self, keys: list[str]) -> pd.DataFrame:
        frames = [
            read_parquet(self.tasks / f"{k}.parquet", "a task's KPI table", TASK_COLUMNS)
            for k in keys
            if (self.tasks / f"{k}.parquet").exists()
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @staticmethod
    def _atomic(path: Path, data: bytes) -> None:
        write_bytes(path, data, replace=True)  # a plan or a failed task's record is the sweep's own


def check_task_table(path: Path, df: pd.DataFrame, task: dict[str, Any]) -> None:
    """A stored task's table is validated like any input before it is merged: rows, the task it
    claims (scenario, replication), text where text belongs, finite numbers as values."""
    if df.empty:
        raise InputError(path, "<rows>", "a task's KPI rows; the table is empty")
    for col in TEXT_COLUMNS:
        bad = df[col][~df[col].map(lambda v: isinstance(v, str))]
        if len(bad):
            got = str(bad.iloc[0])[:40]
            raise InputError(path, col, f"text in every row; row {bad.index[0] + 1} holds {got!r}")
    for col, kind in (("replication", "integer"), ("value", "number")):
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise InputError(path, col, f"{kind}s (as the sweep stores them), got {df[col].dtype} values")
    infinite = np.flatnonzero(np.isinf(df["value"].to_numpy(dtype=float, na_value=np.nan)))
    if len(infinite):  # a KPI of no customer in a month is NaN (a share of nobody), never infinite
        row = int(infinite[0])
        raise InputError(path, f"row {row + 1}.value", f"a finite number, got {df['value'].iloc[row]}")
    for col in ("scenario", "replication"):
        values = set(df[col].unique().tolist())
        if values != {task[col]}:
            got = sorted(values, key=str)[:3]
            raise InputError(path, col, f"only {task[col]!r} (this task's {col}), got {got}")
