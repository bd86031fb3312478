"""The fitted calibration as the shipped CSV files (parameters, and the fit's residuals)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from resurssimalli.calibrate.fit import PRIORS, CalibrationFit
from resurssimalli.data.calibration import CALIBRATION_FILE, FIT_FILE
from resurssimalli.runs import write_text

SOURCE = (
    "# Source: the organising plan of the Western Pirkanmaa employment area (autumn 2023), section 2:\n"
    "# the share of new unemployed still unemployed after 3 months, Jan-Jul 2023 (flow_to_over_3_months_2023.csv)\n"
    "# and the July 2023 job seekers by municipality and group (labour_market_2022_2023.csv).\n"
    "# Fitted by `resurssimalli calibrate` (src/resurssimalli/calibrate/: scipy least_squares, posterior mode;\n"
    f"# priors {PRIORS}). Do not edit by hand: rerun the command.\n"
)


def parameters_frame(fit: CalibrationFit, digits: int = 6) -> pd.DataFrame:
    """Rows ``kind, municipality, key, value`` as in ``data/calibration.csv``."""
    rows = [("area", "", f"exit_hazard_per_month.{b}", h) for b, h in fit.area_hazard.items()]
    rows.append(("area", "", "inflow_per_stock_year", fit.inflow_per_stock_year))
    for kind, table in (("hazard_factor", fit.hazard_factor), ("inflow_factor", fit.inflow_factor)):
        for m, row in table.iterrows():
            rows += [(kind, m, k, v) for k, v in row.items()]
    df = pd.DataFrame(rows, columns=["kind", "municipality", "key", "value"])
    df["value"] = df["value"].round(digits)
    return df


def write_calibration(
    fit: CalibrationFit, params: Path = CALIBRATION_FILE, residuals: Path = FIT_FILE, *, replace: bool = False
) -> None:
    """Write the parameters and the residual table (each with its source in the header), each
    through :func:`~resurssimalli.runs.atomic_write`: an existing file is replaced only with
    ``replace`` (and only a regular file)."""
    head = "# Calibrated customer flow: area-level values, municipal factors on exit hazards and inflow.\n"
    _write(params, head + SOURCE, parameters_frame(fit), replace)
    head = (
        "# Fit residuals of data/calibration.csv: check 'fit' = fitted targets (past-3-months share,\n"
        "# stock 12 months after July 2023 by group = the July 2023 table); 'check_2022_2023' = out of\n"
        "# sample: 12 months from the July 2022 stock, change against the plan's July 2022 -> July 2023.\n"
        "# z = residual / standard error (binomial for shares, sqrt(count) for stocks).\n"
    )
    _write(residuals, head + SOURCE, fit.residuals.round(4), replace)


def _write(path: Path, header: str, df: pd.DataFrame, replace: bool) -> None:
    write_text(path, header + df.to_csv(index=False, lineterminator="\n"), replace=replace)


def shipped_differences(fit: CalibrationFit, path: Path = CALIBRATION_FILE, rtol: float = 1e-4) -> pd.DataFrame:
    """Parameters where the shipped file and a fresh fit disagree (empty: the file is current)."""
    from resurssimalli.data.calibration import read_table

    fresh = parameters_frame(fit).set_index(["kind", "municipality", "key"])["value"].rename("fit")
    shipped = read_table(path).set_index(["kind", "municipality", "key"])["value"].rename("shipped")
    both = pd.concat([shipped, fresh], axis=1)
    off = ~((both["shipped"] - both["fit"]).abs() <= rtol * both["fit"].abs() + 1e-6)
    return both[off].reset_index()


def scenario_differences(fit: CalibrationFit, scenario_values: dict[str, float], tol: float = 5e-4) -> dict[str, tuple[float, float]]:
    """Area-level values the scenario carries that differ from the fit: key -> (scenario, fit)."""
    fitted = {f"exit_hazard_per_month.{b}": h for b, h in fit.area_hazard.items()}
    fitted["inflow_per_stock_year"] = fit.inflow_per_stock_year
    return {k: (scenario_values[k], v) for k, v in fitted.items() if abs(scenario_values[k] - v) > tol}
