"""The KPI table's row machinery: row order, bit-identical sums, the frame's column types."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from resurssimalli.simulate.kpi_table import COLUMNS, Part, row_sums, rows_frame, section


def test_section_orders_rows_month_by_month_and_interleaves_tuples():
    a = Part("a", ("all", "x"), np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = Part("b", ("all", "x"), np.array([[5.0, 6.0], [7.0, 8.0]]), months=np.array([False, True]))
    c = Part("c", ("q",), np.array([[9.0], [10.0]]))
    rows = list(section([c, (a, b)], 2))
    assert rows == [
        (0, "c", "q", 9.0),
        (0, "a", "all", 1.0),
        (0, "a", "x", 2.0),
        (1, "c", "q", 10.0),
        (1, "a", "all", 3.0),
        (1, "b", "all", 7.0),
        (1, "a", "x", 4.0),
        (1, "b", "x", 8.0),
    ]
    both = section([c], 2) + section([a], 2)
    assert len(both) == 6 and [r[1] for r in both] == ["c", "c", "a", "a", "a", "a"]


def test_row_sums_give_each_row_sum_bits():
    rng = np.random.default_rng(3)
    v = rng.random((12, 5000)) * 300
    idx = np.sort(rng.choice(5000, 1700, replace=False))
    u = rng.random((36, 12)) * 1e4
    sel = rng.random(36) < 0.5
    for got, rows in (
        (row_sums(v[:, idx]), [v[k, idx].sum() for k in range(12)]),  # fancy-indexed: not C-ordered
        (row_sums(u.T[:, sel]), [u[sel, k].sum() for k in range(12)]),
        (row_sums(u.T), [u[:, k].sum() for k in range(12)]),
    ):
        assert np.array_equal(got, np.array(rows))


def test_rows_frame_columns_as_pandas_makes_them_from_rows():
    p = SimpleNamespace(scenario="base", calendar=SimpleNamespace(month_labels=["2026-01", "2026-02"]))
    a = Part("a", ("all", "x"), np.array([[1.0, np.nan], [3.0, 4.0]]))
    rows = section([a], 2)
    got = rows_frame(p, rows, 7)
    month, kpi, group, value = zip(*rows, strict=True)
    want = pd.DataFrame(
        {
            "scenario": ["base"] * 4,
            "replication": np.full(4, 7, dtype=np.int64),
            "month": [p.calendar.month_labels[m] for m in month],
            "month_index": np.array(month, dtype=np.int64),
            "kpi": list(kpi),
            "group": list(group),
            "value": np.array(value, dtype=float),
        },
        columns=COLUMNS,
    )
    pd.testing.assert_frame_equal(got, want)
    assert list(got.dtypes) == list(want.dtypes)


def test_sums_by_month_group_give_masked_sum_bits():
    from resurssimalli.simulate.kpis import _sums_by_month_group

    rng = np.random.default_rng(5)
    n, nm, M = 3000, 4, 6
    month = rng.integers(-1, M + 1, n)  # -1 and M: outside the KPI months
    muni = rng.integers(0, nm, n)
    v = np.where(rng.random(n) < 0.7, 0.0, rng.random(n) * 0.37)
    v[(month == 2) & (muni == 1)] = 0.0  # a cell of zeros only
    got = _sums_by_month_group(month, muni, v, nm, M)
    for k in range(M):
        assert got[k, 0] == v[month == k].sum()
        for m in range(nm):
            assert got[k, 1 + m] == v[(month == k) & (muni == m)].sum()
    assert not _sums_by_month_group(month, muni, np.zeros(n), nm, M).any()
