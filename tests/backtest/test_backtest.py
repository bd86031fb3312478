"""Backtest: the README's baseline figures, recomputed, equal the stored expected tables.

A failure here means a change moved a published figure. If that was intended, regenerate with
``.venv/bin/python tests/backtest/regenerate.py``, update the README and say why in the commit.
"""

from __future__ import annotations

import pandas as pd
import pytest
from backtest_figures import HERE, compute

RTOL = 1e-6  # same scenario + seed gives identical numbers; this only absorbs CSV rounding


@pytest.fixture(scope="module")
def actual() -> dict[str, pd.DataFrame]:
    return compute()


@pytest.mark.parametrize(
    "name", ["expected_plan_htv.csv", "expected_access.csv", "expected_costs.csv", "expected_kpi_summary.csv"]
)
def test_published_figure_unchanged(actual, name):
    expected = pd.read_csv(HERE / name, keep_default_na=False, na_values=[""])
    got = actual[name].reset_index(drop=True)
    assert list(got.columns) == list(expected.columns), f"{name}: columns changed"
    assert len(got) == len(expected), f"{name}: {len(got)} rows, expected {len(expected)}"
    for col in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[col]):
            pd.testing.assert_series_equal(
                got[col].astype(float), expected[col].astype(float), rtol=RTOL, check_names=False,
                obj=f"{name}.{col}",
            )
        else:
            assert got[col].astype(str).tolist() == expected[col].astype(str).tolist(), f"{name}.{col}"
