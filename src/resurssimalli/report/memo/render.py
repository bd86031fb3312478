"""Render a :class:`Memo` with the jinja2 templates in ``report/templates``: Markdown, HTML, PDF.

Each table is preceded in Markdown by ``<!-- table: ID -->`` (and carries ``id="ID"`` in HTML)
so that tests and tools can read the numbers back. The HTML is self-contained (figures embedded
as ``data:`` URIs); the PDF is that HTML printed by WeasyPrint, appendices on new pages.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from resurssimalli.report.memo.document import Memo
from resurssimalli.safety import md_text


class _MdSafe(str):
    """Markdown text that is already escaped (the md template's ``finalize`` leaves it alone)."""


def _md_finalize(value: object) -> str:
    return value if isinstance(value, _MdSafe) else md_text(value)


def _env(finalize: object = None) -> jinja2.Environment:
    """Templates with autoescape on for every name (``select_autoescape`` misses ``.j2``)."""
    kw = {"finalize": finalize} if finalize else {}
    return jinja2.Environment(
        loader=jinja2.PackageLoader("resurssimalli.report", "templates"),
        autoescape=finalize is None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **kw,
    )


_ENV = _env()
_MD_ENV = _env(finalize=_md_finalize)


def md_cell(text: str) -> str:
    """A Markdown table cell: escaped (see :func:`resurssimalli.safety.md_text`), ``|`` escaped."""
    return _MdSafe(md_text(text, block=False).replace("|", "\\|"))


def inline_html(text: str) -> str:
    """Escape and turn the memo's ``**bold**``, ``*italic*`` and ```code``` into HTML."""
    s = html.escape(str(text))
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)


SOFT_HYPHEN = "\u00ad"
_VOWELS = set("aeiouyäöåAEIOUYÄÖÅ")


def _fi_word(word: str) -> str:
    """Soft hyphens at Finnish syllable starts (a consonant followed by a vowel)."""
    if len(word) < 9 or not word.isalpha():
        return word
    out = word[:2]
    for i in range(2, len(word)):
        c = word[i]
        starts = c not in _VOWELS and i + 1 < len(word) and word[i + 1] in _VOWELS
        out += (SOFT_HYPHEN + c) if starts and 2 <= i <= len(word) - 3 else c
    return out


def soft_hyphens(text: str, lang: str) -> str:
    """Header text that may break inside long words (Finnish syllables; English left to the browser)."""
    if lang != "fi":
        return str(text)
    return re.sub(r"\w+", lambda m: _fi_word(m.group(0)), str(text))


_MD_ENV.filters["md_cell"] = md_cell
_ENV.filters["soft"] = soft_hyphens
_ENV.filters["inline"] = lambda s: markupsafe.Markup(inline_html(s))


def render_markdown(memo: Memo) -> str:
    return _MD_ENV.get_template("memo.md.j2").render(memo=memo)


def render_html(memo: Memo, images: Mapping[str, bytes]) -> str:
    """Self-contained HTML: figures are embedded as base64 ``data:`` URIs (file name -> PNG bytes)."""
    uris = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for name, png in images.items()
    }
    return _ENV.get_template("memo.html.j2").render(memo=memo, images=uris)


def figure_fetcher(run_dir: Path | None) -> Any:
    """A WeasyPrint URL fetcher serving ``data:`` URIs and the run folder's own PNG figures only.

    Anything else (another file, a web address, ``javascript:``) raises, so WeasyPrint skips it:
    scenario text can neither embed a local file in the PDF nor make it fetch from the network.
    The fetcher keeps the URLs it served in ``fetched`` and those it refused in ``refused``.
    """
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    root = Path(run_dir).resolve() if run_dir is not None else None

    class FigureFetcher(URLFetcher):
        fetched: list[str] = []
        refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                self.fetched.append(url[:40])
                return super().fetch(url, headers)
            if root is not None and url.startswith("file:"):
                target = Path(unquote(urlparse(url).path)).resolve()
                if target.parent == root and target.suffix == ".png" and target.name.startswith("figure_"):
                    self.fetched.append(target.as_uri())
                    return super().fetch(target.as_uri(), headers)
            self.refused.append(url)
            raise ValueError(f"not fetched (outside the run folder's figures): {url[:80]}")

    fetcher = FigureFetcher(allowed_protocols=("data", "file"), allow_redirects=False)
    fetcher.fetched, fetcher.refused = [], []
    return fetcher


def render_pdf(html_text: str, out: Path, run_dir: Path | None = None, fetcher: Any = None) -> None:
    """Print the HTML memo to PDF with WeasyPrint; only :func:`figure_fetcher` URLs are read."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # WeasyPrint's note on optional HarfBuzz-Subset
        import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # WeasyPrint's note on optional HarfBuzz-Subset
        doc = weasyprint.HTML(string=html_text, url_fetcher=fetcher or figure_fetcher(run_dir), base_url=None)
        doc.write_pdf(str(out), attachments=[])
