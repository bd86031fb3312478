"""The memo's figures: their keys, file names and captions, and where they are drawn.

The drawing itself is :mod:`resurssimalli.report.plots` (matplotlib), imported only by the
process that draws: ``run`` has the idle workers of its simulation pool draw every figure while
its main process writes the memo, so that process never imports matplotlib (about half a second).
A worker is handed the tables its figures read (:data:`FIGURE_TABLES`) instead of reading the run
folder back.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import Texts

# in the memo's order; the small multiples of every KPI (``kpis``, plots.kpi_bands) are no longer
# in the memo: at a page's width their labels printed at ~4 pt. The target KPIs' figure replaces
# them; every KPI by month is in the workbook.
FIGURES = ("targets", "map", "htv", "pareto", "tornado")  # tornado: sensitivity runs (report/sensitivity.py)
WORKER_TASKS = (("targets",), ("map", "htv", "pareto", "tornado"))
FIGURE_TABLES = {  # the result tables each figure reads (plots.py)
    "map": ("access.csv", "sites.csv"),
    "htv": ("allocation.csv",),
    "kpis": ("kpis.parquet",),
    "pareto": ("pareto.csv",),
    "targets": ("kpis.parquet",),
    "tornado": ("sensitivity_oat.csv",),
}
CAPTIONS = {
    "map": "fig_map", "htv": "fig_htv", "kpis": "fig_kpis", "pareto": "fig_pareto", "targets": "fig_targets",
    "tornado": "sens_figure",
}  # fmt: skip


def figure_name(key: str, lang: str) -> str:
    """File name of a figure in the run folder, e.g. ``figure_map_fi.png``."""
    return f"figure_{key}_{lang}.png"


def draw_all(res: RunResults, t: Texts, keys: tuple[str, ...] = FIGURES) -> dict[str, bytes]:
    """Every figure of ``keys`` the run's tables allow: key -> PNG bytes."""
    from resurssimalli.report.plots import DRAW

    out = {}
    for key in keys:
        png = DRAW[key](res, t)
        if png is not None:
            out[key] = png
    return out


def tables_for(res: RunResults, keys: tuple[str, ...]) -> RunResults:
    """What the figures ``keys`` read of the run (:data:`FIGURE_TABLES`), to hand to a worker
    process: of ``kpis.parquet`` only the whole area's rows, all that :func:`~.plots.kpi_bands`
    draws (a ninth of a 30-replication run's ~50 MB frame to pickle)."""
    given = res.only(name for key in keys for name in FIGURE_TABLES[key])
    kpis = given.tables.get("kpis.parquet")
    if kpis is None or "group" not in kpis.columns:
        return given
    area = kpis[kpis["group"] == "all"]
    return replace(given, tables=MappingProxyType({**given.tables, "kpis.parquet": area}))
