"""``region.csv``: the employment area's code and names, and what its data rest on.

Rows ``key, value, status, source, source_fi``. ``code``, ``name_fi`` and ``name_en`` are
required (``name_sv`` optional); a region pack (``resurssimalli region init``) adds one row per
default or estimate it made where the official data have nothing (status ``assumption`` or
``derived``, source text beginning "ESTIMATE" / "ARVIO" where a number is estimated). The
assumptions table and the memo's opening list those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resurssimalli.errors import InputError
from resurssimalli.reading import read_csv

INFO_FILE = "region.csv"
REQUIRED_KEYS = ("code", "name_fi", "name_en")
NAME_KEYS = ("code", "name_fi", "name_sv", "name_en")
STATUSES = ("sourced", "derived", "assumption")


@dataclass(frozen=True)
class InfoRow:
    key: str
    value: str
    status: str
    source: str
    source_fi: str


@dataclass(frozen=True)
class RegionInfo:
    """The area's names and the pack's defaults and estimates (rows other than the names)."""

    rows: tuple[InfoRow, ...]

    def get(self, key: str, default: str = "") -> str:
        return next((r.value for r in self.rows if r.key == key), default)

    @property
    def name(self) -> str:
        """``Finnish name (English name)`` — the form the console and figures split."""
        return f"{self.get('name_fi')} ({self.get('name_en')})"

    @property
    def notes(self) -> tuple[InfoRow, ...]:
        """The rows that are not the area's names: what the data rest on (defaults, estimates)."""
        return tuple(r for r in self.rows if r.key not in NAME_KEYS)

    @property
    def is_pack(self) -> bool:
        """True for a pack built by ``region init`` (it records the month of its job seekers)."""
        return any(r.key == "jobseekers_month" for r in self.rows)


def read_info(path: Path) -> RegionInfo:
    """Read and check ``region.csv`` (one clear error naming the file and key)."""
    cols = ("key", "value", "status", "source", "source_fi")
    df = read_csv(path, "the region's names and sources", cols, comment="#", keep_default_na=False, dtype=str)
    dup = sorted(set(df["key"][df["key"].duplicated()]))
    if dup:
        raise InputError(path, "key", f"each key once; repeated {dup}")
    missing = [k for k in REQUIRED_KEYS if k not in set(df["key"])]
    if missing:
        raise InputError(path, "key", f"rows for {', '.join(REQUIRED_KEYS)}; missing {', '.join(missing)}")
    for i, r in enumerate(df.itertuples(index=False)):
        if r.status not in STATUSES:
            raise InputError(
                path, f"row {i + 1} ({r.key}).status", f"one of {', '.join(STATUSES)}, got {r.status!r}"
            )
        if not str(r.value).strip() or not str(r.source).strip():
            raise InputError(path, f"row {i + 1} ({r.key})", "a value and its source")
    rows = tuple(
        InfoRow(r.key, r.value, r.status, r.source, r.source_fi or r.source)
        for r in df.itertuples(index=False)
    )
    return RegionInfo(rows)
