"""Which simulation model runs: the mypyc-compiled modules or their Python sources (issue 16).

The build (``setup.py``) compiles the event loop's modules together and records, in
``_native.json`` beside them, the sha256 of each source it compiled. :func:`choose`, called by
``resurssimalli.simulate`` before anything imports those modules, uses the compiled ones only if
the record names them, every source still has its recorded hash and all of them import; else
every one of them runs from its ``.py`` file (all or nothing), so a source edited since the build
runs as edited. ``RESURSSIMALLI_INTERPRETED=1`` forces the sources. The pools' fork server
imports this package too, so its workers make the same choice. Both give the same results to the bit.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.util
import json
import multiprocessing
import os
import sys
import warnings
from collections.abc import Mapping
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
RECORD = HERE / "_native.json"
FORCE = "RESURSSIMALLI_INTERPRETED"

_implementation: str | None = None


def _stem(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def read_record(path: Path = RECORD) -> dict[str, Any] | None:
    """The build's record, or None if there is none (a source checkout never installed)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def decide(record: Mapping[str, Any] | None, folder: Path = HERE, env: Mapping[str, str] = os.environ) -> str:
    """Why the Python sources must run, or ``""`` when the compiled modules may be tried."""
    if env.get(FORCE, "") not in ("", "0"):
        return f"{FORCE}={env[FORCE]}"
    if record is None:
        return "no compiled build"
    if not record.get("compiled"):
        return str(record.get("reason", "not compiled"))
    for module, digest in record["modules"].items():
        stem = _stem(module)
        if not any((folder / (stem + suffix)).is_file() for suffix in EXTENSION_SUFFIXES):
            return f"no compiled {stem} for this Python"
        if hashlib.sha256((folder / f"{stem}.py").read_bytes()).hexdigest() != digest:
            return f"{stem}.py changed since the build"
    return ""


class _Sources(importlib.abc.MetaPathFinder):
    """Finds this package's modules as their ``.py`` files, ahead of any compiled module beside them."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        source = HERE / f"{_stem(fullname)}.py"
        if fullname.rpartition(".")[0] != __package__ or not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def _forget(before: set[str]) -> None:
    """Drop this package's modules imported since ``before`` (none may keep a compiled object)."""
    package = sys.modules[__package__]
    for module in set(sys.modules) - before:
        if module.startswith(__package__ + "."):
            del sys.modules[module]
            if getattr(package, _stem(module), None) is not None:
                delattr(package, _stem(module))


def _import_compiled(modules: list[str]) -> str:
    """Import every compiled module; ``""`` if all are compiled, else why not (none kept)."""
    before = set(sys.modules)
    try:
        loaded: list[ModuleType] = [importlib.import_module(m) for m in modules]
    except Exception as exc:  # an ImportError, or a compiled module whose types do not hold
        _forget(before)
        return f"the compiled model does not import: {exc}"
    if any(not str(m.__file__).endswith(tuple(EXTENSION_SUFFIXES)) for m in loaded):
        _forget(before)
        return "a compiled module was not found on import"
    return ""


def users_process() -> bool:
    """Whether this is the process the user started: not a pool worker, nor the workers' fork
    server importing its preload (:mod:`resurssimalli.executors`), which multiprocessing starts
    as a fresh interpreter without a parent process of its own; the user hears a warning once."""
    if multiprocessing.parent_process() is not None:
        return False
    server = sys.modules.get("multiprocessing.forkserver")
    frame = sys._getframe() if server is not None else None
    while frame is not None:
        if frame.f_code is server.main.__code__:  # type: ignore[union-attr]
            return False
        frame = frame.f_back
    return True


def choose() -> str:
    """Make the choice once per process (before the modules are imported); returns the text."""
    global _implementation
    if _implementation is None:
        record = read_record()
        reason = decide(record) or _import_compiled(list(record["modules"]))  # type: ignore[index]
        if not reason:
            _implementation = f"compiled (mypyc {record['mypyc']})"  # type: ignore[index]
        else:
            sys.meta_path.insert(0, _Sources())
            _implementation = f"interpreted ({reason})"
            if reason.endswith("since the build") and users_process():
                warnings.warn(
                    f"resurssimalli: {reason}; the Python sources run (reinstall to compile)", stacklevel=2
                )
    return _implementation


def implementation() -> str:
    """The simulation model in use: ``compiled (mypyc X)`` or ``interpreted (why)``."""
    return choose()
