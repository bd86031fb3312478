"""``write_report``: memo (md, html, optional pdf), figures and ``results.xlsx`` into a run folder."""

from __future__ import annotations

import logging
from pathlib import Path

from resurssimalli.report.excel import write_results_workbook
from resurssimalli.report.figures import draw_all, figure_name
from resurssimalli.report.memo import build_memo, render_html, render_markdown, render_pdf
from resurssimalli.report.results import load_run
from resurssimalli.report.texts import Texts
from resurssimalli.runs import atomic_write

log = logging.getLogger(__name__)


def _text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), replace=True)


def _bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), replace=True)


def write_report(run_dir: Path, lang: str = "fi", pdf: bool = False, suppression: bool = True) -> list[Path]:
    """Write the memo, figures and results workbook into an existing run folder; return the paths.

    ``memo.md``, ``memo.html`` (and ``memo.pdf`` with ``pdf``) hold the memo in ``lang``; a copy
    named ``memo.<lang>.*`` keeps each language when both are written. Figures are
    ``figure_<key>_<lang>.png``. Every file is written atomically; bad input raises before any
    file is written.
    """
    run_dir = Path(run_dir)
    t = Texts(lang)
    res = load_run(run_dir)
    images = {figure_name(k, lang): png for k, png in draw_all(res, t).items()}
    figures = {name.removeprefix("figure_").rsplit("_", 1)[0]: name for name in images}
    memo = build_memo(res, t, figures, suppression=suppression)
    md = render_markdown(memo)
    html_text = render_html(memo, images)
    written = [_bytes(run_dir / name, png) for name, png in images.items()]
    for stem in ("memo", f"memo.{lang}"):
        written.append(_text(run_dir / f"{stem}.md", md))
        written.append(_text(run_dir / f"{stem}.html", html_text))
    if pdf:
        pdf_path = run_dir / f"memo.{lang}.pdf"
        atomic_write(pdf_path, lambda tmp: render_pdf(html_text, tmp, run_dir), replace=True)
        written.append(_bytes(run_dir / "memo.pdf", pdf_path.read_bytes()))
        written.append(pdf_path)
    written.append(
        atomic_write(
            run_dir / "results.xlsx",
            lambda tmp: write_results_workbook(res, tmp, t, suppression=suppression),
            replace=True,
        )
    )
    log.info("report written to %s", run_dir)
    return written
