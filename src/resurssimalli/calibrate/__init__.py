"""Calibration of the customer flow to the plan's tables (``resurssimalli calibrate``)."""

from resurssimalli.calibrate.fit import CalibrationFit, fit_calibration
from resurssimalli.calibrate.write import (
    parameters_frame,
    scenario_differences,
    shipped_differences,
    write_calibration,
)

__all__ = [
    "CalibrationFit",
    "fit_calibration",
    "parameters_frame",
    "scenario_differences",
    "shipped_differences",
    "write_calibration",
]
