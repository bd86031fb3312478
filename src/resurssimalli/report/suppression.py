"""Small-cell suppression: people counts under 5 in a municipality x group cell become "…".

As in the official statistics (and the organising plan's own tables), a cell that could point
to a handful of people is hidden (primary suppression); totals are always computed from the
unsuppressed numbers, so they stay correct. Cells already suppressed at the source (NaN) are
shown as "…" too. Because the totals are exact, a column with a single hidden cell would give
it away (total minus the others): the next-smallest cell of that column is hidden as well
(secondary suppression), and a total under 5 is hidden too. Villages within a municipality
follow the same rule, the municipality's count playing the total (:func:`hidden_within`).
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
    hide = hidden_cells(cells, limit) if suppression else cells.isna()
    for m in cells.index:
        for g in cells.columns:
            out.at[m, g] = SUPPRESSED if hide.at[m, g] else round(float(cells.at[m, g]))
    for g in cells.columns:
        total = round(float(totals[g]))
        out.at[TOTAL, g] = SUPPRESSED if suppression and total < limit else total
    return out


def hidden_cells(cells: pd.DataFrame, limit: int = SMALL_CELL_LIMIT) -> pd.DataFrame:
    """Which cells to hide when each column's total is shown: primary and secondary suppression.

    Primary: missing at the source or fewer than ``limit`` people. Secondary: in a column with a
    single hidden cell, the next-smallest shown cell is hidden too, so that no hidden cell equals
    the total minus the shown ones. Returns a boolean frame shaped like ``cells``.
    """
    values = cells.apply(pd.to_numeric, errors="coerce").astype(float)
    hide = values.isna() | (values.round() < limit)
    for col in values.columns:
        shown = values.loc[~hide[col], col]
        if int(hide[col].sum()) == 1 and not shown.empty:
            hide.loc[shown.idxmin(), col] = True
    return hide


def hidden_within(counts: pd.Series, groups: pd.Series, limit: int = SMALL_CELL_LIMIT) -> pd.Series:
    """:func:`hidden_cells` for counts whose group totals are shown elsewhere (villages of a
    municipality): True for each count to hide."""
    out = pd.Series(False, index=counts.index)
    for _, idx in counts.groupby(groups.to_numpy()).groups.items():
        out.loc[idx] = hidden_cells(counts.loc[idx].to_frame(), limit).iloc[:, 0].to_numpy()
    return out


def suppressed_count(table: pd.DataFrame) -> int:
    """How many cells of a :func:`people_table` are shown as "…"."""
    return int((table == SUPPRESSED).to_numpy().sum())
