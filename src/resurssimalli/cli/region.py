"""``resurssimalli region``: Finland's 45 employment areas and their region packs (issue 30)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from resurssimalli.cli import console, err_console

region_app = typer.Typer(
    help="Finland's 45 employment areas (työllisyysalueet): list them, or write one's region pack.",
    no_args_is_help=True,
)


@region_app.command("list")
def list_areas() -> None:
    """The 45 employment areas: code, Finnish and Swedish names, municipalities, job seekers and
    unemployed at the end of June 2026."""
    from rich.table import Table

    from resurssimalli.data import finland

    t = finland.area_table()
    table = Table(
        title=f"Employment areas 2025, job seekers at the end of {finland.JOBSEEKERS_MONTH}",
        box=None,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        title_justify="left",
    )
    for head, right in (("no.", True), ("Finnish name", False), ("Swedish name", False), ("mun.", True),
                        ("seekers", True), ("unempl", True)):  # fmt: skip
        table.add_column(head, justify="right" if right else "left", no_wrap=True)
    for r in t.itertuples():
        table.add_row(str(r.code), r.name_fi, r.name_sv, str(r.municipalities), f"{r.job_seekers:,}",
                      f"{r.unemployed:,}")  # fmt: skip
    sums = [f"{int(t[c].sum()):,}" for c in ("municipalities", "job_seekers", "unemployed")]
    table.add_row("", "the 45 areas", "", *sums, style="bold")
    console.print(table)
    console.print(
        "mun. = municipalities; seekers = job seekers; unempl = of whom unemployed.", highlight=False
    )
    console.print(finland.CREDIT, markup=False, highlight=False)


@region_app.command("init")
def init(
    area: Annotated[str, typer.Argument(help="The area's code (1-45) or Finnish/Swedish name; ä/ö optional")],
    out: Annotated[Path, typer.Option("--out", help="The pack's folder to create (must not exist)")],
    htv: Annotated[
        float | None,
        typer.Option("--htv", help="The area's staff in HTV (default: an estimate, printed as such)"),
    ] = None,
) -> None:
    """Write a region pack: the area's municipalities, responsibility areas, demand points, candidate
    sites, travel times, job seekers, staff and calibration, and a baseline.yaml that uses them
    (`resurssimalli run OUT/baseline.yaml`). Defaults and estimates are listed in OUT/region.csv."""
    from resurssimalli.cli import check_run_options
    from resurssimalli.data.pack import build_pack, write_pack

    check_run_options(out)
    pack = build_pack(area, htv)
    folder = write_pack(pack, out)
    a, m = pack.area, pack.munis
    console.print(
        f"employment area {a.code} {a.name_fi} ({a.name_sv}): {len(m)} municipalities, "
        f"{int(m['job_seekers'].sum()):,} job seekers, {int(m['unemployed'].sum()):,} unemployed "
        f"(June 2026)",
        markup=False,
        highlight=False,
    )
    if pack.htv_estimated:
        err_console.print(
            f"staff: {pack.total_htv:g} HTV is an ESTIMATE (the national total scaled by job seekers); "
            "give the area's own figure with --htv",
            markup=False,
            highlight=False,
        )
    else:
        console.print(f"staff: {pack.total_htv:g} HTV (--htv)", markup=False, highlight=False)
    console.print(
        f"region pack: {folder} (run: resurssimalli run {folder / 'baseline.yaml'})",
        markup=False,
        highlight=False,
    )
