"""Suppression: no hidden count of people can be worked out from what is shown (issue 14)."""

from __future__ import annotations

import math

import pandas as pd

from resurssimalli.report.suppression import hidden_cells, hidden_within, people_table
from resurssimalli.report.texts import SUPPRESSED


def _derivable(table: pd.DataFrame) -> list[str]:
    """Columns where exactly one body cell is hidden while the total is shown (so it is derivable)."""
    body = table.drop(index="total")
    return [
        c for c in table.columns
        if int((body[c] == SUPPRESSED).sum()) == 1 and table.at["total", c] != SUPPRESSED
    ]


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    cells = pd.DataFrame(
        {"foreign": [120.0, 3.0, 40.0, 9.0], "youth": [50.0, 60.0, 70.0, 80.0]},
        index=["Sastamala", "Kihnio", "Parkano", "Ikaalinen"],
    )
    table = people_table(cells, cells.sum())
    assert table.at["Kihnio", "foreign"] == SUPPRESSED and table.at["Ikaalinen", "foreign"] == SUPPRESSED
    assert table.at["Parkano", "foreign"] == 40 and table.at["total", "foreign"] == 172
    assert (table["youth"] != SUPPRESSED).all()
    assert _derivable(table) == []


def test_source_suppressed_cell_is_protected_too():
    cells = pd.DataFrame({"g": [math.nan, 30.0, 12.0, 50.0]}, index=list("abcd"))
    table = people_table(cells, pd.Series({"g": 99.0}))
    assert table["g"].tolist() == [SUPPRESSED, 30, SUPPRESSED, 50, 99]


def test_two_small_cells_need_no_secondary():
    cells = pd.DataFrame({"g": [2.0, 4.0, 12.0, 50.0]}, index=list("abcd"))
    assert hidden_cells(cells)["g"].tolist() == [True, True, False, False]


def test_small_total_is_hidden_and_no_suppression_shows_all():
    cells = pd.DataFrame({"g": [1.0, 2.0]}, index=["a", "b"])
    assert people_table(cells, cells.sum()).at["total", "g"] == SUPPRESSED
    assert people_table(cells, cells.sum(), suppression=False)["g"].tolist() == [1, 2, 3]


def test_many_random_tables_never_leave_a_derivable_cell():
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(200):
        cells = pd.DataFrame(rng.integers(0, 30, size=(6, 5)).astype(float), index=list("abcdef"))
        assert _derivable(people_table(cells, cells.sum())) == []


def test_villages_within_a_municipality():
    counts = pd.Series([400.0, 3.0, 25.0, 90.0, 7.0, 200.0], index=["v1", "v2", "v3", "w1", "w2", "w3"])
    munis = pd.Series(["A", "A", "A", "B", "B", "B"], index=counts.index)
    hide = hidden_within(counts, munis)
    assert hide.tolist() == [False, True, True, False, False, False]
