"""The one reading layer for files from outside: every OS, decoding and parse error → InputError.

Scenario files, travel tables, workbooks and run folders arrive by e-mail and shared drives.
Whatever is wrong with them — missing, a folder instead of a file, a symbolic-link loop, no
permission, not UTF-8, binary, empty, too large, not valid JSON or CSV — the reader raises
:class:`~resurssimalli.errors.InputError` naming the file (and the line or row) instead of a
traceback. Every reader of untrusted files goes through these functions.
"""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.errors import InputError

MAX_TEXT_BYTES = 20_000_000  # far above any real scenario, travel table or manifest


def _os_error(path: Path, what: str, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError(path, "<file>", f"{what}; not found")
    if isinstance(exc, IsADirectoryError):
        return InputError(path, "<file>", f"{what} as a file; this is a folder")
    if isinstance(exc, NotADirectoryError):
        return InputError(path, "<file>", f"{what}; a part of the path is a file, not a folder")
    if isinstance(exc, PermissionError):
        return InputError(path, "<file>", f"{what} that can be read; permission denied")
    if exc.errno == errno.ELOOP:
        return InputError(path, "<file>", f"{what} as a file; the path is a loop of symbolic links")
    return InputError(path, "<file>", f"{what} that can be read ({exc.strerror or type(exc).__name__})")


def existing_file(path: str | Path, what: str) -> Path:
    """``path`` if it is a regular file (after links); else the InputError that says why not."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise _os_error(path, what, exc) from None
    if path.is_dir():
        raise InputError(path, "<file>", f"{what} as a file; this is a folder")
    if not path.is_file():
        raise InputError(path, "<file>", f"{what} as a regular file (mode {oct(st.st_mode)})")
    return path


def existing_dir(path: str | Path, what: str) -> Path:
    """``path`` if it is a folder; else the InputError that says why not. Creates nothing."""
    path = Path(path)
    try:
        path.stat()
    except OSError as exc:
        raise _os_error(path, what, exc) from None
    if not path.is_dir():
        raise InputError(path, "<folder>", f"{what} (a folder); this is a file")
    return path


def read_bytes(path: str | Path, what: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    path = existing_file(path, what)
    try:
        if path.stat().st_size > limit:
            raise InputError(path, "<file>", f"{what} of at most {limit:,} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise _os_error(path, what, exc) from None


def read_text(path: str | Path, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file (a BOM is allowed); binary or other encodings are named by line."""
    data = read_bytes(path, what, limit)
    if b"\x00" in data[:65536]:
        raise InputError(path, "<file>", f"{what} as UTF-8 text; this looks like a binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path,
            f"line {line}",
            f"{what} as UTF-8 text; byte 0x{data[exc.start]:02x} is not UTF-8 (save the file as UTF-8)",
        ) from None


def read_json(path: str | Path, what: str, kind: type = dict) -> Any:
    """A JSON file whose top level is a ``kind`` (dict by default)."""
    text = read_text(path, what)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "<file>"
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise InputError(path, where, f"{what} as valid JSON ({msg})") from None
    if not isinstance(data, kind):
        raise InputError(path, "<root>", f"{what} as a JSON {kind.__name__}, got {type(data).__name__}")
    return data


def read_csv(path: str | Path, what: str, required: tuple[str, ...] = (), **kw: Any) -> pd.DataFrame:
    """A CSV table with the ``required`` columns; empty, binary or malformed files are named."""
    text = read_text(path, what)
    if not "".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#")).strip():
        raise InputError(path, "<file>", f"{what} with a header row{_cols(required)}; the file is empty")
    try:
        df = pd.read_csv(io.StringIO(text), **kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = str(exc).strip().replace("\n", " ")[:200]
        raise InputError(path, "<file>", f"{what} as a CSV table ({msg})") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path, "<columns>", f"columns {list(required)}; missing {missing}")
    return df


def read_parquet(path: str | Path, what: str, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A parquet table with the ``required`` columns; truncated or foreign files are named."""
    path = existing_file(path, what)
    try:
        df = pd.read_parquet(path)
    except OSError as exc:
        if exc.errno is not None:
            raise _os_error(path, what, exc) from None
        raise InputError(path, "<file>", f"{what} as a parquet table ({str(exc)[:160]})") from None
    except Exception as exc:  # pyarrow raises its own kinds (ArrowInvalid, ...) for broken files
        raise InputError(path, "<file>", f"{what} as a parquet table ({type(exc).__name__})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path, "<columns>", f"columns {list(required)}; missing {missing}")
    return df


def _cols(required: tuple[str, ...]) -> str:
    return f" {list(required)}" if required else ""


# ---------------------------------------------------------------------------------------------
# Excel workbooks, read as Excel shows them

MAX_XLSX_UNZIPPED = 64_000_000  # every part decompressed; the shipped template is ~1 MB
MAX_XLSX_PARTS = 1_000
MAX_SHEET_ROWS = 100_000  # a national travel table is far smaller
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell's text
_DTD = (b"<!DOCTYPE", b"<!ENTITY")


def open_workbook(path: str | Path, what: str) -> Any:
    """An openpyxl workbook (read-only, formulas as written) after the checks that need no parsing:
    the archive's size and parts (decompressed size bounded, no external links, no DTD or entity
    in any XML part), then no hidden or very hidden sheet. Close it after use."""
    import openpyxl

    path = existing_file(path, what)
    _check_archive(path, what)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl and ElementTree raise many kinds for broken parts
        raise InputError(path, "<file>", f"{what} (.xlsx) that can be read ({_reason(exc)})") from None
    hidden = [(ws.title, ws.sheet_state) for ws in book.worksheets if ws.sheet_state != "visible"]
    if hidden:
        book.close()
        sheet, state = hidden[0]
        expected = f"only visible sheets (Excel does not show this one: {state}); unhide or delete it"
        raise InputError(path, sheet, expected)
    return book


def _check_archive(path: Path, what: str) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                expected = f"{what} of at most {MAX_XLSX_PARTS} parts; it has {len(parts)}"
                raise InputError(path, "<file>", expected)
            total = sum(p.file_size for p in parts)
            if total > MAX_XLSX_UNZIPPED:
                expected = f"{what} of at most {MAX_XLSX_UNZIPPED:,} bytes unzipped; it has {total:,}"
                raise InputError(path, "<file>", expected)
            for p in parts:
                if p.filename.lower().startswith("xl/externallinks/"):
                    raise InputError(path, p.filename, f"{what} without links to other workbooks")
                if p.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _check_xml(path, zf, p)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise InputError(path, "<file>", f"{what} (.xlsx: a zip archive; {_reason(exc)})") from None


def _check_xml(path: Path, zf: Any, part: Any) -> None:
    """No DTD or entity declaration in an XML part (an xlsx never needs one: entity bombs and
    external entities are refused before any parser sees them)."""
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            if any(d in window for d in _DTD):
                raise InputError(path, part.filename, "XML without a DTD or entities (refused: unsafe)")
            tail = chunk[-16:]


def sheet_rows(path: Path, book: Any, sheet: str, max_rows: int = MAX_SHEET_ROWS) -> list[tuple]:
    """The rows of ``sheet`` as values; a formula, an over-long text or too many rows is refused
    naming the cell, and a part that does not parse names the sheet."""
    rows: list[tuple] = []
    try:
        for r, row in enumerate(book[sheet].iter_rows(), start=1):
            if r > max_rows:
                raise InputError(path, sheet, f"a sheet of at most {max_rows:,} rows")
            rows.append(tuple(_value(path, sheet, c) for c in row))
    except InputError:
        raise
    except Exception as exc:  # a broken sheet part (bad XML, a shared string that is not there, ...)
        raise InputError(path, sheet, f"a sheet that can be read ({_reason(exc)})") from None
    return rows


def _value(path: Path, sheet: str, cell: Any) -> Any:
    value = getattr(cell, "value", None)
    coord = getattr(cell, "coordinate", "?")
    if getattr(cell, "data_type", None) == "f":
        raise InputError(path, f"{sheet}!{coord}", "a value, not a formula (Excel would compute it on open; "
                         "paste it as a value)")
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise InputError(path, f"{sheet}!{coord}", f"a text of at most {MAX_CELL_CHARS:,} characters")
    return value


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__
