"""The summer-leave plan as a figure: weeks × areas, each cell the people on leave and the
substitute hours, coloured by the on-duty hours (without substitutes) against the week's work.
Text is at least 8 pt."""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.plots import _png, plt
from resurssimalli.report.texts import Texts

CELL_FONT = 8


def roster_figure(roster: pd.DataFrame, t: Texts, area_name=str) -> bytes:  # noqa: ANN001
    """PNG of ``roster.csv`` (week × area); ``area_name`` gives an area's display name."""
    weeks = sorted(roster["week_start"].unique())
    areas = sorted(roster["area"].unique())
    ratio = roster.pivot(index="area", columns="week_start", values="on_duty_hours") / roster.pivot(
        index="area", columns="week_start", values="work_hours"
    )
    ratio = ratio.loc[areas, weeks]
    fig, ax = plt.subplots(figsize=(max(8.0, 0.62 * len(weeks) + 2.5), 1.0 + 0.62 * len(areas)))
    im = ax.imshow(ratio.to_numpy(dtype=float), cmap="RdYlGn", vmin=0.7, vmax=1.3, aspect="auto")
    by = roster.set_index(["area", "week_start"])
    for i, a in enumerate(areas):
        for j, w in enumerate(weeks):
            r = by.loc[(a, w)]
            sub = f"\n+{r.substitute_hours:.0f} h" if r.substitute_hours >= 0.5 else ""
            ax.text(j, i, f"{int(r.people_on_leave)}{sub}", ha="center", va="center", fontsize=CELL_FONT)
    labels = [pd.Timestamp(w).strftime("%-d.%-m.") for w in weeks]
    ax.set_xticks(range(len(weeks)), labels, rotation=90, fontsize=CELL_FONT)
    ax.set_yticks(range(len(areas)), [area_name(a) for a in areas], fontsize=CELL_FONT + 1)
    ax.set_xlabel(f"{t('roster_week')}; {t('roster_cell')}", fontsize=CELL_FONT + 1)
    ax.set_title(t("fig_roster"), fontsize=CELL_FONT + 2)
    bar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    bar.ax.tick_params(labelsize=CELL_FONT)
    bar.set_label(t("roster_colour"), fontsize=CELL_FONT)
    return _png(fig)
