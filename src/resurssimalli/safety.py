"""Making untrusted text safe in every output: file names, spreadsheets, Markdown.

Scenario files, workbooks and travel tables travel between municipalities by e-mail, so every
name and description in them is untrusted. Three helpers are used wherever such text leaves
the program (HTML is escaped by jinja2's autoescape; the console by ``rich.markup.escape`` or
``markup=False`` in the CLI):

* :func:`slug` — a file or folder name from a scenario name: ASCII letters, digits, ``.``,
  ``_`` and ``-`` only, no leading dot, at most :data:`SLUG_MAX` characters; never a path.
* :func:`neutralise` / :func:`neutralise_frame` — a spreadsheet cell that starts like a
  formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe, so Excel and
  LibreOffice show it as text (OWASP "CSV injection"); plain numbers are left alone.
* :func:`md_text` — text placed in Markdown can neither start a block (heading, list, quote,
  code fence), nor open a link or image, nor carry raw HTML, nor break the line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

SLUG_MAX = 48
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_MD_INLINE = re.compile(r"([\\`<>]|\]\(|!\[)")
_MD_BLOCK_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s|$)|\d{1,9}[.)](?=\s|$)|[=_~]{3,}|-{3,}|\*{3,})")


def slug(name: object, max_len: int = SLUG_MAX, default: str = "scenario") -> str:
    """A safe, length-limited file name component for ``name`` (never empty, never a path)."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    text = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", text)).strip("-._")[:max_len].rstrip("-._")
    if not text:
        return default
    if text.split(".")[0].lower() in _RESERVED:
        text = f"{default}-{text}"[:max_len]
    return text


def is_formula_like(value: object) -> bool:
    """True for a string a spreadsheet would run as a formula (or treat as one)."""
    return (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    )


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe if it looks like a formula; anything else unchanged."""
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels are neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise)
        elif isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).map(neutralise)
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(neutralise(v) for v in t) for t in index], names=index.names
        )
    if index.dtype == object:
        return pd.Index([neutralise(v) for v in index], name=index.name)
    return index


def md_text(text: object, *, block: bool = True) -> str:
    """``text`` safe inside Markdown: one line, no raw HTML, link, image, code or block marker.

    ``block=False`` is for text that never starts a line (table cells): block markers at its
    start are then harmless and left as they are (so ``-1.5`` stays ``-1.5``).
    """
    s = _LINE_BREAKS.sub(" ", str(text))
    s = _MD_INLINE.sub(lambda m: _md_inline(m.group(1)), s)
    if block:
        s = _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), s, count=1)
    return s


def _md_inline(token: str) -> str:
    return {"<": "&lt;", ">": "&gt;", "](": "\\](", "![": "\\!["}.get(token, "\\" + token)


def restore(value: Any) -> Any:
    """Undo :func:`neutralise` when reading back a CSV this program wrote."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def write_csv(df: pd.DataFrame, path: Any, **kw: Any) -> None:
    """``df.to_csv`` with every formula-like cell neutralised (index off unless asked)."""
    kw.setdefault("index", False)
    neutralise_frame(df).to_csv(path, **kw)


def defuse_workbook(book: Any) -> None:
    """Turn any formula cell of an openpyxl workbook into text (a safety net after writing)."""
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.value = neutralise(str(cell.value))
                    cell.data_type = "s"
