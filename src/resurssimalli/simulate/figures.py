"""Matplotlib PNGs of the KPIs over time: monthly mean over replications with a 95 % t band."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from resurssimalli.scenario.schema import KPI_NAMES  # noqa: E402
from resurssimalli.simulate.params import EMPLOYER_LINE, LINES  # noqa: E402
from resurssimalli.simulate.stats import t_interval  # noqa: E402

BY_LINE = ("caseload_per_coach", "staff_utilisation", "overdue_conversations")


def _monthly(kpis: pd.DataFrame, kpi: str, group: str) -> pd.DataFrame:
    sel = kpis[(kpis["kpi"] == kpi) & (kpis["group"] == group)]
    rows = []
    for month, g in sel.groupby("month", sort=True):
        mean, low, high, n = t_interval(g["value"].to_numpy())
        rows.append((month, mean, low, high, n))
    return pd.DataFrame(rows, columns=["month", "mean", "low", "high", "n"])


def write_figures(kpis: pd.DataFrame, path: Callable[[str], Path]) -> list[str]:
    """One ``fig_kpi_<kpi>.png`` per KPI; ``path(name)`` gives where to write ``name``."""
    files = []
    scenario = ", ".join(sorted(kpis["scenario"].unique()))
    reps = kpis["replication"].nunique()
    for kpi in KPI_NAMES:
        if not (kpis["kpi"] == kpi).any():
            continue
        fig, ax = plt.subplots(figsize=(7, 3.8))
        m = _monthly(kpis, kpi, "all")
        ax.plot(m["month"], m["mean"], color="black", lw=2, label="all")
        ax.fill_between(m["month"], m["low"], m["high"], color="grey", alpha=0.3, label="95 % CI")
        if kpi in BY_LINE:
            for line in (*LINES, EMPLOYER_LINE):
                g = _monthly(kpis, kpi, line)
                if len(g) and g["mean"].notna().any():
                    ax.plot(g["month"], g["mean"], lw=1, label=line)
        ax.set_xlabel("month of the horizon")
        ax.set_title(f"{kpi} — {scenario} ({reps} replications)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        name = f"fig_kpi_{kpi}.png"
        fig.savefig(path(name), dpi=110)
        plt.close(fig)
        files.append(name)
    return files
