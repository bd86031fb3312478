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
