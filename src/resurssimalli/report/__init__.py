"""Stage 6 — report: console summaries, memos, figures and workbooks built from results.

Public API (imported lazily so that the console helpers stay light):

* :func:`write_report` — memo (md/html/pdf), figures and ``results.xlsx`` into a run folder;
* :func:`load_run` / :class:`RunResults` — a run folder's manifest, scenario and tables;
* :func:`build_memo`, :func:`render_markdown`, :func:`render_html` — the memo as a document;
* :class:`Texts` — the fi/en texts table and number formats;
* :func:`kpi_definitions` — every KPI's id, name, unit, groups and definition as a table;
* :func:`report_files` — the memo and workbook file names of a language in a run folder.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "write_report": "resurssimalli.report.write",
    "load_run": "resurssimalli.report.results",
    "RunResults": "resurssimalli.report.results",
    "build_memo": "resurssimalli.report.memo",
    "render_markdown": "resurssimalli.report.memo",
    "render_html": "resurssimalli.report.memo",
    "Texts": "resurssimalli.report.texts",
    "kpi_definitions": "resurssimalli.report.kpis",
    "report_files": "resurssimalli.report.write",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'resurssimalli.report' has no attribute {name!r}")
