"""The optimiser's plan as the simulation reads it: three frozen tables.

``Allocation`` holds copies of the optimiser's ``allocation`` (area, municipality, site,
service_line, htv), ``sites`` (site, municipality, kind, open, htv, workstations,
workstations_used) and ``access`` (demand_point, municipality, site, share, minutes) tables. It
is built from an ``OptimizeResult``, a run folder (``load_result``) or DataFrames, and checked
against the region: bad tables raise :class:`InputError` naming the file and column.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resurssimalli import tolerances
from resurssimalli.errors import InputError
from resurssimalli.reading import read_csv
from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import SERVICE_LINES, UNCOVERED_SITE

ALLOCATION_COLUMNS = ("area", "municipality", "site", "service_line", "htv")
SITES_COLUMNS = ("site", "municipality", "kind", "open", "htv", "workstations", "workstations_used")
ACCESS_COLUMNS = ("demand_point", "municipality", "site", "share", "minutes")
LEAVE_COLUMNS = ("area", "ordinal", "week_start", "substitute_days")
LEAVE_FILE = "leave_plan.csv"
SHARE_TOL = tolerances.PLAN_SHARE


def _frozen_copy(df: pd.DataFrame, columns: tuple[str, ...], source: str, name: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(source, f"{name}.<columns>", f"columns {list(columns)}; missing {missing}")
    return df.loc[:, list(columns)].reset_index(drop=True).copy()


@dataclass(frozen=True)
class Allocation:
    """The optimiser's allocation, site and access tables (copies; treat as read-only)."""

    allocation: pd.DataFrame
    sites: pd.DataFrame
    access: pd.DataFrame
    source: str = "<allocation>"
    # the leave optimiser's plan (optimize.leave.leave_rows; leave_plan.csv), for summer_leave: planned
    leave: pd.DataFrame | None = None

    def with_leave(self, leave: pd.DataFrame) -> Allocation:
        """The same plan with a summer-leave plan (a copy of ``leave``'s columns)."""
        return dataclasses.replace(self, leave=_frozen_copy(leave, LEAVE_COLUMNS, self.source, "leave_plan"))

    @classmethod
    def from_frames(
        cls, allocation: pd.DataFrame, sites: pd.DataFrame, access: pd.DataFrame, source: str = "<frames>"
    ) -> Allocation:
        return cls(
            _frozen_copy(allocation, ALLOCATION_COLUMNS, source, "allocation"),
            _frozen_copy(sites, SITES_COLUMNS, source, "sites"),
            _frozen_copy(access, ACCESS_COLUMNS, source, "access"),
            source,
        )

    @classmethod
    def from_result(cls, result: Any, source: str = "<optimize>") -> Allocation:
        """From an ``OptimizeResult`` (anything with .allocation, .sites and .access frames)."""
        return cls.from_frames(result.allocation, result.sites, result.access, source)

    @classmethod
    def from_run_folder(cls, run_dir: str | Path) -> Allocation:
        """Read a run folder's allocation.csv, sites.csv and access.csv (written by the optimiser)."""
        run_dir = Path(run_dir)
        frames = [read_csv(run_dir / name, "an optimiser output table (from an optimiser run folder)")
                  for name in _FILES]
        alloc = cls.from_frames(*frames, source=str(run_dir))
        if (run_dir / LEAVE_FILE).exists():
            return alloc.with_leave(read_csv(run_dir / LEAVE_FILE, "the summer-leave plan (resurssimalli roster)"))
        return alloc

    def check(self, scenario: Scenario) -> None:
        """Names known to the region, non-negative HTV, access shares summing to 1 per demand point."""
        region = scenario.region
        src = self.source
        for i, r in enumerate(self.allocation.itertuples(index=False)):
            key = f"allocation.csv row {i + 1}"
            if r.area not in region.areas:
                raise InputError(src, f"{key}.area", f"a known area {sorted(region.areas)}, got {r.area!r}")
            if r.service_line not in SERVICE_LINES:
                raise InputError(src, f"{key}.service_line", f"one of {list(SERVICE_LINES)}")
            if not _finite_at_least_zero(r.htv):
                raise InputError(src, f"{key}.htv", f"a non-negative finite number, got {r.htv!r}")
        total = float(pd.to_numeric(self.allocation["htv"]).sum())
        limit = MAX_HTV_MULTIPLE * scenario.config.staff.total_htv
        if total > limit:
            raise InputError(
                src,
                "allocation.csv htv",
                f"at most {MAX_HTV_MULTIPLE}x the scenario's staff.total_htv ({limit:g} HTV); got {total:g}",
            )
        acc = self.access
        for i, r in enumerate(acc.itertuples(index=False)):
            key = f"access.csv row {i + 1}"
            if r.demand_point not in region.demand_points:
                raise InputError(src, f"{key}.demand_point", f"a known demand point, got {r.demand_point!r}")
            if r.site not in region.sites and r.site != UNCOVERED_SITE:
                raise InputError(src, f"{key}.site", f"a known site or {UNCOVERED_SITE!r}, got {r.site!r}")
            if not (_finite_at_least_zero(r.share) and float(r.share) <= 1 + SHARE_TOL):
                raise InputError(src, f"{key}.share", f"a share 0..1, got {r.share!r}")
            if r.site != UNCOVERED_SITE and not _finite_at_least_zero(r.minutes):
                raise InputError(src, f"{key}.minutes", f"non-negative minutes, got {r.minutes!r}")
        sums = acc.groupby("demand_point")["share"].sum()
        for p in region.demand_points:
            s = float(sums.get(p, 0.0))
            if abs(s - 1.0) > SHARE_TOL:
                raise InputError(
                    src, f"access.csv share[{p}]", f"shares of {p}'s sites summing to 1, got {s:.4f}"
                )


_FILES = ("allocation.csv", "sites.csv", "access.csv")
# An allocation may hold at most this multiple of the scenario's staff (memory: one coach per HTV).
MAX_HTV_MULTIPLE = 25


def _finite_at_least_zero(v: object) -> bool:
    """A real number (not text, bool, NaN or infinity) >= 0."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return False
    return math.isfinite(float(v)) and float(v) >= 0
