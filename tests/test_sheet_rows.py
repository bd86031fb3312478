"""``report.sheet_rows``: the rows of a streamed worksheet, the same XML as openpyxl's ``ws.append``."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from resurssimalli.report.sheet_rows import SheetRows

TEXTS = ["Kuukausi", " lead", "trail ", "a & b < c > d", "#N/A", "Äänekoski ö", "", "x\ny", "'=SUM(A1)"]
NUMBERS = [0.0, -0.0, 3.0, 0.1 + 0.2, 1e-20, -1e20, 123456789.123456789, float("inf"), float("nan"), 7]
DATES = [dt.datetime(2024, m, 1) for m in (1, 2, 12)]


def _rows() -> list[list[Any]]:
    """Rows of every kind of cell value the workbook holds, and a few it might."""
    rows = []
    for i in range(40):
        rows.append(
            [
                TEXTS[i % len(TEXTS)],
                NUMBERS[i % len(NUMBERS)],
                None if i % 4 == 0 else NUMBERS[(i * 3) % len(NUMBERS)],
                DATES[i % len(DATES)],
                None if i % 5 == 0 else float(i) / 7,  # a formatted column, empty at times
                DATES[(i + 1) % len(DATES)],  # a formatted date column
                "=1+1" if i == 3 else TEXTS[(i * 5) % len(TEXTS)],  # a formula, as openpyxl writes it
            ]
        )
    return rows


def _book(path: Path, how: str) -> None:
    """The rows appended to the sheet (``ws``), given to SheetRows as cells (``cells``) or as
    values with their formatted cells beside (``styles``)."""
    book = Workbook(write_only=True)
    for title in ("eka", "toka"):
        ws = book.create_sheet(title)
        out = ws if how == "ws" else SheetRows(ws)
        out.append(["head", "ers", None, "x"])
        styled: dict[tuple[int, str], Any] = {}
        for row in _rows():
            cells, styles = list(row), [None] * len(row)
            for j, fmt in ((2, "0.00"), (4, "0.0%" if title == "eka" else "#,##0"), (5, "yyyy-mm")):
                cell = styled.get((j, fmt))
                if cell is None:
                    cell = styled[(j, fmt)] = WriteOnlyCell(ws, value=row[j])
                    cell.number_format = fmt
                elif how != "styles":
                    cell.value = row[j]
                cells[j] = styles[j] = cell
            if how == "styles":
                out.append(row, styles)
            else:
                out.append(cells)
        if how != "ws":
            out.close()
    book.save(path)


@pytest.mark.parametrize("how", ["cells", "styles"])
def test_rows_are_the_xml_openpyxl_writes_byte_for_byte(tmp_path: Path, how: str) -> None:
    _book(tmp_path / "slow.xlsx", "ws")
    _book(tmp_path / "fast.xlsx", how)
    with zipfile.ZipFile(tmp_path / "slow.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
        assert a.namelist() == b.namelist()
        parts = [n for n in a.namelist() if n != "docProps/core.xml"]  # core.xml: the time of writing
        sheet = a.read("xl/worksheets/sheet1.xml").decode()
        assert sheet.count("<row ") == 41 and 't="inlineStr"' in sheet and 's="' in sheet
        for name in parts:
            assert a.read(name) == b.read(name), name


def test_an_empty_sheet_gets_its_header_row(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    rows = SheetRows(book.create_sheet("only"))
    rows.append(["a", 1.5])
    rows.close()
    book.save(tmp_path / "b.xlsx")
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>' in xml
    assert '<c r="B1" t="n"><v>1.5</v></c></row></sheetData>' in xml


def test_results_xlsx_has_openpyxls_parts_deflated_at_its_own_level(tmp_path: Path) -> None:
    """``report.excel`` saves the workbook as openpyxl does but deflated at ``ZIP_LEVEL`` (faster
    than zlib's default): every part the same bytes, each compressed at that level."""
    import zlib

    from resurssimalli.report.excel import ZIP_LEVEL, _save

    def book() -> Workbook:
        b = Workbook(write_only=True)
        rows = SheetRows(b.create_sheet("s"))
        for i in range(3000):
            rows.append([f"row {i % 17}", i / 7, float(i)])
        rows.close()
        return b

    book().save(tmp_path / "openpyxl.xlsx")
    _save(book(), tmp_path / "ours.xlsx")
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(tmp_path / "openpyxl.xlsx") as a, zipfile.ZipFile(tmp_path / "ours.xlsx") as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist() if n != "docProps/core.xml")
        packer = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)  # raw deflate, as zipfile writes it
        ours = b.getinfo(sheet)
        assert ours.compress_type == zipfile.ZIP_DEFLATED
        assert ours.compress_size == len(packer.compress(b.read(sheet)) + packer.flush())
        assert ours.compress_size != a.getinfo(sheet).compress_size
