"""Per-task result files of a sweep: one parquet per finished task, written atomically.

A sweep folder holds ``sweep.json`` (what the sweep is: scenarios with their hashes,
replications, seed) and ``tasks/``. A task's table appears as ``tasks/<key>.parquet`` only when
complete (temporary name, then ``os.replace``), so an interrupted sweep loses at most the tasks
that were running, and ``--resume`` recomputes only what is missing. A task that raised leaves
``tasks/<key>.error.json`` instead (scenario, replication, seed, error) and is retried on resume.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.reading import existing_dir, read_json, read_parquet
from resurssimalli.runs import publish_mode

TASK_COLUMNS = ("scenario", "replication", "kpi", "value")
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
            df = read_parquet(path, "a task's KPI table", TASK_COLUMNS)
            task = expected[key]
            for col in ("scenario", "replication"):
                values = set(df[col].unique().tolist())
                if values != {task[col]}:
                    got = sorted(values, key=str)[:3]
                    raise InputError(path, col, f"only {task[col]!r} (this task's {col}), got {got}")

    def done(self) -> set[str]:
        return {p.name.removesuffix(".parquet") for p in self.tasks.glob("*.parquet")}

    def save(self, key: str, table: pd.DataFrame) -> None:
        err = self.tasks / f"{key}.error.json"
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.tasks)
        os.close(fd)
        try:
            table.to_parquet(tmp, index=False)
            publish_mode(Path(tmp))
            os.replace(tmp, self.tasks / f"{key}.parquet")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        if err.exists():
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
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        publish_mode(Path(tmp))
        os.replace(tmp, path)
