"""Run folders: ``results/<scenario>-<UTC timestamp>/`` with a ``manifest.json``.

A run is written into a hidden temporary folder beside its final name (made as the command
starts: it claims the name) and moved into place when it finishes, so a crash never leaves a
half-written run under the final name and two runs never work towards one folder. An existing
run folder is never overwritten. :func:`atomic_write` is the one writer of single files (memo,
workbook, template, calibration, sweep stores): never through a link, never over a file it did
not make unless asked (``--force``), and never over anything but a regular file.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import platform
import secrets
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError, ResurssimalliError, RunFolderExists
from resurssimalli.safety import slug, write_csv

RESULTS_DIR = Path("results")
TEMP_SUFFIX = ".tmp"
_TEMP_TRIES = 100
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


def temp_names(path: Path) -> Iterator[Path]:
    """Candidate temporary names beside ``path`` (hidden, random): the one place every temporary
    file or folder of the tool is named, so a test can plant links at every one of them."""
    for _ in range(_TEMP_TRIES):
        yield path.parent / f".{path.name[:100]}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


def output_error(path: Path, exc: OSError, what: str = "a file that can be written") -> InputError:
    """An OSError met while writing ``path`` as the one clear message the CLI prints (exit 2)."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return InputError(path, "<file>", f"{what} (a folder you can write to; {reason})")
    if exc.errno == errno.ENOSPC:
        return InputError(path, "<file>", f"{what} (the disk is full)")
    return InputError(path, "<file>", f"{what} ({reason})")


def check_replaceable(path: Path, *, replace: bool, what: str = "OUT") -> None:
    """Refuse to replace ``path`` unless it is absent, or a regular file and ``replace`` is set.

    A link, folder, device, pipe or socket is never replaced, not even with ``--force``.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise output_error(path, exc) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(what, str(path), "a new file or a regular one; this is a symbolic link (unfollowed)")
    if stat.S_ISDIR(st.st_mode):
        raise InputError(what, str(path), "a file name; this is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(what, str(path), "a new file or a regular one; this is a device, pipe or socket")
    if not replace:
        raise InputError(what, str(path), "a new file; it exists (add --force to replace it)")


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new private file beside ``path``, opened without following links (``O_EXCL|O_NOFOLLOW``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for tmp in temp_names(path):
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue  # taken, or a planted link: never opened, try another name
        except OSError as exc:
            raise output_error(path, exc) from None
    raise InputError(path, "<file>", "a folder where a temporary file can be made (every name taken)")


def _is_same(fd: int, tmp: Path) -> bool:
    """True if ``tmp`` is still the regular file opened as ``fd`` (not swapped for a link)."""
    try:
        st, mine = os.lstat(tmp), os.fstat(fd)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _publish_file(tmp: Path, path: Path, replace: bool) -> None:
    """Move ``tmp`` to ``path``: with ``replace`` over a regular file; else only if ``path`` is
    free at that instant (a hard link fails if the name is taken; then the temporary name goes)."""
    if replace:
        check_replaceable(path, replace=True)
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        expected = "a new file; it appeared while writing (add --force to replace it)"
        raise InputError("OUT", str(path), expected) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        check_replaceable(path, replace=False)  # a file system without hard links
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def atomic_write(path: Path, write: Callable[[Path], None], *, replace: bool = False) -> Path:
    """Call ``write(tmp)`` on a new temporary file beside ``path``, then move it into place.

    The one writer of every file the tool writes outside a run being written (run folders are
    private temporary folders until published): the temporary file is created with
    ``O_EXCL|O_NOFOLLOW`` (a link planted at its name is never followed), checked to be the same
    file after ``write``, and published without replacing anything unless ``replace`` (then only
    a regular file). OS errors become one message naming the file.
    """
    path = Path(path)
    check_replaceable(path, replace=replace)
    fd, tmp = _create_temp(path)
    try:
        write(tmp)
        if not _is_same(fd, tmp):
            raise InputError(tmp, "<file>", "the temporary file this program made; replaced while writing")
        os.fchmod(fd, 0o666 & ~_umask())
        _publish_file(tmp, path, replace)
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        if _is_same(fd, tmp):  # still there (failed): ours to remove; anything else is left alone
            os.unlink(tmp)
        os.close(fd)
    return path


def write_bytes(path: Path, data: bytes, *, replace: bool = False) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), replace=replace)


def write_text(path: Path, text: str, *, replace: bool = False) -> Path:
    return write_bytes(path, text.encode("utf-8"), replace=replace)


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
    """Refuse a file to write before any work: its folder must exist and be writable; an existing
    file needs ``force`` and is replaced only if it is a regular file (:func:`check_replaceable`)."""
    path = Path(path)
    check_replaceable(path, replace=force, what=what)
    if not path.parent.is_dir():
        raise InputError(what, str(path), f"a file in an existing folder; {path.parent} is not a folder")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(what, str(path), f"a file in a writable folder; {path.parent} is not writable")
    return path


def check_output_dir(path: str | Path, what: str = "--out") -> Path:
    """A folder to write files into (existing, or creatable): refused before any work if it is a
    file, a dangling link, or not writable. Creates nothing."""
    path = Path(path)
    if os.path.lexists(path):
        if not path.is_dir():
            kind = "a dangling link" if path.is_symlink() and not path.exists() else "not a folder"
            raise InputError(what, str(path), f"a folder to write into; this is {kind}")
        if not os.access(path, os.W_OK | os.X_OK):
            raise InputError(what, str(path), "a folder you can write to; it is not writable")
        return path
    check_output_path(path, what)
    return path


def default_run_path(name: str, root: Path = RESULTS_DIR) -> Path:
    """``root/<slug of name>-<UTC timestamp>`` (suffixed ``-2``, ``-3``… if taken or claimed by a
    run being written): where the command line puts a run without ``--out``. The slug keeps the
    folder inside ``root``. :func:`claim_run_path` claims it."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    base = slug(name)
    candidate, n = root / f"{base}-{stamp}", 2
    while os.path.lexists(candidate) or os.path.lexists(claim_name(candidate)):
        candidate, n = root / f"{base}-{stamp}-{n}", n + 1
    return candidate


def claim_name(final: Path) -> Path:
    """The hidden temporary folder that claims ``final`` while its run is written (one name per
    run folder, so two runs can never write the same one)."""
    name = final.name
    if len(name.encode()) > 120:
        name = name[:60] + "." + hashlib.sha256(name.encode()).hexdigest()[:12]
    return final.parent / f".{name}{TEMP_SUFFIX}"


# Temporary run folders this process has claimed and not yet published or removed, and which of
# them a RunFolder writes (a claim is adopted once).
_LIVE: dict[str, Path] = {}
_ADOPTED: set[str] = set()


def _claim(final: Path) -> Path:
    """Claim ``final`` by creating its hidden temporary folder (``mkdir`` is atomic and never follows
    a link planted at the name); the error names who holds it."""
    tmp = claim_name(final)
    check_output_path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(final.parent, exc, "a folder for the run that can be created") from None
    try:
        os.mkdir(tmp, 0o700)
    except FileExistsError:
        if os.path.lexists(final):
            raise RunFolderExists(final) from None
        raise InputError(
            "--out", str(final),
            f"a run folder no other run is writing; {tmp.name} claims it (remove it if no run is running)",
        ) from None
    except OSError as exc:
        raise output_error(final, exc, "a run folder that can be created") from None
    _LIVE[os.path.abspath(final)] = tmp
    return tmp


def claim_run_path(out: Path | None, name: str, root: Path = RESULTS_DIR) -> Path:
    """Claim the run folder a command will write, before any work: ``out`` (refused if it exists
    or another run claims it), else the next free ``root/<slug>-<UTC time>``. :class:`RunFolder`
    adopts the claim; :func:`remove_temporaries` drops it if the command ends before that."""
    if out is not None:
        if os.path.abspath(out) in _LIVE:
            return Path(out)  # claimed by this process already
        _claim(Path(out))
        return Path(out)
    for _ in range(1000):
        final = default_run_path(name, root)
        try:
            _claim(final)
        except (RunFolderExists, InputError):
            if final.parent.is_dir() and (os.path.lexists(claim_name(final)) or os.path.lexists(final)):
                continue  # another run took this name a moment ago: the next suffix
            raise
        return final
    raise InputError("--out", str(root), "a free run folder name")


def release_claim(final: Path) -> None:
    """Drop this process's claim on ``final`` (and its temporary folder) if not published."""
    tmp = _LIVE.pop(os.path.abspath(final), None)
    _ADOPTED.discard(os.path.abspath(final))
    if tmp is not None:
        _remove_tree(tmp)


def remove_temporaries() -> None:
    """Remove every temporary run folder this process claimed and did not publish (called as a
    command ends, also after Ctrl-C or SIGTERM)."""
    for key, tmp in list(_LIVE.items()):
        _remove_tree(tmp)
        _LIVE.pop(key, None)
        _ADOPTED.discard(key)


def _remove_tree(tmp: Path) -> None:
    if os.path.islink(tmp):
        return  # never ours
    shutil.rmtree(tmp, ignore_errors=True)


class RunFolderGone(ResurssimalliError):
    """The temporary run folder vanished (or writing failed) while the run was written."""

    def __init__(self, final: Path, tmp: Path, exc: BaseException | None = None) -> None:
        why = f" ({exc.strerror or type(exc).__name__})" if isinstance(exc, OSError) else ""
        super().__init__(f"{final}: the run could not be written{why}: its temporary folder {tmp.name} "
                         "was removed or could not be written; nothing was published")


class RunFolder:
    """A run being written. Use as a context manager; files appear under the final name on exit.

    Callables given to :meth:`on_complete` run on the temporary folder after the manifest is
    written and before it is published, so the memo and workbook are inside a folder the moment
    it becomes visible; if anything fails (or the process is killed) no folder is published.
    The temporary folder is the run's claim on its name (:func:`claim_run_path`): taken at the
    start, so two runs never both work towards one folder.
    """

    def __init__(
        self, final: Path, *, scenario: Any = None, command: str = "", seed: int | None = None
    ) -> None:
        final = Path(final)
        key = os.path.abspath(final)
        if key not in _LIVE or key in _ADOPTED:  # not claimed yet, or by another RunFolder
            _claim(final)
        _ADOPTED.add(key)
        self.final, self.tmp = final, _LIVE[key]
        self._identity = _identity(self.tmp)
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
        can never place the run outside ``root``. A folder claimed by this process is adopted.
        """
        return cls(Path(out) if out is not None else claim_run_path(None, name, root), **kw)

    # -- writing ------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Where to write ``name`` now (inside the temporary folder, which must still be ours)."""
        self.check_alive()
        p = self.tmp / name
        if p.parent != self.tmp:
            p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def check_alive(self) -> None:
        """Refuse to go on if the temporary folder was removed or replaced while writing."""
        if _identity(self.tmp) != self._identity:
            raise RunFolderGone(self.final, self.tmp)

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
            self.check_alive()
            if os.path.lexists(self.final):
                raise RunFolderExists(self.final)
            publish_mode(self.tmp, directory=True)
            os.rename(self.tmp, self.final)
            _forget(self.final)
        except OSError as exc:
            self.abort()
            raise RunFolderGone(self.final, self.tmp, exc) from None
        except BaseException:
            self.abort()
            raise
        return self.final

    def abort(self) -> None:
        if _identity(self.tmp) == self._identity:
            _remove_tree(self.tmp)
        _forget(self.final)

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.finish()
            return
        self.abort()
        if isinstance(exc, OSError) and not isinstance(exc, ResurssimalliError):
            raise RunFolderGone(self.final, self.tmp, exc) from None


def _forget(final: Path) -> None:
    _LIVE.pop(os.path.abspath(final), None)
    _ADOPTED.discard(os.path.abspath(final))


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a real folder at ``path``; None if gone or a link."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
