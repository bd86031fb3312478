"""Reading a StatFin PxWeb table (``json``, ``json-stat2``, ``csv`` or ``px``) into one frame.

The StatFin PxWeb API (v1) answers a query in several formats; a planner without network access
saves one from the browser. Whatever the format, :func:`read_table` returns the same
:class:`StatTable`: the table id, the update time (UTC), the source, the measures (code → label,
from the file's own metadata) and a frame with one row per area × month, one column per measure
code, suppressed cells (``...``, ``..``) as NaN. Dimensions are found from the metadata: the
time dimension (json ``type: t``, json-stat2 ``role.time``, px ``TIMEVAL``), the content
dimension (``type: c``, ``role.metric``, ``CONTVARIABLE``) and the one remaining dimension, the
areas. A ``csv`` answer carries labels only: its measure columns are matched to the measures by
the table's metadata (:data:`METADATA_FILE`, the shipped ``json`` response) and its area cells by
their code (``KU790`` or ``KU790 Sastamala``).

Every file is untrusted: a truncated, tampered or foreign file raises one
:class:`~resurssimalli.errors.InputError` naming the file and the key (dimension, area, measure).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from resurssimalli.errors import InputError
from resurssimalli.reading import read_bytes

# the symbols PxWeb writes for a value it does not publish: "..." confidential (suppressed),
# ".." not available, "." logically impossible; "-" is a nil magnitude (zero)
MISSING_SYMBOLS = frozenset({".", "..", "...", "....", "....."})
NIL_SYMBOL = "-"
PX_LOCAL_TIME = ZoneInfo("Europe/Helsinki")  # a px file's LAST-UPDATED is Statistics Finland's local time
_MONTH = re.compile(r"^(\d{4})M(0[1-9]|1[0-2])$")
_AREA_CODE = re.compile(r"^([A-Z][A-Z0-9]*)(?:\s|$)")  # an area cell: its code, then perhaps its name
FORMATS = ("json", "json-stat2", "csv", "px")


@dataclass(frozen=True)
class StatTable:
    """One StatFin table as read from a file: metadata and values (area × month × measure)."""

    file: str
    format: str
    table: str
    updated: str  # ISO 8601, UTC ("2026-07-21T05:00:00Z")
    source: str
    measures: dict[str, str] = field(hash=False)  # code -> label, in the file's order
    values: pd.DataFrame = field(hash=False, compare=False)  # area_code, month, <measure codes>

    @property
    def months(self) -> list[str]:
        return sorted(self.values["month"].unique())


# -- shared helpers ---------------------------------------------------------------------------------


def _month(path: Path, code: str) -> str:
    m = _MONTH.match(str(code))
    if not m:
        raise InputError(path, "time dimension", f"month codes like 2026M06, got {code!r}")
    return f"{m.group(1)}-{m.group(2)}"


def _number(path: Path, raw: Any, key: str) -> float:
    """A cell as a float; the missing symbols as NaN; anything else non-numeric is an error."""
    if raw is None:
        return math.nan
    if isinstance(raw, bool):
        raise InputError(path, key, f"a number or a PxWeb missing-value symbol, got {raw!r}")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip().strip('"')
        if text in MISSING_SYMBOLS:
            return math.nan
        if text == NIL_SYMBOL:
            return 0.0
        try:
            value = float(text)
        except ValueError:
            raise InputError(path, key, f"a number or a PxWeb missing-value symbol, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(path, key, f"a finite count or share >= 0, got {raw!r}")
    return value


def _frame(path: Path, rows: dict[tuple[str, str], dict[str, float]], measures: list[str]) -> pd.DataFrame:
    """The table's frame from {(area, month): {measure: value}}; every cell must be there."""
    if not rows:
        raise InputError(path, "data", "at least one area and month; the table is empty")
    out = []
    for (area, month), cells in rows.items():
        missing = [c for c in measures if c not in cells]
        if missing:
            raise InputError(path, f"{area} {month}", f"a value for every measure; missing {missing[:5]}")
        out.append({"area_code": area, "month": month, **{c: cells[c] for c in measures}})
    df = pd.DataFrame(out, columns=["area_code", "month", *measures])
    df[measures] = df[measures].astype("float64")
    return df.sort_values(["month", "area_code"], kind="stable").reset_index(drop=True)


def _put(path: Path, rows: dict, area: str, month: str, measure: str, value: float) -> None:
    cells = rows.setdefault((area, month), {})
    if measure in cells:
        raise InputError(path, f"{area} {month} {measure}", "one value per area, month and measure; repeated")
    cells[measure] = value


def _utc(path: Path, text: Any, fmt: str) -> str:
    """An update time as ISO UTC; json's ``2026-07-21T05.00.00Z``, json-stat2's ISO, px's local time."""
    raw = str(text or "").strip()
    try:
        if fmt == "px":
            local = dt.datetime.strptime(raw, "%Y%m%d %H:%M").replace(tzinfo=PX_LOCAL_TIME)
            when = local.astimezone(dt.UTC)
        else:
            t = raw.replace("Z", "+00:00")
            t = re.sub(r"T(\d\d)\.(\d\d)\.(\d\d)", r"T\1:\2:\3", t)
            when = dt.datetime.fromisoformat(t)
            when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    except ValueError:
        raise InputError(path, "updated", f"the table's update time, got {raw[:40]!r}") from None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _str(path: Path, value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, key, f"a text, got {type(value).__name__}")
    return value.strip()


# -- json (PxWeb's own) -----------------------------------------------------------------------------


def _read_json(path: Path, doc: dict, table: str | None = None) -> StatTable:
    """A PxWeb ``json`` answer (``table``: its id when known; the answer carries none)."""
    cols = doc.get("columns")
    data = doc.get("data")
    if not isinstance(cols, list) or not isinstance(data, list):
        raise InputError(path, "columns", "a PxWeb json answer with 'columns' and 'data' lists")
    keys = [c for c in cols if isinstance(c, dict) and c.get("type") in ("d", "t")]
    measures = {
        _str(path, c.get("code"), "columns.code"): _str(path, c.get("text"), "columns.text")
        for c in cols
        if isinstance(c, dict) and c.get("type") == "c"
    }
    kinds = [c.get("type") for c in keys]
    if kinds.count("t") != 1 or kinds.count("d") != 1 or not measures:
        raise InputError(
            path, "columns", "one area (type d) and one time (type t) column and the measures (type c)"
        )
    t_at = kinds.index("t")
    rows: dict = {}
    codes = list(measures)
    for i, rec in enumerate(data):
        key, vals = (rec.get("key"), rec.get("values")) if isinstance(rec, dict) else (None, None)
        if (
            not isinstance(key, list)
            or len(key) != 2
            or not isinstance(vals, list)
            or len(vals) != len(codes)
        ):
            raise InputError(path, f"data[{i}]", f"a key of 2 codes and {len(codes)} values")
        area, month = str(key[1 - t_at]), _month(path, key[t_at])
        for code, raw in zip(codes, vals, strict=True):
            _put(path, rows, area, month, code, _number(path, raw, f"data[{i}] {area} {code}"))
    meta = doc.get("metadata")
    meta = meta[0] if isinstance(meta, list) and meta and isinstance(meta[0], dict) else {}
    return StatTable(
        str(path),
        "json",
        table or _table_id(path, None, measures),
        _utc(path, meta.get("updated"), "json"),
        _str(path, meta.get("source", ""), "metadata.source"),
        measures,
        _frame(path, rows, codes),
    )


def _table_id(path: Path, stated: str | None, measures: dict[str, str]) -> str:
    """The table's id as the file states it (json-stat2, px) or, for json and csv answers (which carry
    none), the id of the shipped table whose measure codes these are."""
    if stated:
        return stated.strip()
    from resurssimalli.data.jobseekers import TABLE_ID, table_metadata

    known = set(table_metadata().measures)
    if set(measures) <= known:
        return TABLE_ID
    raise InputError(
        path, "measures", f"measures of table {TABLE_ID}; unknown {sorted(set(measures) - known)[:5]}"
    )


# -- json-stat2 -------------------------------------------------------------------------------------


def _read_jsonstat(path: Path, doc: dict) -> StatTable:
    from pyjstat import pyjstat

    ids, dims, role = doc.get("id"), doc.get("dimension"), doc.get("role") or {}
    if not isinstance(ids, list) or not isinstance(dims, dict) or len(ids) != 3:
        raise InputError(path, "id", "a json-stat2 dataset of 3 dimensions (area, month, measure)")
    time = (role.get("time") or [None])[0]
    metric = (role.get("metric") or [None])[0]
    if time not in ids or metric not in ids or time == metric:
        raise InputError(path, "role", "a time and a metric dimension among 'id'")
    area = next(d for d in ids if d not in (time, metric))
    try:
        labels = dims[metric]["category"]["label"]
        measures = {
            str(k): _str(path, labels[k], f"dimension.{metric}.label.{k}") for k in _ordered(dims[metric])
        }
        with warnings.catch_warnings():  # pyjstat warns about its own internal use of an old helper
            warnings.simplefilter("ignore", DeprecationWarning)
            long = pyjstat.Dataset.read(json.dumps(doc)).write("dataframe", naming="id")
    except InputError:
        raise
    except Exception as exc:  # pyjstat and a malformed dict raise many kinds
        raise InputError(
            path, "dimension", f"a valid json-stat2 dataset ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    status = doc.get("status") or {}
    status = status if isinstance(status, dict) else {str(i): s for i, s in enumerate(status) if s}
    rows: dict = {}
    for i, r in enumerate(long.itertuples(index=False)):
        rec = r._asdict()
        raw = rec["value"]
        cell = None if (raw is None or (isinstance(raw, float) and math.isnan(raw))) else raw
        if cell is None and str(status.get(str(i), "")) not in MISSING_SYMBOLS:
            raise InputError(path, f"value[{i}]", "a number, or null with a missing-value status ('...')")
        key = f"value[{i}] {rec[area]} {rec[metric]}"
        _put(path, rows, str(rec[area]), _month(path, rec[time]), str(rec[metric]), _number(path, cell, key))
    px = (doc.get("extension") or {}).get("px") or {}
    return StatTable(
        str(path),
        "json-stat2",
        _table_id(path, px.get("tableid"), measures),
        _utc(path, doc.get("updated"), "json"),
        _str(path, doc.get("source", ""), "source"),
        measures,
        _frame(path, rows, list(measures)),
    )


def _ordered(dim: dict) -> list[str]:
    index = dim["category"].get("index")
    if isinstance(index, dict):
        return sorted(index, key=index.__getitem__)
    return list(index) if isinstance(index, list) else list(dim["category"]["label"])


# -- px (PC-Axis) ----------------------------------------------------------------------------------

_PX_KEY = re.compile(r'^([A-Z][A-Z0-9-]*)(?:\[(\w+)\])?(?:\("([^"]*)"\))?$')


def _px_keywords(path: Path, text: str) -> tuple[dict[tuple[str, str | None], str], str]:
    """Keyword statements (``KEY("var")=value;``, language variants dropped) and the DATA part."""
    head, sep, data = text.partition("DATA=")
    if not sep:
        raise InputError(path, "DATA", "a px file with a DATA= part")
    out: dict[tuple[str, str | None], str] = {}
    for stmt in re.findall(r'((?:[^;"]|"[^"]*")+);', head):
        name, eq, value = stmt.strip().partition("=")
        m = _PX_KEY.match(name.strip())
        if not eq or not m:
            raise InputError(path, name.strip()[:40] or "<keyword>", "a px keyword statement KEY=value;")
        if m.group(2) is None:
            out[(m.group(1), m.group(3))] = value.strip()
    if not data.rstrip().endswith(";"):
        raise InputError(path, "DATA", "a DATA part ending in ';' (the file is truncated)")
    return out, data.rstrip()[:-1]


def _px_list(value: str) -> list[str]:
    return [s.replace('""', '"') for s in re.findall(r'"((?:[^"]|"")*)"', value)]


def _read_px(path: Path, text: str) -> StatTable:
    kw, data = _px_keywords(path, text)

    def one(key: str, var: str | None = None) -> str:
        if (key, var) not in kw:
            raise InputError(path, key if var is None else f'{key}("{var}")', "this px keyword")
        return " ".join(_px_list(kw[(key, var)])) if '"' in kw[(key, var)] else kw[(key, var)]

    stub, heading = _px_list(kw.get(("STUB", None), "")), _px_list(kw.get(("HEADING", None), ""))
    names = stub + heading
    content = one("CONTVARIABLE")
    time = next((v for v in names if ("TIMEVAL", v) in kw), None)
    if len(names) != 3 or content not in names or time is None or time == content:
        raise InputError(
            path, "STUB/HEADING", "3 variables: the areas, a TIMEVAL variable and the CONTVARIABLE"
        )
    codes = {v: _px_list(kw.get(("CODES", v)) or kw.get(("VALUES", v), "")) for v in names}
    labels = dict(zip(codes[content], _px_list(kw.get(("VALUES", content), "")), strict=False))
    cells = re.findall(r'"[^"]*"|[^\s,"]+', data)
    size = math.prod(len(codes[v]) for v in names)
    if len(cells) != size:
        raise InputError(
            path, "DATA", f"{size} values (the product of the variables' codes), got {len(cells)}"
        )
    rows: dict = {}
    for i, combo in enumerate(pd.MultiIndex.from_product([codes[v] for v in names])):
        c = dict(zip(names, combo, strict=True))
        area, measure = c[next(v for v in names if v not in (time, content))], c[content]
        _put(
            path,
            rows,
            area,
            _month(path, c[time]),
            measure,
            _number(path, cells[i], f"DATA {area} {measure}"),
        )
    measures = {m: labels.get(m, m) for m in codes[content]}
    updated = kw.get(("LAST-UPDATED", None)) or next(
        (v for (k, _), v in kw.items() if k == "LAST-UPDATED"), None
    )
    return StatTable(
        str(path),
        "px",
        _table_id(path, one("TABLEID") if ("TABLEID", None) in kw else None, measures),
        _utc(path, (_px_list(updated or "") or [""])[0], "px"),
        one("SOURCE"),
        measures,
        _frame(path, rows, list(measures)),
    )


def _px_text(path: Path, data: bytes) -> str:
    """A px file's text: UTF-8 when it is, else its CODEPAGE (Statistics Finland's default windows-1252)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        page = re.search(rb'CODEPAGE="([\w-]+)"', data[:4096])
        try:
            return data.decode(page.group(1).decode() if page else "windows-1252")
        except (LookupError, UnicodeDecodeError):
            raise InputError(path, "CODEPAGE", "a px file in UTF-8 or its stated CODEPAGE") from None


# -- csv --------------------------------------------------------------------------------------------


def _read_csv(path: Path, text: str) -> StatTable:
    from resurssimalli.data.jobseekers import TABLE_ID, table_metadata

    meta = table_metadata()
    by_label = {label: code for code, label in meta.measures.items()}
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(path, "<file>", f"a CSV table ({str(exc)[:120]})") from None
    month_col = next(
        (c for c in df.columns if df[c].map(lambda v: bool(_MONTH.match(v))).all() and len(df)), None
    )
    value_cols: dict[str, tuple[str | None, str]] = {}
    for col in df.columns[1:]:
        if col == month_col:
            continue
        head = re.match(r"^(\d{4}M\d\d)\s+(.*)$", col)
        month, label = (head.group(1), head.group(2)) if head else (None, col)
        code = label if label in meta.measures else by_label.get(label.strip())
        if code is None or (month is None and month_col is None):
            raise InputError(
                path,
                f"column {col!r}",
                f"a measure of table {TABLE_ID} (its label from the metadata) with its month",
            )
        value_cols[col] = (month, code)
    rows: dict = {}
    for i, r in enumerate(df.to_dict("records")):
        cell = str(r[df.columns[0]])
        m = _AREA_CODE.match(cell.strip())
        if not m:
            raise InputError(
                path,
                f"row {i + 2}",
                f"an area cell starting with its code (KU790, SSS...), got {cell[:40]!r}",
            )
        for col, (month, code) in value_cols.items():
            mon = month if month is not None else r[month_col]
            _put(
                path,
                rows,
                m.group(1),
                _month(path, mon),
                code,
                _number(path, r[col], f"row {i + 2} {m.group(1)} {code}"),
            )
    codes = list(dict.fromkeys(code for _, code in value_cols.values()))
    return StatTable(
        str(path),
        "csv",
        TABLE_ID,
        meta.updated,
        meta.source,
        {c: meta.measures[c] for c in codes},
        _frame(path, rows, codes),
    )


# -- the entry point --------------------------------------------------------------------------------


def read_table(path: str | Path) -> StatTable:
    """Any of the four PxWeb formats, told apart by content (not by the file's name)."""
    path = Path(path)
    data = read_bytes(path, "a StatFin table (json, json-stat2, csv or px)")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        from resurssimalli.reading import read_json

        doc = read_json(path, "a StatFin table in json or json-stat2")
        if "columns" in doc and "data" in doc:
            return _read_json(path, doc)
        if doc.get("class") == "dataset" or "dimension" in doc:
            return _read_jsonstat(path, doc)
        raise InputError(path, "<root>", "a PxWeb json answer (columns, data) or a json-stat2 dataset")
    if re.search(rb"^\s*(AXIS-VERSION|CHARSET|CODEPAGE|MATRIX)\s*=", head, re.M):
        return _read_px(path, _px_text(path, data))
    from resurssimalli.reading import read_text

    return _read_csv(path, read_text(path, "a StatFin table in csv"))
