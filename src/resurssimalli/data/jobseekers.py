"""Job seekers by municipality from StatFin table 12r5: the region's snapshot, written and read back.

:func:`region_snapshot` takes a :class:`~resurssimalli.data.statfin.StatTable` (any format) and
one of its months, keeps the region's municipalities (``jobseekers/municipality_codes.csv``) and
fills the suppressed cells by :data:`FILL_RULE`, flagging each. :func:`write_snapshot` writes it as
the CSV a scenario names under ``demand.jobseekers`` (one row per municipality and one ``total``
row, their sum; the table, month, update time and credit line in every row and the header);
:func:`load_snapshot` reads such a file back as untrusted input.

Shares (a measure whose label ends in ``(%)``, e.g. the unemployment rate) are not counts: they
are left out of the snapshot, as they cannot be summed into the region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from resurssimalli.data.region import DATA_DIR
from resurssimalli.data.statfin import StatTable, read_table
from resurssimalli.errors import InputError
from resurssimalli.reading import read_csv
from resurssimalli.safety import write_csv

TABLE_ID = "12r5"
CREDIT = "Lähde: Tilastokeskus, KEHA-keskus (Työnvälitystilasto); CC BY 4.0"
JOBSEEKER_DIR = DATA_DIR / "jobseekers"
METADATA_FILE = JOBSEEKER_DIR / "statfin_tyonv_12r5_2026M06.json"
CODES_FILE = JOBSEEKER_DIR / "municipality_codes.csv"
TOTAL = "total"
COUNTRY = "SSS"  # the whole country's row of the table
WEIGHT = "HAKIJALOPUSSA"  # job seekers: the weight a suppressed cell's share of the remainder follows
# KEHA publishes no count of 1-4 (the table's municipal counts are 0 or >= 5): a suppressed cell
# lies in [SUPPRESSED_MIN, SUPPRESSED_MAX]
SUPPRESSED_MIN, SUPPRESSED_MAX = 1.0, 4.0
FILL_RULE = (
    "a suppressed municipal cell ('...', a count of 1-4) is the whole country's value less the "
    "published municipal values, shared among the country's suppressed cells of that measure by "
    "job seekers, and kept within 1-4 (2.5 when the file has no whole-country row)"
)
# the measures the customer states read (scenario.states): a snapshot must carry them
REQUIRED = (
    "HAKIJALOPUSSA",
    "TYOTTOMATLOPUSSA",
    "LOMAUTETTU",
    "TYOLLISTETTYLOP",
    "TYOHARJOITTELULOP",
    "KOKEILULOP",
    "TVKOULUTUSLOP",
    "VALMENNUSLOP",
    "MTPPALVELUTLOP",
    "PITKAAIKAISTYOTTOMAT",
    "TYOTTOMAT50",
    "TYOTTOMATSAIR",
    "TYOTTOMATULK",
)


@dataclass(frozen=True)
class Snapshot:
    """The region's job seekers at one month's end: counts and fill flags by municipality."""

    table: str
    month: str  # YYYY-MM
    updated: str
    source: str
    counts: pd.DataFrame = field(compare=False)  # index municipality (model id), columns measure codes
    filled: pd.DataFrame = field(compare=False)  # the same shape, True where a suppressed cell was filled
    origin: str = field(default="", compare=False)  # the file it came from

    @property
    def total(self) -> pd.Series:
        return self.counts.sum()


@lru_cache(maxsize=1)
def table_metadata() -> StatTable:
    """The shipped June 2026 json answer: the table's own metadata (measure codes and labels)."""
    from resurssimalli.data.statfin import _read_json
    from resurssimalli.reading import read_json

    return _read_json(METADATA_FILE, read_json(METADATA_FILE, "the shipped StatFin 12r5 table"), TABLE_ID)


@lru_cache(maxsize=1)
def municipality_codes() -> dict[str, str]:
    """Model municipality id → StatFin area code."""
    df = read_csv(CODES_FILE, "municipality codes", ("municipality", "code"), comment="#", dtype=str)
    return dict(zip(df["municipality"], df["code"], strict=True))


def _is_share(label: str) -> bool:
    return label.rstrip().endswith("(%)")


def _fill(month: pd.DataFrame, measure: str) -> pd.Series:
    """A measure's municipal values of one month with the suppressed ones filled (:data:`FILL_RULE`)."""
    munis = month[month["area_code"].str.startswith("KU")].set_index("area_code")
    values = munis[measure].copy()
    hidden = values.isna()
    if not hidden.any():
        return values
    country = month.loc[month["area_code"] == COUNTRY, measure]
    if country.empty or country.isna().all():
        values[hidden] = (SUPPRESSED_MIN + SUPPRESSED_MAX) / 2
        return values
    remainder = max(float(country.iloc[0]) - float(values[~hidden].sum()), 0.0)
    weights = munis.loc[hidden, WEIGHT].fillna(SUPPRESSED_MAX)
    weights = weights if weights.sum() > 0 else pd.Series(1.0, index=weights.index)
    values[hidden] = np.clip(remainder * weights / weights.sum(), SUPPRESSED_MIN, SUPPRESSED_MAX)
    return values


def region_snapshot(table: StatTable, month: str, codes: dict[str, str] | None = None) -> Snapshot:
    """The region's municipalities of ``month`` with suppressed cells filled and flagged."""
    codes = codes or municipality_codes()
    rows = table.values[table.values["month"] == month]
    missing_codes = [c for c in codes.values() if c not in set(rows["area_code"])]
    if rows.empty or missing_codes:
        raise InputError(
            table.file,
            f"Alue {month}",
            f"the region's municipalities {sorted(codes.values())}; missing {missing_codes or 'the month'}",
        )
    measures = [c for c, label in table.measures.items() if not _is_share(label)]
    absent = [c for c in REQUIRED if c not in measures]
    if absent:
        raise InputError(table.file, "measures", f"the measures the customer states need; missing {absent}")
    by_code = {v: k for k, v in codes.items()}
    counts, flags = {}, {}
    for m in measures:
        filled = _fill(rows, m)
        counts[m] = filled.reindex(list(by_code)).rename(index=by_code)
        hidden = rows.set_index("area_code")[m].isna()
        flags[m] = hidden.reindex(list(by_code)).rename(index=by_code)
    counts_df = pd.DataFrame(counts).rename_axis("municipality").round(2)
    flags_df = pd.DataFrame(flags).rename_axis("municipality").astype(bool)
    return Snapshot(table.table, month, table.updated, table.source, counts_df, flags_df, table.file)


def import_tables(paths: list[Path]) -> list[Snapshot]:
    """Each month found in the files as a region snapshot; the same month in two files must agree."""
    seen: dict[str, Snapshot] = {}
    for path in paths:
        table = read_table(path)
        for month in table.months:
            snap = region_snapshot(table, month)
            other = seen.get(month)
            if other is not None and not (
                other == snap and other.counts.equals(snap.counts) and other.filled.equals(snap.filled)
            ):
                raise InputError(
                    path, f"month {month}", f"the same values as {other.origin}, which also has this month"
                )
            seen.setdefault(month, snap)
    return [seen[m] for m in sorted(seen)]


def snapshot_name(snap: Snapshot) -> str:
    return f"jobseekers_{snap.table}_{snap.month}.csv"


def snapshot_frame(snap: Snapshot) -> pd.DataFrame:
    """The rows written to the file: municipalities, then the ``total`` (their sum)."""
    counts = pd.concat([snap.counts, snap.counts.sum().rename(TOTAL).to_frame().T])
    filled = [";".join(c for c in snap.filled.columns if snap.filled.loc[m, c]) for m in snap.counts.index]
    filled.append(";".join(c for c in snap.filled.columns if snap.filled[c].any()))
    codes = municipality_codes()
    out = counts.round(2).reset_index(names="municipality")
    out.insert(1, "code", [codes.get(m, "") for m in snap.counts.index] + [""])
    for pos, (k, v) in enumerate(
        (("table", snap.table), ("month", snap.month), ("updated", snap.updated), ("source", snap.source))
    ):
        out.insert(pos, k, v)
    out["filled"] = filled
    return out


def write_snapshot(snap: Snapshot, path: Path) -> None:
    """The snapshot as CSV with its header: table, month, update time, credit line and fill rule."""
    header = (
        f"# StatFin table {snap.table} ({snap.source}), month {snap.month}, updated {snap.updated}\n"
        f"# {CREDIT}\n"
        f"# Imported by `resurssimalli data import` from {Path(snap.origin).name}.\n"
        f"# filled: the measures whose value is an estimate: {FILL_RULE}.\n"
    )
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        write_csv(snapshot_frame(snap), fh, float_format="%.10g")


def load_snapshot(path: str | Path, month: str, municipalities: list[str]) -> Snapshot:
    """A snapshot file (untrusted): its month must be ``month`` and its rows the region's municipalities."""
    path = Path(path)
    what = "a job-seeker snapshot written by `resurssimalli data import`"
    df = read_csv(
        path,
        what,
        ("table", "month", "updated", "source", "municipality", *REQUIRED, "filled"),
        comment="#",
        dtype={"month": str, "filled": str},
        keep_default_na=False,
    )
    for col in ("table", "month", "updated", "source"):
        if df[col].nunique() != 1:
            raise InputError(
                path, col, f"one {col} for every row, got {sorted(map(str, df[col].unique()))[:3]}"
            )
    if str(df["month"].iloc[0]) != month:
        raise InputError(path, "month", f"the month the scenario names ({month}), got {df['month'].iloc[0]}")
    names = list(df["municipality"])
    if sorted(n for n in names if n != TOTAL) != sorted(municipalities) or names.count(TOTAL) != 1:
        raise InputError(
            path, "municipality", f"one row for each of {sorted(municipalities)} and one '{TOTAL}'"
        )
    measures = [
        c
        for c in df.columns
        if c not in ("table", "month", "updated", "source", "municipality", "code", "filled")
    ]
    values = df.set_index("municipality")[measures].apply(pd.to_numeric, errors="coerce").astype("float64")
    for m in measures:
        for who, v in values[m].items():
            if not (math.isfinite(v) and v >= 0):
                raise InputError(
                    path, f"{who}.{m}", f"a count >= 0, got {df.set_index('municipality').loc[who, m]!r}"
                )
    counts = values.drop(index=TOTAL)
    off = (counts.sum() - values.loc[TOTAL]).abs()
    if (off > 0.05).any():
        bad = off[off > 0.05].index[0]
        raise InputError(
            path,
            f"{TOTAL}.{bad}",
            f"the sum of the municipalities ({counts[bad].sum():g}), got {values.loc[TOTAL, bad]:g}",
        )
    flagged = df.set_index("municipality")["filled"].drop(index=TOTAL)
    filled = pd.DataFrame({m: flagged.str.split(";").map(lambda xs, m=m: m in xs) for m in measures})
    first = df.iloc[0]
    return Snapshot(
        str(first["table"]), month, str(first["updated"]), str(first["source"]), counts, filled, str(path)
    )
