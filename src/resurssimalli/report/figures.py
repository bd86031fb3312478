"""The memo's figures: their keys, file names and captions, and where they are drawn.

The drawing itself is :mod:`resurssimalli.report.plots` (matplotlib), imported only by the
process that draws: ``run`` has the idle workers of its simulation pool draw every figure while
its main process writes the memo, so that process never imports matplotlib (about half a second).
"""

from __future__ import annotations

from pathlib import Path

from resurssimalli.report.results import RunResults, load_run
from resurssimalli.report.texts import Texts

FIGURES = ("map", "htv", "kpis", "pareto")  # in the memo's order
WORKER_TASKS = (("kpis",), ("map", "htv", "pareto"))  # the heaviest alone (about 60 % of the drawing)
CAPTIONS = {"map": "fig_map", "htv": "fig_htv", "kpis": "fig_kpis", "pareto": "fig_pareto"}


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


def draw_from_folder(run_dir: Path, lang: str, keys: tuple[str, ...]) -> dict[str, bytes]:
    """The figures ``keys`` of a run folder, drawn from its files (in a worker of ``run``'s process
    pool). The same tables, so the same PNG bytes as drawn in the main process."""
    return draw_all(load_run(run_dir), Texts(lang), keys)
