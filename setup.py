"""Build resurssimalli, compiling the simulation's event loop with mypyc (issue 16).

The metadata is in pyproject.toml; this file only adds the compiled modules. COMPILED is the one
list of them (the Makefile reads it): they are compiled together, as one mypyc group, because the
compiled exits module uses the compiled model module's native classes, and the group's shared
library stays inside the package. Every build writes ``_native.json`` beside them: the mypyc
version and the sha256 of each source compiled, or why nothing was compiled. At run time
``resurssimalli.simulate.native`` uses the compiled modules only when that record matches the
sources. When compiling is impossible (RESURSSIMALLI_NO_COMPILE=1, no mypyc, a type error, no C
compiler) the package installs as pure Python, with a warning on stderr (``pip -v`` shows it).
"""

import hashlib
import json
import os
import site
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

COMPILED = [
    "src/resurssimalli/simulate/model.py",
    "src/resurssimalli/simulate/exits.py",
    "src/resurssimalli/simulate/caseloads.py",
    "src/resurssimalli/simulate/keyheap.py",
]
PACKAGE = "resurssimalli.simulate"
GROUP = PACKAGE + "._compiled"  # the shared library: resurssimalli/simulate/_compiled__mypyc.*.so
RECORD = "_native.json"


def _module(path: str) -> str:
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".")


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 120 else text[:117] + "..."


def _warn(reason: str) -> None:
    print(
        f"resurssimalli: the simulation model is not compiled ({reason}); it runs as Python", file=sys.stderr
    )


def _mypycify() -> tuple[list, dict]:
    """The extension modules and the record to write, or ([], the reason) when nothing is compiled."""
    if os.environ.get("RESURSSIMALLI_NO_COMPILE", "") not in ("", "0"):
        return [], {"compiled": False, "reason": "RESURSSIMALLI_NO_COMPILE was set at install"}
    hashes = {_module(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in COMPILED}
    try:
        from mypy.version import __version__ as mypy_version
        from mypyc.build import mypycify

        # mypy reads the packages of the build (mypy, numpy, simpy) and also site.getsitepackages(),
        # the target environment, which pip's build isolation does not hide: with pandas, scipy ...
        # there, type-checking took 20 s instead of 4 and the build depended on what was installed.
        site.getsitepackages = list
        # Only the compiled modules must type-check; the modules they import are read for their types.
        options = ["--follow-imports=silent", "--cache-dir", "build/mypy_cache"]
        extensions = mypycify([*options, *COMPILED], group_name=GROUP, opt_level="3")
    except SystemExit as exc:  # mypyc exits on a type error, having printed it
        return [], {"compiled": False, "reason": f"mypyc stopped ({_short(exc)}); pip install -v shows why"}
    except Exception as exc:
        return [], {"compiled": False, "reason": f"mypyc failed: {_short(exc)}"}
    return extensions, {"compiled": True, "mypyc": mypy_version, "modules": hashes}


# pip also runs this file to read the metadata: compile only when it builds (type-checking takes seconds).
if {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"} & set(sys.argv[1:]):
    EXTENSIONS, BUILT = _mypycify()
else:
    EXTENSIONS, BUILT = [], {"compiled": False, "reason": "not built"}


def _write_record(cmd, record: dict, in_source: bool) -> None:
    """Write the record beside the modules: in the source tree (editable install) or the build."""
    if in_source:
        folder = Path(cmd.get_finalized_command("build_py").get_package_dir(PACKAGE))
    else:
        folder = Path(cmd.build_lib, *PACKAGE.split("."))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if not record["compiled"]:
        _warn(record["reason"])


class BuildPy(build_py):
    """Writes the record when nothing is to be compiled (build_ext then does not run)."""

    def run(self) -> None:
        super().run()
        if not EXTENSIONS:
            _write_record(self, BUILT, self.editable_mode)


class BuildExt(build_ext):
    """Compiles; if the C compiler fails, the install goes on as pure Python."""

    def run(self) -> None:
        in_source = self.inplace or self.editable_mode  # run() clears inplace while it builds
        try:
            super().run()
        except Exception as exc:  # CompileError, LinkError, a missing compiler
            record = {"compiled": False, "reason": f"the C build failed: {_short(exc)}"}
        else:
            record = BUILT
        _write_record(self, record, in_source)


setup(ext_modules=EXTENSIONS, cmdclass={"build_py": BuildPy, "build_ext": BuildExt})
