"""Progress reporting without printing: stages call a callback, the command line draws it.

A model stage (optimise, simulate, sweep, stress) takes ``progress: ProgressFn | None`` and calls
:func:`tick` as work completes; the CLI passes a function that advances a rich progress bar, a
notebook can pass ``print`` or nothing. Stages never import a console library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """``done`` of ``total`` units of ``stage`` finished; ``message`` says what (may be empty)."""

    stage: str
    done: int
    total: int
    message: str = ""


ProgressFn = Callable[[Step], None]


def tick(progress: ProgressFn | None, stage: str, done: int, total: int, message: str = "") -> None:
    """Report a step if anyone listens."""
    if progress is not None:
        progress(Step(stage, done, total, message))
