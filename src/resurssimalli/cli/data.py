"""``resurssimalli data import``: StatFin table 12r5 (any PxWeb format) → the region's snapshot CSVs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from resurssimalli.errors import InputError


def import_command(files: list[Path], out: Path, console: Console) -> list[Path]:
    """Read every file, check every target is new, then write one snapshot per month (all or none)."""
    from resurssimalli.data.jobseekers import CREDIT, import_tables, snapshot_name, write_snapshot
    from resurssimalli.reading import existing_dir
    from resurssimalli.runs import atomic_write

    existing_dir(out, "--out")
    snaps = import_tables(files)
    targets = [out / snapshot_name(s) for s in snaps]
    taken = [t for t in targets if t.exists() or t.is_symlink()]
    if taken:
        raise InputError(
            "--out", str(taken[0]), "a folder without this month's snapshot; it exists (remove it yourself)"
        )
    written: list[Path] = []
    try:
        for snap, target in zip(snaps, targets, strict=True):
            atomic_write(target, lambda tmp, snap=snap: write_snapshot(snap, tmp))
            written.append(target)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    for snap, target in zip(snaps, targets, strict=True):
        total = snap.total
        n_filled = int(snap.filled.to_numpy().sum())
        console.print(
            f"{escape(str(target))}: table {snap.table}, {snap.month} (updated {snap.updated}): "
            f"{total['HAKIJALOPUSSA']:,.0f} job seekers, {total['TYOTTOMATLOPUSSA']:,.0f} unemployed; "
            f"{n_filled} suppressed cells filled and flagged",
            highlight=False,
        )
    console.print(CREDIT, highlight=False)
    return targets
