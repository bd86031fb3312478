"""Draw the stages' progress callbacks (:mod:`resurssimalli.progress`) as rich progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from resurssimalli.progress import ProgressFn, Step


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[ProgressFn]:
    """A callback that advances one bar per stage; messages that report failures are printed."""
    bar = Progress(
        TextColumn(f"[bold]{escape(label)}[/bold] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        refresh_per_second=2,  # rich's default 10: ~0.9 CPU-s of a 16 s run, taken from the workers
    )
    tasks: dict[str, TaskID] = {}

    def on_step(step: Step) -> None:
        if step.stage not in tasks:
            tasks[step.stage] = bar.add_task(step.stage, total=step.total)
        tid = tasks[step.stage]
        if step.message.startswith("task failed"):
            bar.console.print(f"[red]{escape(step.message)}[/red]", highlight=False)
            bar.update(tid, completed=step.done, total=step.total)
        else:
            desc = escape(step.message) if step.message else step.stage
            bar.update(tid, completed=step.done, total=step.total, description=desc)

    with bar:
        yield on_step
