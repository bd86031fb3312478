"""Arrow's memory pool (resurssimalli/__init__.py): the system allocator, unless the environment
names another; a process that imports the project before pyarrow gets it."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = "import resurssimalli, pyarrow; print(pyarrow.default_memory_pool().backend_name)"


def _pool(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    done = subprocess.run(
        [sys.executable, "-c", CODE], env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_project_uses_the_system_allocator_for_arrow():
    assert _pool() == "system"


def test_an_allocator_named_in_the_environment_is_kept():
    assert _pool(ARROW_DEFAULT_MEMORY_POOL="jemalloc") == "jemalloc"
