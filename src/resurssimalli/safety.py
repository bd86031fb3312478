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
* :func:`visible` — text for a terminal or an error message: control characters (ESC...), bidi
  controls (U+202E...) and other invisible format characters shown as escapes (``\\u202e``),
  bounded in length. Spreadsheet cells and Markdown pass through it too.
* :func:`unsafe_chars` / :func:`mixed_scripts` — the input rules: text with control or bidi
  characters, and names mixing scripts (a Cyrillic ``а`` among Latin letters), are refused with
  the code point named.

A formula start is recognised in its confusable forms too (full-width ``＝＋－＠``, small ``﹦﹢﹣``,
superscript ``⁼⁺⁻``: anything NFKC folds to ``= + - @``, and the minus sign U+2212).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for the frame helpers: errors.py imports this module cheaply
    import pandas as pd

SLUG_MAX = 48
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_CONFUSABLE = {"\u2212": "-"}  # MINUS SIGN: not folded by NFKC
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = re.compile(  # controls (not newline and tab), soft hyphen, bidi, zero-width, BOM...
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
MESSAGE_MAX = 2_000
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
    """True for a string a spreadsheet would run as a formula (or treat as one), its first
    character in any confusable form (full-width, small, superscript)."""
    if not isinstance(value, str) or not value:
        return False
    first = value[0]
    if not first.isascii():
        first = _FORMULA_CONFUSABLE.get(first) or unicodedata.normalize("NFKC", first)[:1]
    return first in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(value)


def neutralise(value: Any) -> Any:
    """A spreadsheet cell's text: invisible controls shown (:func:`visible`, unbounded) and a
    leading apostrophe if it looks like a formula; anything that is not text unchanged."""
    if not isinstance(value, str):
        return value
    value = visible(value, limit=None, newlines=True)
    return "'" + value if is_formula_like(value) else value


def visible(text: object, limit: int | None = MESSAGE_MAX, *, newlines: bool = False) -> str:
    """``text`` with every control, bidi and other invisible format character written as an escape
    (``\\x1b``, ``\\u202e``; newlines and tabs kept with ``newlines``), at most ``limit`` characters
    (the rest counted, not shown): what a terminal, a message or a document may show."""
    s = str(text)
    if not s.isprintable():
        s = _INVISIBLE.sub(lambda m: _escape(m.group(), newlines), s)
        if not newlines:
            s = s.replace("\n", "\\n").replace("\t", "\\t")
    if limit is not None and len(s) > limit:
        s = f"{s[:limit]}… ({len(s) - limit:,} more characters)"
    return s


def _escape(c: str, newlines: bool) -> str:
    if newlines and c in "\n\t":
        return c
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def unsafe_chars(text: str, *, one_line: bool) -> list[str]:
    """Code points refused in user text (``U+202E``...): control characters (but newline and tab
    in text of several lines) and bidi controls; in a one-line name also every other format or
    line-separator character."""
    bad = set()
    for c in text:
        cat = unicodedata.category(c)
        control = cat == "Cc" and (one_line or c not in "\n\t")
        if control or c in BIDI_CONTROLS or (one_line and cat in ("Cf", "Zl", "Zp")):
            bad.add(c)
    return [f"U+{ord(c):04X}" for c in sorted(bad)]


def mixed_scripts(name: str) -> str | None:
    """None if the letters of ``name`` are of one script (Latin with ä, ö, å is one); else which
    letter is the odd one out, as ``U+0430 CYRILLIC SMALL LETTER A at character 2``."""
    scripts: dict[str, tuple[int, str]] = {}
    for i, c in enumerate(name, start=1):
        if unicodedata.category(c).startswith("L"):
            script = unicodedata.name(c, "UNKNOWN").split(" ")[0]
            scripts.setdefault(script, (i, c))
    if len(scripts) < 2:
        return None
    main = max(scripts, key=lambda k: sum(1 for c in name if unicodedata.name(c, "").startswith(k + " ")))
    i, c = next(v for k, v in scripts.items() if k != main)
    return f"U+{ord(c):04X} {unicodedata.name(c, '?')} at character {i}"


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels are neutralised."""
    import pandas as pd

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
    import pandas as pd

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
    s = visible(_LINE_BREAKS.sub(" ", str(text)), limit=None)
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
