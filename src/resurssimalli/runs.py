"""Run folders: ``results/<scenario>-<UTC timestamp>/`` with a ``manifest.json``.

A run is written into a hidden temporary folder beside its final name and moved into place
when it finishes, so a crash never leaves a half-written run under the final name. An existing
run folder is never overwritten. :func:`atomic_write` writes single files the same way (for
stages that add files to a finished run, such as the memo).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError, RunFolderExists
from resurssimalli.safety import slug, write_csv

RESULTS_DIR = Path("results")
LIBRARIES = ("pyomo", "highspy", "simpy", "numpy", "pandas", "pydantic", "scipy", "dask")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in ("resurssimalli", *LIBRARIES):
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def git_commit() -> str | None:
    """The source tree's commit (with ``-dirty`` if it has changes), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("-dirty" if dirty else "")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish_mode(path: Path, *, directory: bool = False) -> None:
    """Give a file made by ``mkstemp``/``mkdtemp`` (private, 0600/0700) the usual umask mode."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def atomic_write(path: Path, write: Callable[[Path], None], *, replace: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place."""
    path = Path(path)
    if path.exists() and not replace:
        raise RunFolderExists(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        publish_mode(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# Scenario keys whose file paths are relative to the file that set them (see scenario.load.region_for).
REGION_KEYS = (
    "region.pack", "region.travel_times", "region.inputs_workbook", "demand.demand_point_shares",
    "demand.jobseekers.file",
)


def build_manifest(
    scenario: Any, command: str, seed: int | None, started: dt.datetime, folder: Path, extra: dict[str, Any]
) -> dict[str, Any]:
    """The manifest of a run: scenario (name, hash, resolved, overrides), versions, seed, commit, times,
    and which simulation model ran (compiled with mypyc or its Python sources)."""
    from resurssimalli.simulate import native

    s = scenario
    m: dict[str, Any] = {
        "command": command,
        "run_folder": str(folder),
        "started_utc": started.isoformat(),
        "finished_utc": utc_now().isoformat(),
        "seed": seed,
        "git_commit": git_commit(),
        "versions": versions(),
        "simulation_model": native.implementation(),
    }
    if s is not None:
        m["scenario"] = {
            "name": s.name,
            "file": str(s.path),
            "hash_sha256": s.hash,
            "extends_chain": list(s.chain),
            "overrides": [
                {"source": o.source, "key": o.key, "old": o.old, "new": o.new} for o in s.overrides
            ],
            "resolved": s.config.model_dump(mode="json"),
            "sources": {k: v for k, v in s.provenance.items() if k in REGION_KEYS},
        }
    m.update(extra)
    return m


def check_output_path(path: str | Path, what: str = "--out") -> Path:
    """Refuse an output path before any work: it must not exist, and it must be creatable.

    Raises :class:`RunFolderExists` if ``path`` exists and :class:`InputError` if an ancestor
    is a file or the nearest existing folder cannot be written to.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise RunFolderExists(path)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        if parent.is_symlink():
            raise InputError(what, str(path), f"a path whose folders can be made; {parent} is a broken link")
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(what, str(path), f"a path inside a folder; {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(what, str(path), f"a path in a folder you can write to; {parent} is not writable")
    return path


def check_output_file(path: str | Path, *, force: bool = False, what: str = "OUT") -> Path:
    """Refuse a file to write before any work: its folder must exist; an existing file needs ``force``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(what, str(path), "a file name; this is a folder")
    if (path.exists() or path.is_symlink()) and not force:
        raise InputError(what, str(path), "a new file; it exists (add --force to replace it)")
    if not path.parent.is_dir():
        raise InputError(what, str(path), f"a file in an existing folder; {path.parent} is not a folder")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(what, str(path), f"a file in a writable folder; {path.parent} is not writable")
    return path


def default_run_path(name: str, root: Path = RESULTS_DIR) -> Path:
    """``root/<slug of name>-<UTC timestamp>`` (suffixed ``-2``, ``-3``… if taken): where the
    command line puts a run without ``--out``. The slug keeps the folder inside ``root``."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    base = slug(name)
    candidate, n = root / f"{base}-{stamp}", 2
    while candidate.exists():
        candidate, n = root / f"{base}-{stamp}-{n}", n + 1
    return candidate


class RunFolder:
    """A run being written. Use as a context manager; files appear under the final name on exit.

    Callables given to :meth:`on_complete` run on the temporary folder after the manifest is
    written and before it is published, so the memo and workbook are inside a folder the moment
    it becomes visible; if anything fails (or the process is killed) no folder is published.
    """

    def __init__(
        self, final: Path, *, scenario: Any = None, command: str = "", seed: int | None = None
    ) -> None:
        self.final = check_output_path(final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(
                tempfile.mkdtemp(prefix=f".{self.final.name[:60]}.", suffix=".tmp", dir=self.final.parent)
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputError("--out", str(self.final), f"a folder that can be created ({reason})") from None
        self._complete: list[Callable[[Path], Any]] = []
        self.started = utc_now()
        self.scenario = scenario
        self.command = command
        self.seed = seed if seed is not None else getattr(scenario, "seed", None)
        self.extra: dict[str, Any] = {}

    @classmethod
    def new(cls, name: str, out: Path | None = None, root: Path = RESULTS_DIR, **kw: Any) -> RunFolder:
        """``out`` if given (error if it exists), else ``root/<slug>-<UTC timestamp>`` (suffixed if taken).

        The folder name is a :func:`~resurssimalli.safety.slug` of ``name``, so a scenario name
        can never place the run outside ``root``.
        """
        return cls(Path(out) if out is not None else default_run_path(name, root), **kw)

    # -- writing ------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Where to write ``name`` now (inside the temporary folder)."""
        p = self.tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write_csv(self, name: str, df: pd.DataFrame) -> None:
        write_csv(df, self.path(name))

    def write_parquet(self, name: str, df: pd.DataFrame) -> None:
        df.to_parquet(self.path(name), index=False)

    def write_json(self, name: str, obj: Any) -> None:
        self.path(name).write_text(
            json.dumps(obj, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    # -- finishing ----------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        return build_manifest(self.scenario, self.command, self.seed, self.started, self.final, self.extra)

    def on_complete(self, fn: Callable[[Path], Any]) -> None:
        """Run ``fn(temporary folder)`` after the manifest is written, before publishing."""
        self._complete.append(fn)

    def finish(self) -> Path:
        """Write the manifest, run the :meth:`on_complete` steps, publish; on failure remove all."""
        try:
            self.write_json("manifest.json", self.manifest())
            for fn in self._complete:
                fn(self.tmp)
            if self.final.exists():
                raise RunFolderExists(self.final)
            publish_mode(self.tmp, directory=True)
            os.rename(self.tmp, self.final)
        except BaseException:
            self.abort()
            raise
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
