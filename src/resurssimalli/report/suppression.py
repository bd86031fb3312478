"""Small-cell suppression: people counts under 5 in a municipality x group cell become "…".

As in the official statistics (and the organising plan's own tables), a cell that could point
to a handful of people is hidden; totals are always computed from the unsuppressed numbers,
so they stay correct. Cells already suppressed at the source (NaN) are shown as "…" too.
"""

from __future__ import annotations

import math

import pandas as pd

from resurssimalli.report.texts import SUPPRESSED

SMALL_CELL_LIMIT = 5
TOTAL = "total"


def is_small(value: float, limit: int = SMALL_CELL_LIMIT) -> bool:
    """True for a count shown as "…": missing at the source, or fewer than ``limit`` people."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or round(value) < limit


def people_table(
    cells: pd.DataFrame, totals: pd.Series, *, suppression: bool = True, limit: int = SMALL_CELL_LIMIT
) -> pd.DataFrame:
    """Counts of people rounded to whole persons, a ``total`` row from ``totals``, small cells "…".

    ``cells``: rows municipalities, columns groups (floats, NaN = suppressed at the source).
    ``totals``: the exact total of each group (from the unsuppressed data). The result has object
    dtype: ints and "…" strings. Without suppression only source-suppressed cells show "…".
    """
    out = pd.DataFrame(index=[*cells.index, TOTAL], columns=cells.columns, dtype=object)
    for m in cells.index:
        for g in cells.columns:
            v = cells.at[m, g]
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            if missing or (suppression and is_small(float(v), limit)):
                out.at[m, g] = SUPPRESSED
            else:
                out.at[m, g] = round(float(v))
    for g in cells.columns:
        out.at[TOTAL, g] = round(float(totals[g]))
    return out


def suppressed_count(table: pd.DataFrame) -> int:
    """How many cells of a :func:`people_table` are shown as "…"."""
    return int((table == SUPPRESSED).to_numpy().sum())
