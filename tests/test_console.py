"""The console at 80 columns: no word or number cut, one display name per place, separators and %."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from rich.console import Console

from resurssimalli.report.assumptions import assumptions_table
from resurssimalli.report.console import assumptions_frame, df_table, fit_tables, print_summary


def _console() -> Console:
    return Console(width=80, record=True, color_system=None, force_terminal=False)


def _lines(console: Console) -> list[str]:
    return console.export_text().splitlines()


@pytest.fixture(scope="module")
def printed(baseline) -> str:
    c = _console()
    print_summary(baseline, c)
    c.print(df_table(assumptions_frame(baseline), "Assumptions and sources"))
    lines = _lines(c)
    assert max(len(line) for line in lines) <= 80
    return "\n".join(lines)


def test_nothing_is_cut_at_80_columns(printed: str, baseline) -> None:
    assert "…" not in printed  # rich's mark for a cut word or number
    words = set(re.findall(r"[\w.,%+-]+", printed))
    for m in baseline.region.municipalities.values():
        assert m.name in printed
    for a in baseline.region.areas.values():
        for word in a.name.split():
            assert word in words, word
    for key in assumptions_table(baseline)["key"]:
        assert key in words, key  # every parameter name whole


def test_one_display_name_per_place_and_consistent_numbers(printed: str, baseline) -> None:
    assert "Hameenkyro" not in printed  # the region summary shows display names
    assert "23,514" in printed and "10,024" in printed  # thousands separators everywhere
    assert " True " not in printed and "0.955" not in printed
    assert "40 %" in printed  # shares as percentages


def test_a_table_too_wide_is_split_not_cut() -> None:
    df = pd.DataFrame({f"a long column name {i}": [1234567.891 * i] for i in range(12)})
    parts = fit_tables(df, "wide", width=80)
    c = _console()
    for p in parts:
        c.print(p)
    text = c.export_text()
    assert len(parts) > 1 and "…" not in text and max(len(x) for x in text.splitlines()) <= 80
    for i in range(1, 12):
        assert f"{1234567.891 * i:,.1f}" in text
