"""The shipped calibration (``calibration.csv``): municipal factors on exit hazards and inflow.

Written by ``resurssimalli calibrate`` (:mod:`resurssimalli.calibrate`), read here without
scipy. Rows ``kind, municipality, key, value``:

* ``area`` — the area-level values the fit found (``exit_hazard_per_month.<band>``,
  ``inflow_per_stock_year``); the baseline scenario carries them (a test keeps them equal);
* ``hazard_factor`` — per municipality × duration band: multiplies the scenario's
  ``simulation.exit_hazard_per_month``;
* ``inflow_factor`` — per municipality × service line: multiplies the inflow
  ``inflow_per_stock_year × the line's July stock``.

A scenario uses the factors when ``demand.calibrated`` is true (otherwise all factors are 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from resurssimalli.data.region import DATA_DIR
from resurssimalli.errors import InputError
from resurssimalli.frozen import FrozenMap
from resurssimalli.reading import read_csv

CALIBRATION_FILE = DATA_DIR / "calibration.csv"
FIT_FILE = DATA_DIR / "calibration_fit.csv"
KINDS = ("area", "hazard_factor", "inflow_factor")


@dataclass(frozen=True)
class Calibration:
    area: FrozenMap  # key -> value
    hazard_factor: FrozenMap  # (municipality, band) -> factor
    inflow_factor: FrozenMap  # (municipality, line) -> factor

    def hazards(self, municipality: str, area_hazards: dict[str, float]) -> dict[str, float]:
        """The municipality's exit hazard per band: the area's times the fitted factor."""
        return {b: h * self.hazard_factor.get((municipality, b), 1.0) for b, h in area_hazards.items()}


def read_table(path: Path = CALIBRATION_FILE) -> pd.DataFrame:
    cols = ("kind", "municipality", "key", "value")
    df = read_csv(path, "the calibration table", cols, comment="#", skipinitialspace=True, keep_default_na=False)
    bad = sorted(set(df["kind"]) - set(KINDS))
    if bad:
        raise InputError(path, "kind", f"one of {', '.join(KINDS)}, got {', '.join(bad)}")
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    if not (df["value"] > 0).all():
        raise InputError(path, "value", "positive numbers")
    return df


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    df = read_table(path)

    def pick(kind: str) -> dict:
        sub = df[df["kind"] == kind]
        return {(r.municipality, r.key): float(r.value) for r in sub.itertuples(index=False)}

    area = {k: v for (_m, k), v in pick("area").items()}
    return Calibration(FrozenMap(area), FrozenMap(pick("hazard_factor")), FrozenMap(pick("inflow_factor")))


UNCALIBRATED = Calibration(FrozenMap({}), FrozenMap({}), FrozenMap({}))


def calibration_for(calibrated: bool, data_dir: Path = DATA_DIR) -> Calibration:
    """The region's calibration (the package's, or a region pack's ``calibration.csv``) if a
    scenario asks for it (``demand.calibrated``), else all factors 1."""
    return load_calibration(data_dir / CALIBRATION_FILE.name) if calibrated else UNCALIBRATED
