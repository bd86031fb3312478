"""The assumptions table as shipped (``data/assumptions.csv``): every scenario key's unit, status,
source and the range a sensitivity run varies it over (``range_kind``, ``low``, ``high``,
``range_source``; the file's header says what each kind means)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

RANGE_KINDS = ("relative", "absolute", "spread", "band", "choice", "relative_per_site", "fixed")


def load_sources() -> pd.DataFrame:
    """The table, one row per key, in the file's order (ranges as text: a choice's are words)."""
    path = resources.files("resurssimalli.data") / "assumptions.csv"
    with path.open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, comment="#", dtype={"low": str, "high": str}, keep_default_na=False)
    return df
