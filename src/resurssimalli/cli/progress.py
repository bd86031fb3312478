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

# The stages' progress messages (English, from the model packages) as a Finnish console shows them:
# a leading word or phrase and its Finnish form; the rest of a message (names, counts) is kept.
FINNISH = {
    "run": "ajo", "memo": "muistio", "simulate": "simulointi", "what-if": "muutokset", "outcomes": "vaikutukset",
    "read the run": "luetaan ajo", "figures": "kuvat", "PDF": "PDF", "workbook": "työkirja", "done": "valmis",
    "optimise ": "optimoidaan ", "simulate ": "simuloidaan ", "what if: ": "muutokset: ",
    "write the run folder and the memo": "kirjoitetaan ajokansio ja muistio",
    "write the run folder": "kirjoitetaan ajokansio", "effect low": "vaikutus matala",
    "effect central": "vaikutus keskimmäinen", "effect high": "vaikutus korkea", ": the plan": ": suunnitelma",
    " scenarios": " skenaariota",
}  # fmt: skip


def say(text: str, lang: str) -> str:
    """A progress message in ``lang``: the known English phrases of :data:`FINNISH` replaced."""
    if lang != "fi":
        return text
    if text in FINNISH:
        return FINNISH[text]
    for en in sorted(FINNISH, key=len, reverse=True):
        if len(en) > 3 or en.startswith(" "):
            text = text.replace(en, FINNISH[en])
    return text


@contextmanager
def progress_bar(console: Console, label: str, lang: str = "en") -> Iterator[ProgressFn]:
    """A callback that advances one bar per stage; messages that report failures are printed.
    ``lang``: the console's language (the stages' messages translated by :func:`say`)."""
    bar = Progress(
        TextColumn(f"[bold]{escape(say(label, lang))}[/bold] {{task.description}}"),
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
            tasks[step.stage] = bar.add_task(say(step.stage, lang), total=step.total)
        tid = tasks[step.stage]
        if step.message.startswith("task failed"):
            bar.console.print(f"[red]{escape(step.message)}[/red]", highlight=False)
            bar.update(tid, completed=step.done, total=step.total)
        else:
            desc = escape(say(step.message, lang)) if step.message else say(step.stage, lang)
            bar.update(tid, completed=step.done, total=step.total, description=desc)

    with bar:
        yield on_step
