"""Pause Python's cyclic garbage collector while a large Pyomo model is built or handed to HiGHS.

Building tens of thousands of expression and constraint objects triggers many full collection
passes that find nothing to free (the objects are all alive); on the national instance they
cost more than the build itself. Reference counting still frees memory while paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
