"""The rows of a streamed (write-only) openpyxl worksheet, written as openpyxl writes them, faster.

openpyxl serialises every cell of a write-only sheet through an element tree (pure Python without
lxml): about 12 µs a cell, two seconds for the monthly KPI sheet of a 30-replication run. Here a
number cell's XML is formatted directly, as openpyxl formats it (``safe_string``: ``%.16g``), and
every other cell (text, dates, empty formatted cells) is serialised by openpyxl itself once per
distinct value and style, then reused with its own coordinate. The sheet is closed with an empty
``sheetData``, which the rows then fill in the file openpyxl wrote for it. The XML is the same,
byte for byte, as appending the same values to the sheet (``tests/test_sheet_rows.py``); the styles
are registered in the workbook in the same order.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

EMPTY_SHEET_DATA = ("<sheetData></sheetData>", "<sheetData />", "<sheetData/>")


class SheetRows:
    """Rows for one write-only worksheet: :meth:`append` as ``ws.append``, then :meth:`close`.

    A row holds plain values (``None`` skipped) or openpyxl cells, or plain values with, per
    column, the formatted cell they take their format from (one cell shared by every row, as
    ``report.excel`` has them: openpyxl would write each value set on it and appended).
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.rows: list[str] = []
        self._letters: list[str] = []
        self._style_ids: dict[int, str] = {}  # id(cell) -> its style id, for its number values
        self._tails: dict[tuple[Any, ...], str] = {}  # a cell's XML after its coordinate

    def append(self, values: Sequence[Any], styles: Sequence[Any] | None = None) -> None:
        """A row, as ``ws.append(values)``; ``styles``: per column, None or the formatted cell whose
        format the value takes (as if the value were set on it and the cell appended)."""
        r = len(self.rows) + 1
        while len(self._letters) < len(values):
            self._letters.append(get_column_letter(len(self._letters) + 1))
        parts = [f'<row r="{r}">']
        for letter, v, style in zip(self._letters, values, styles or repeat(None), strict=False):
            if style is not None:
                parts.append(f'<c r="{letter}{r}"{self._styled(style, v)}')
            elif isinstance(v, Cell):  # a formatted cell with its value, as ws.append takes it
                parts.append(f'<c r="{letter}{r}"{self._styled(v, v._value)}')
            elif v is not None:
                parts.append(f'<c r="{letter}{r}"{self._plain(v)}')
        parts.append("</row>")
        self.rows.append("".join(parts))

    def _plain(self, value: Any) -> str:
        """A value's cell XML after ``<c r="A1"``."""
        if type(value) is float and math.isfinite(value):
            return f' t="n"><v>{value:.16g}</v></c>'
        key = (None, type(value), value)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = _serialised_tail(self.ws, WriteOnlyCell(self.ws, value=value))
        return tail

    def _styled(self, cell: Any, value: Any) -> str:
        """``value`` in the formatted ``cell``: its XML after ``<c r="A1"``."""
        if type(value) is float and math.isfinite(value):
            sid = self._style_ids.get(id(cell))
            if sid is None:
                sid = self._style_ids[id(cell)] = str(cell.style_id)
            return f' s="{sid}" t="n"><v>{value:.16g}</v></c>'
        cell.value = value
        self._style_ids.pop(id(cell), None)  # a date may change a cell's format: asked again
        key = (id(cell), cell.style_id, type(value), value)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = _serialised_tail(self.ws, cell)
        return tail

    def close(self) -> None:
        """Close the worksheet (openpyxl writes it with no rows) and put the rows into its file."""
        self.ws.close()
        path = Path(self.ws._writer.out)
        text = path.read_text(encoding="utf-8")
        empty = next(e for e in EMPTY_SHEET_DATA if e in text)
        head, _, tail = text.partition(empty)
        with path.open("w", encoding="utf-8") as f:
            f.write(head)
            f.write("<sheetData>")
            f.writelines(self.rows)
            f.write("</sheetData>")
            f.write(tail)


def _serialised_tail(ws: Any, cell: Any) -> str:
    """openpyxl's XML of ``cell`` at A1 (inside a worksheet element, as in a sheet), after ``<c r="A1"``."""
    cell.row, cell.column = 1, 1
    buf = io.BytesIO()
    with xmlfile(buf) as xf, xf.element("worksheet", xmlns=SHEET_MAIN_NS):
        write_cell(xf, ws, cell, cell.has_style)
    text = buf.getvalue().decode("utf-8")
    start = text.index('<c r="A1"') + len('<c r="A1"')
    return text[start : text.rindex("</worksheet>")]
