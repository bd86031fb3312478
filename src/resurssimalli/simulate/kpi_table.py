"""The long KPI table's rows, built table by table with numpy.

A replication's KPIs are about 1 900 rows ``(month_index, kpi, group, value)`` in a fixed order
(month by month; within a month KPI by KPI, group by group, or per group KPI by KPI). Which rows
there are depends only on the scenario's structure (municipalities, areas, lines, months), not on
the draws: :class:`KpiRows` keeps that layout as a hashable description and only the values as
an array, and the layout's columns (the order of the values, the month, KPI and group of each row,
the frame's text columns) are built once per layout and reused by every replication.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ["scenario", "replication", "month", "month_index", "kpi", "group", "value"]


@dataclass(frozen=True)
class Part:
    """One KPI's values [month, group] for a list of groups; rows only in ``months`` (bool [month])."""

    kpi: str
    groups: tuple[str, ...]
    values: np.ndarray
    months: np.ndarray | None = None

    def signature(self) -> tuple:
        """What fixes the part's rows (not its values): hashable."""
        return self.kpi, self.groups, None if self.months is None else tuple(self.months.tolist())


@dataclass(frozen=True)
class KpiRows:
    """KPI rows: ``layout`` says which rows in which order, ``values`` holds the parts' values
    part after part (each [month, group] flattened); ``a + b`` is a's rows, then b's."""

    layout: tuple  # per section: (months, per item: the signatures of its parts)
    values: np.ndarray

    def __add__(self, other: KpiRows) -> KpiRows:
        return KpiRows(self.layout + other.layout, np.concatenate([self.values, other.values]))

    def __len__(self) -> int:
        return len(_layout(self.layout).order)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """month_index (int64), kpi and group (object) and value (float64), one entry per row."""
        lay = _layout(self.layout)
        return lay.month, lay.kpi, lay.group, self.values[lay.order]

    def __iter__(self):
        """The rows as (month_index, kpi, group, value) tuples of Python values."""
        return zip(*(c.tolist() for c in self.columns()), strict=True)


def section(items: list[Part | tuple[Part, ...]], months: int) -> KpiRows:
    """Rows month by month; within a month the items in order: a part's rows group by group, a
    tuple of parts over the same groups interleaved (per group, one row of each part)."""
    parts = [part for item in items for part in _parts(item)]
    values = np.concatenate([np.asarray(p.values, dtype=float).reshape(-1) for p in parts])
    layout = (months, tuple(tuple(p.signature() for p in _parts(item)) for item in items))
    return KpiRows((layout,), values)


def _parts(item: Part | tuple[Part, ...]) -> tuple[Part, ...]:
    return item if isinstance(item, tuple) else (item,)


@dataclass(frozen=True)
class _Layout:
    order: np.ndarray  # row r's value is values[order[r]]
    month: np.ndarray
    kpi: np.ndarray
    group: np.ndarray


@functools.lru_cache(maxsize=32)
def _layout(layout: tuple) -> _Layout:
    """The rows of a layout (see :func:`section`), once per layout."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("order", "month", "kpi", "group")}
    offset = 0
    for M, items in layout:
        n_groups = max(len(sig[1]) for item in items for sig in item)
        n_sub = max(len(item) for item in items)
        key, keep, month, kpi, group = [], [], [], [], []
        for i, item in enumerate(items):
            for j, (name, groups, months) in enumerate(item):
                G = len(groups)
                m = np.repeat(np.arange(M), G)
                key.append(((m * len(items) + i) * n_groups + np.tile(np.arange(G), M)) * n_sub + j)
                keep.append(np.repeat(np.ones(M, dtype=bool) if months is None else np.array(months), G))
                month.append(m)
                kpi.append(np.full(M * G, name, dtype=object))
                group.append(np.tile(np.array(groups, dtype=object), M))
        order = np.argsort(np.concatenate(key), kind="stable")
        order = order[np.concatenate(keep)[order]]
        cols["order"].append(order + offset)
        cols["month"].append(np.concatenate(month)[order].astype(np.int64))
        cols["kpi"].append(np.concatenate(kpi)[order])
        cols["group"].append(np.concatenate(group)[order])
        offset += sum(M * len(sig[1]) for item in items for sig in item)
    return _Layout(*(np.concatenate(cols[k]) for k in ("order", "month", "kpi", "group")))


def rows_frame(p: object, rows: KpiRows, replication: int) -> pd.DataFrame:
    """KPI rows as a KPI table (``COLUMNS``) of a scenario's run (``p``: its SimParams)."""
    labels = tuple(p.calendar.month_labels)  # type: ignore[attr-defined]
    text = _text_columns(rows.layout, p.scenario, labels)  # type: ignore[attr-defined]
    lay = _layout(rows.layout)
    n = len(lay.order)
    return pd.DataFrame(
        {
            "scenario": text["scenario"],
            "replication": np.full(n, replication, dtype=np.int64),
            "month": text["month"],
            "month_index": lay.month,
            "kpi": text["kpi"],
            "group": text["group"],
            "value": rows.values[lay.order],
        },  # in COLUMNS' order; not copied: the shared text columns are immutable (pandas copies on write)
        copy=False,
    )


@functools.lru_cache(maxsize=32)
def _text_columns(layout: tuple, scenario: str, labels: tuple[str, ...]) -> dict[str, object]:
    """The frame's text columns of a layout, as the arrays pandas makes of such columns (its
    string dtype, or object): pandas infers the type of every row's string otherwise."""
    lay = _layout(layout)
    n = len(lay.order)
    return {
        "scenario": _text_array(np.zeros(n, dtype=np.intp), [scenario]),
        "month": _text_array(lay.month, labels),
        "kpi": _text_array(*pd.factorize(lay.kpi)),
        "group": _text_array(*pd.factorize(lay.group)),
    }


def _text_array(codes: np.ndarray, names: Sequence[str]) -> object:
    """``names[codes]`` as pandas' array of a column of these strings (converted once, then taken)."""
    return pd.Series(list(names)).array.take(codes)


def row_sums(a: np.ndarray) -> np.ndarray:
    """``[a[k].sum() for k in range(len(a))]`` of a 2-D array, in one call: numpy sums each row of
    a C-contiguous array with the same pairwise summation as the row alone (the same bits); a
    transposed or fancy-indexed array is copied first, else numpy would add its rows element by
    element, in another order."""
    return np.ascontiguousarray(a).sum(axis=1)


def attribute_column(objects: list, name: str, dtype: type) -> np.ndarray:
    """One attribute of every object as a numpy array (``np.fromiter``: no list in between)."""
    return np.fromiter(map(operator.attrgetter(name), objects), dtype=dtype, count=len(objects))
