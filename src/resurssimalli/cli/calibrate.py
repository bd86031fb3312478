"""``resurssimalli calibrate``: fit the customer flow to the plan's tables and print the fit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from resurssimalli.calibrate import (
    CalibrationFit,
    fit_calibration,
    scenario_differences,
    shipped_differences,
    write_calibration,
)
from resurssimalli.data.calibration import CALIBRATION_FILE, FIT_FILE
from resurssimalli.errors import InputError
from resurssimalli.runs import check_output_dir, check_output_file, output_error
from resurssimalli.scenario.load import Scenario


def calibration_files(out: Path | None, force: bool) -> tuple[Path, Path]:
    """The two files ``calibrate`` writes, checked before the fit: into ``out`` (a folder, made if
    missing; an existing file replaced only with ``force``), else the shipped data folder's
    (rewritten: that is what the command is for)."""
    if out is None:
        return CALIBRATION_FILE, FIT_FILE
    check_output_dir(out)
    files = (out / CALIBRATION_FILE.name, out / FIT_FILE.name)
    if out.is_dir():
        for f in files:
            check_output_file(f, force=force, what="--out")
    return files


def calibrate_command(
    scenario: Scenario, console: Console, out: Path | None, check: bool, force: bool = False
) -> None:
    """Fit, print, and write the shipped files (or ``out``); ``check``: exit 1 if they are stale."""
    params, residuals = calibration_files(out, force) if not check else (CALIBRATION_FILE, FIT_FILE)
    if not scenario.region.flow_past_3_months:  # a region pack: no public flow table to fit to
        raise InputError(
            scenario.path, "region.pack",
            "the seed area's tables (a region pack has no flow table to fit; its calibration is an estimate)",
        )
    fit = fit_calibration(scenario)
    _print_fit(console, fit, {m: x.name for m, x in scenario.region.municipalities.items()})
    stale = _print_differences(console, fit, scenario)
    if check:
        if stale:
            raise typer.Exit(1)
        console.print("The shipped calibration is what the fit produces.")
        return
    if out:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(out, exc, "a folder that can be made") from None
    write_calibration(fit, params, residuals, replace=out is None or force)
    console.print(f"Wrote {params} and {residuals}.")


def _print_fit(console: Console, fit: CalibrationFit, names: dict[str, str]) -> None:
    console.print(
        f"Fit {'converged' if fit.success else 'did NOT converge'} after {fit.evaluations} evaluations "
        f"(cost {fit.cost:.3f}). Area: exit hazard a month "
        + ", ".join(f"{b} {h:.4f}" for b, h in fit.area_hazard.items())
        + f"; {fit.inflow_per_stock_year:.3f} registrations a year per July job seeker."
    )
    r = fit.residuals
    t = Table(
        title="Plan/fitted: % of new spells past 3 months; stock 12 months on by group",
        box=box.SIMPLE,
        pad_edge=False,
        collapse_padding=True,
    )
    t.add_column("municipality", no_wrap=True)
    for col in ("past3 %", "stock", "<30", ">50", "12mo+", "foreign"):
        t.add_column(col, justify="right", no_wrap=True)
    fitted = r[r["check"] == "fit"].set_index(["municipality", "group"])
    for m in fit.hazard_factor.index:
        cells = [_pair(fitted.loc[(m, "past_3_months_share")] * 100, "{:.1f}")]
        for g in ("total", "under_30", "over_50", "long_term", "foreign"):
            cells.append(_pair(fitted.loc[(m, f"stock_{g}")], "{:.0f}"))
        t.add_row(names.get(m, m), *cells)
    console.print(t)
    chk = r[r["check"] == "check_2022_2023"]
    total = chk[chk["group"] == "change_total"]
    console.print(
        f"Out of sample, July 2022 -> July 2023: the plan's stock changed by {total['plan'].sum():+.0f}, "
        f"the fitted model from the July 2022 stock gives {total['model'].sum():+.0f}."
    )


def _pair(row: pd.Series, fmt: str) -> str:
    return f"{fmt.format(row['plan'])}/{fmt.format(row['model'])}"


def _print_differences(console: Console, fit: CalibrationFit, scenario: Scenario) -> bool:
    """Say where the shipped file or the scenario's area values differ from the fit."""
    cfg = scenario.config
    values = {f"exit_hazard_per_month.{b}": h for b, h in cfg.simulation.exit_hazard_per_month.items()}
    values["inflow_per_stock_year"] = cfg.demand.inflow_per_stock_year
    diff = scenario_differences(fit, values)
    for k, (have, want) in diff.items():
        console.print(f"{scenario.path.name} has {k} = {have}; the fit gives {want:.4f} (update it).")
    shipped = shipped_differences(fit)
    if len(shipped):
        console.print(
            f"{len(shipped)} parameters of the shipped {CALIBRATION_FILE.name} differ from the fit."
        )
    return bool(diff) or bool(len(shipped))
