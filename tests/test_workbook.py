"""The planners' input workbook: template round trip, values applied, malformed books rejected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from resurssimalli.data.workbook import SHEETS, read_inputs_workbook, write_inputs_template
from resurssimalli.errors import InputError
from resurssimalli.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture()
def book(tmp_path: Path, baseline) -> Path:
    return write_inputs_template(tmp_path / "inputs.xlsx", baseline.region)


def scenario_with(tmp_path: Path, book: Path, extra: str = "") -> Path:
    p = tmp_path / "with_book.yaml"
    p.write_text(f"extends: {BASELINE}\nregion:\n  inputs_workbook: {book.name}\n{extra}", encoding="utf-8")
    return p


def edit(book: Path, sheet: str, row_id: str, column: str, value: object) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    col = header.index(column) + 1
    for row in ws.iter_rows(min_row=2):
        ident = "->".join(str(c.value) for c in row[:2]) if sheet == "travel_times" else str(row[0].value)
        if ident == row_id:
            ws.cell(row=row[0].row, column=col).value = value
            break
    else:  # pragma: no cover - test setup error
        raise AssertionError(f"{row_id} not on {sheet}")
    wb.save(book)


def test_template_has_sheets_and_round_trips(tmp_path: Path, book: Path, baseline) -> None:
    wb = openpyxl.load_workbook(book)
    assert {"README", *SHEETS} <= set(wb.sheetnames)
    s = load_scenario(scenario_with(tmp_path, book))
    assert dict(s.region.travel.minutes) == dict(baseline.region.travel.minutes)
    assert dict(s.region.travel.km) == dict(baseline.region.travel.km)
    assert {p: d.customer_share for p, d in s.region.demand_points.items()} == {
        p: d.customer_share for p, d in baseline.region.demand_points.items()
    }
    assert dict(s.region.sites) == dict(baseline.region.sites)
    assert s.region.travel.source == str(book.resolve())
    assert s.hash != baseline.hash  # the scenario names the book, and the book's bytes are hashed


def test_edited_values_are_applied(tmp_path: Path, book: Path) -> None:
    edit(book, "sites", "Kihnio_office", "fixed_cost_eur", 12345)
    edit(book, "sites", "Kihnio_office", "workstations", 5)
    edit(book, "travel_times", "Linnankyla->Kihnio_office", "minutes", 77.5)
    edit(book, "demand_points", "Kihnio", "customer_share", 0.7)
    edit(book, "demand_points", "Linnankyla", "customer_share", 0.3)
    s = load_scenario(scenario_with(tmp_path, book))
    assert s.region.sites["Kihnio_office"].fixed_cost_eur == 12345
    assert s.region.sites["Kihnio_office"].workstations == 5
    assert s.region.travel.minutes[("Linnankyla", "Kihnio_office")] == 77.5
    assert s.region.demand_points["Linnankyla"].customer_share == 0.3


def test_scenario_shares_override_the_book(tmp_path: Path, book: Path) -> None:
    extra = "demand:\n  demand_point_shares: {Kihnio: 0.5, Linnankyla: 0.5}\n"
    s = load_scenario(scenario_with(tmp_path, book, extra))
    assert s.region.demand_points["Linnankyla"].customer_share == 0.5


@pytest.mark.parametrize(
    ("sheet", "row_id", "column", "value", "key_part", "expected_part"),
    [
        ("sites", "Kihnio_office", "fixed_cost_eur", "lots", "sites.row", "a number"),
        ("sites", "Kihnio_office", "fixed_cost_eur", -1, "fixed_cost_eur", ">= 0"),
        ("sites", "Kihnio_office", "workstations", 2.5, "workstations", "whole number"),
        ("sites", "Kihnio_office", "site", "Atlantis_office", "sites.site", "known site"),
        ("travel_times", "Linnankyla->Kihnio_office", "minutes", None, "minutes", "a number"),
        ("demand_points", "Kihnio", "customer_share", 0.5, "customer_share[Kihnio]", "summing to 1"),
        ("demand_points", "Kihnio", "customer_share", 1.5, "customer_share", "between 0 and 1"),
    ],
)
def test_malformed_cells_are_named(
    tmp_path: Path, book: Path, sheet, row_id, column, value, key_part, expected_part
) -> None:
    edit(book, sheet, row_id, column, value)
    with pytest.raises(InputError) as e:
        load_scenario(scenario_with(tmp_path, book))
    assert "inputs.xlsx" in e.value.file
    assert key_part in e.value.key_path
    assert expected_part in e.value.expected


def test_missing_sheet_and_header(tmp_path: Path, book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    del wb["travel_times"]
    wb["sites"]["E1"] = "cost"
    wb.save(book)
    with pytest.raises(InputError, match="sites.<header>: columns"):
        read_inputs_workbook(book)


def test_missing_row_and_bad_file(tmp_path: Path, book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    wb["travel_times"].delete_rows(5)
    wb.save(book)
    with pytest.raises(InputError, match="every demand point x site pair"):
        load_scenario(scenario_with(tmp_path, book))
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="an Excel .xlsx workbook"):
        read_inputs_workbook(junk)
    with pytest.raises(InputError, match="an existing input workbook"):
        load_scenario(scenario_with(tmp_path, tmp_path / "nowhere.xlsx"))


def test_book_and_travel_file_together_is_an_error(tmp_path: Path, book: Path) -> None:
    extra = "  travel_times: x.csv\n"
    p = tmp_path / "both.yaml"
    p.write_text(f"extends: {BASELINE}\nregion:\n  inputs_workbook: {book.name}\n{extra}", encoding="utf-8")
    with pytest.raises(InputError, match="not both"):
        load_scenario(p)


def test_cli_template_and_clear_error(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "resurssimalli"
    out = tmp_path / "t.xlsx"
    r = subprocess.run([exe, "template", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    edit(out, "sites", "Parkano_office", "workstations", "eight")
    sc = tmp_path / "sc.yaml"
    sc.write_text(f"extends: {BASELINE}\nregion:\n  inputs_workbook: t.xlsx\n", encoding="utf-8")
    r = subprocess.run([exe, "validate", str(sc)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    assert "t.xlsx" in r.stderr and "Parkano_office" in r.stderr and "a number" in r.stderr
    assert "Traceback" not in r.stderr


def test_template_in_finnish_and_english(tmp_path, baseline):
    """The template's README and reader columns follow ``lang``; the columns read stay ids."""
    import openpyxl

    for lang, word, site in (("fi", "merkitys", "Kyröskosken toimipiste"), ("en", "meaning", "Kyröskoski office")):
        path = write_inputs_template(tmp_path / f"inputs_{lang}.xlsx", baseline.region, lang)
        book = openpyxl.load_workbook(path, read_only=True)
        readme = [c for r in book["README"].iter_rows(values_only=True) for c in r]
        sites = [c for r in book["sites"].iter_rows(values_only=True) for c in r]
        assert word in readme and site in sites and "Hämeenkyrö" in sites and "Hameenkyro" not in sites
        assert "Kyroskoski_office" in sites  # the id the model reads
        wb = read_inputs_workbook(path)
        assert wb.workstations["Kyroskoski_office"] == baseline.region.sites["Kyroskoski_office"].workstations


def test_what_if_and_stress_sheets(tmp_path, baseline):
    """A run folder with what_if.csv and the stress loop's brackets and causes gets a sheet for
    each, display names beside ids, numbers formatted, an Excel Table, labels that are not formulas."""
    import pandas as pd

    from resurssimalli.report.texts import Texts
    from resurssimalli.report.write import write_report
    from resurssimalli.runs import RunFolder

    with RunFolder.new("b", tmp_path / "run", scenario=baseline, command="test") as rf:
        rf.write_csv("what_if.csv", pd.DataFrame(
            [("Ikaalinen +1 HTV", "plus_htv", "Ikaalinen", "central", "unemployment_days", "all", -12.5, -30.0, 5.0, 3),
             ("close Kyroskoski_office", "close_site", "Kyroskoski_office", "central", "unemployment_days", "all", 70.0, -42.0, 182.0, 3)],
            columns=["variant", "change", "place", "effect_size", "kpi", "group", "mean", "ci_low", "ci_high", "n"]))
        from resurssimalli.experiment.stress_rows import BRACKET_COLUMNS, CAUSE_COLUMNS

        rf.write_csv("stress_brackets.csv", pd.DataFrame(
            [("queue:Hameenkyro", "Hameenkyro", "youth", 1000.0, 1100.0, 1233.0, 1100 / 1233, 1.0,
              100.0, 233.0, 100 / 1233, 233 / 1233, "baseline", "2024-02", True),
             ("pairs:conversations_on_time_share:area:Hameenkyro", "Hameenkyro", "youth", 1000.0, 1050.0,
              1300.0, 1050 / 1233, 1300 / 1233, 50.0, 300.0, 50 / 1233, 300 / 1233, "baseline", "2024-03", True)],
            columns=BRACKET_COLUMNS))
        rf.write_csv("stress_causes.csv", pd.DataFrame(
            [("queue:integration", "baseline", "initial_interview_on_time_share", "2024-07", "roster", 1500.0, 3000.0)],
            columns=CAUSE_COLUMNS))
    write_report(tmp_path / "run", lang="fi")  # fmt: skip
    book = openpyxl.load_workbook(tmp_path / "run" / "results.xlsx")
    t = Texts("fi")
    ws = book[t("xlsheet_what_if")]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "Ikaalinen: +1 HTV" and rows[2][0] == "suljetaan Kyröskosken toimipiste"
    assert ws.tables and ws.cell(2, 5).number_format != "General"
    asks = book[t("xlsheet_stress_asks")]
    row = list(asks.iter_rows(values_only=True))[1]
    assert row[:3] == (t("stressloop_queue_area", area="Hämeenkyrö"), "Hämeenkyrö", "nuoret") and asks.tables
    assert row[3:6] == (1000.0, 1100.0, 1233.0) and row[-3:] == ("queue:Hameenkyro", "Hameenkyro", "youth")
    pairs = list(book[t("xlsheet_stress_pairs")].iter_rows(values_only=True))
    assert len(pairs) == 2  # the pair two asks share: one row, the larger ends, both askers named
    head = dict(zip(pairs[0], pairs[1], strict=True))
    assert (head[t("xlcol_plan_lower_hours")], head[t("xlcol_plan_upper_hours")]) == (1100.0, 1300.0)
    assert pairs[1][-1] == "pairs:conversations_on_time_share:area:Hameenkyro queue:Hameenkyro"
    causes = book[t("xlsheet_stress_causes")]
    assert list(causes.iter_rows(values_only=True))[1][4] == t("stresscause_roster")
