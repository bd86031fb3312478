"""``write_report``: memo (md, html, optional pdf), figures and ``results.xlsx`` into a run folder.

Languages sit side by side and never replace each other: ``memo.md``, ``memo.html``,
``memo.pdf`` and ``results.xlsx`` are in the run's language (``manifest.json`` ``lang``,
Finnish when absent); another language goes to ``memo.<lang>.*`` and ``results.<lang>.xlsx``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from resurssimalli.progress import ProgressFn, tick
from resurssimalli.report.excel import workbook_tables, write_workbook_file
from resurssimalli.report.figures import FIGURES, WORKER_TASKS, draw_all, figure_name, tables_for
from resurssimalli.report.memo import build_memo, render_html, render_markdown, render_pdf
from resurssimalli.report.results import RunResults, load_run
from resurssimalli.report.texts import LANGS, Texts
from resurssimalli.runs import atomic_write

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
DEFAULT_LANG = "fi"


@dataclass(frozen=True)
class ReportFiles:
    """The names of one language's report files in a run folder."""

    md: str
    html: str
    pdf: str
    xlsx: str


def run_language(run_dir: Path) -> str:
    """The language the run was made in (``manifest.json`` ``lang``), Finnish when not recorded."""
    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT_LANG
    lang = manifest.get("lang") if isinstance(manifest, dict) else None
    return lang if lang in LANGS else DEFAULT_LANG


def report_files(run_dir: Path, lang: str) -> ReportFiles:
    """``memo.md`` … ``results.xlsx`` for the run's language, ``memo.<lang>.md`` … for another."""
    if lang == run_language(run_dir):
        return ReportFiles("memo.md", "memo.html", "memo.pdf", "results.xlsx")
    return ReportFiles(f"memo.{lang}.md", f"memo.{lang}.html", f"memo.{lang}.pdf", f"results.{lang}.xlsx")


def _text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), replace=True)


def _bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), replace=True)


def write_report(
    run_dir: Path,
    lang: str | None = None,
    pdf: bool = False,
    suppression: bool = True,
    progress: ProgressFn | None = None,
    given: Mapping[str, pd.DataFrame] | None = None,
    background: cf.Executor | None = None,
) -> list[Path]:
    """Write the memo, figures and results workbook into an existing run folder; return the paths.

    ``lang`` defaults to the run's language. The files are named by :func:`report_files`, so
    writing another language never replaces the run's own memo or workbook. Figures are
    ``figure_<key>_<lang>.png``. Every file is written atomically; bad input raises before any
    file is written. ``progress`` hears stage ``"memo"`` (read, figures, memo, [PDF,] workbook).
    ``given``: tables still in the caller's memory as written to the folder (:func:`load_run`).
    ``background``: a process pool with idle workers (``run`` passes its simulation pool): the
    workbook and the figures are made there while this process writes the memo.
    """
    run_dir = Path(run_dir)
    lang = lang or run_language(run_dir)
    t = Texts(lang)
    total = 5 if pdf else 4
    tick(progress, "memo", 0, total, "read the run")
    res = load_run(run_dir, given)
    files = report_files(run_dir, lang)
    with workbook_writer(res, run_dir / files.xlsx, t, suppression, background) as workbook:
        tick(progress, "memo", 1, total, "figures")
        written = _memo_files(res, t, files, pdf, suppression, progress, background)
        tick(progress, "memo", total - 1, total, "workbook")
        written.append(workbook())
    tick(progress, "memo", total, total, "done")
    log.info("report written to %s", run_dir)
    return written


def workers_ready() -> bool:
    """Nothing: submitted to each worker of ``run``'s pool so that it imports what the report's
    worker jobs need (openpyxl and matplotlib: any worker may get the workbook or a figure)
    before they are asked for; this module itself imports neither."""
    import openpyxl.worksheet.table  # noqa: F401

    import resurssimalli.report.plots  # noqa: F401
    import resurssimalli.report.sheet_rows  # noqa: F401

    return True


def _drawing(res: RunResults, t: Texts, background: cf.Executor | None) -> Callable[[], dict[str, bytes]]:
    """Start drawing the figures; the function returned gives them (key -> PNG) once drawn. With
    ``background`` they are drawn there meanwhile (:data:`WORKER_TASKS`), each task handed the
    tables it reads (cheaper to pickle than to read back and check again), else when asked for."""
    if background is None:
        return lambda: draw_all(res, t)
    tasks = [background.submit(draw_all, tables_for(res, keys), t, keys) for keys in WORKER_TASKS]

    def drawn() -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for task in tasks:
            out |= task.result()
        return {k: out[k] for k in FIGURES if k in out}

    return drawn


def _memo_files(
    res: RunResults, t: Texts, files: ReportFiles, pdf: bool, suppression: bool, progress: ProgressFn | None,
    background: cf.Executor | None = None,
) -> list[Path]:  # fmt: skip
    """Figures, memo.md, memo.html and (``pdf``) memo.pdf of one language, written atomically.

    The memo is built while the figures are drawn, naming every figure; built again in the rare
    run whose tables leave a figure out (no HTV table, no Pareto front)."""
    run_dir = res.path
    drawing = _drawing(res, t, background)
    tick(progress, "memo", 2, 5 if pdf else 4, "memo")
    every = {k: figure_name(k, t.lang) for k in FIGURES}
    memo = build_memo(res, t, every, suppression=suppression)
    drawn = drawing()
    figures = {k: every[k] for k in drawn}
    if figures != every:
        memo = build_memo(res, t, figures, suppression=suppression)
    images = {figures[k]: png for k, png in drawn.items()}
    md = render_markdown(memo)
    html_text = render_html(memo, images)
    written = [_bytes(run_dir / name, png) for name, png in images.items()]
    written.append(_text(run_dir / files.md, md))
    written.append(_text(run_dir / files.html, html_text))
    if pdf:
        tick(progress, "memo", 3, 5, "PDF")
        pdf_file = run_dir / files.pdf
        written.append(atomic_write(pdf_file, lambda tmp: render_pdf(html_text, tmp, run_dir), replace=True))
    return written


@contextlib.contextmanager
def workbook_writer(
    res: RunResults, path: Path, t: Texts, suppression: bool, background: cf.Executor | None
) -> Iterator[Callable[[], Path]]:
    """Write ``results.xlsx`` (atomically) while the block runs; the block calls the function it
    is given to have the path once the file is in place.

    With ``background`` a worker there writes it meanwhile, from the tables handed to it; it is
    awaited even when the block fails, so no file appears after this returns. Otherwise it is
    written here when asked for.
    """
    if background is None:
        yield lambda: write_workbook_file(path, t.lang, suppression, res)
        return
    given = res.only(workbook_tables(res))  # pickled to the worker: cheaper than reading the folder back
    future = background.submit(write_workbook_file, path, t.lang, suppression, given)
    try:
        yield future.result
    finally:
        cf.wait([future])
