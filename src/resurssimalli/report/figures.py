"""The memo's figures (matplotlib, PNG): region map, HTV by area and line, KPIs over time, Pareto front.

Each function draws from a :class:`RunResults` and returns the PNG bytes, or ``None`` when the
run lacks the tables the figure needs. Labels come from the language's :class:`Texts`.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from resurssimalli.report import tables  # noqa: E402
from resurssimalli.report.results import RunResults  # noqa: E402
from resurssimalli.report.texts import Texts  # noqa: E402
from resurssimalli.simulate.stats import t_interval  # noqa: E402

KIND_STYLE = {
    "office": ("s", "#1f4e79", 120),
    "service_point": ("^", "#2e8b57", 90),
    "popup": ("D", "#d2691e", 60),
}
DPI = 110


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def region_map(res: RunResults, t: Texts) -> bytes:
    """Demand points (size ~ customers), municipal centres, open sites, lines from points to sites."""
    region = res.scenario.region
    pts = region.demand_points
    cust = tables.customers_by_point(res)
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.set_aspect(1 / math.cos(math.radians(61.7)))
    acc = res.table("access.csv")
    if acc is not None:
        for r in acc[acc["share"] > 0].itertuples():
            if r.demand_point not in pts or r.site not in region.sites:
                continue
            p, s = pts[r.demand_point], pts[region.sites[r.site].demand_point]
            ax.plot(
                [p.lon, s.lon], [p.lat, s.lat], color="#888888", lw=0.6 + 2.0 * r.share, alpha=0.7, zorder=1
            )
    xs = [p.lon for p in pts.values()]
    ys = [p.lat for p in pts.values()]
    sizes = [10 + 0.6 * float(cust.get(p.id, 0.0)) for p in pts.values()]
    ax.scatter(xs, ys, s=sizes, color="#9ecae1", edgecolor="#3182bd", zorder=2, label=t("map_point"))
    centres = [pts[m.centre] for m in region.municipalities.values() if m.centre in pts]
    ax.scatter(
        [c.lon for c in centres],
        [c.lat for c in centres],
        marker="*",
        s=70,
        color="black",
        zorder=4,
        label=t("map_centre"),
    )
    for m in region.municipalities.values():
        if m.centre in pts:
            c = pts[m.centre]
            ax.annotate(
                m.name, (c.lon, c.lat), xytext=(5, 5), textcoords="offset points", fontsize=9, zorder=5
            )
    sites = res.table("sites.csv")
    if sites is not None:
        open_ = sites[sites["open"]]
        for kind, (marker, colour, size) in KIND_STYLE.items():
            sel = [region.sites[s] for s in open_.loc[open_["kind"] == kind, "site"] if s in region.sites]
            if not sel:
                continue
            ax.scatter(
                [pts[s.demand_point].lon for s in sel],
                [pts[s.demand_point].lat for s in sel],
                marker=marker,
                s=size,
                facecolor="none",
                edgecolor=colour,
                linewidth=1.8,
                zorder=3,
                label=t.name("kind", kind),
            )
    ax.set_xlabel("lon")
    ax.set_ylabel("lat")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, borderaxespad=0)
    ax.set_title(res.scenario.region.name, fontsize=9)
    fig.tight_layout()
    return _png(fig)


def htv_bars(res: RunResults, t: Texts) -> bytes | None:
    """Stacked bars: HTV by area, stacked by service line."""
    wide = tables.htv_by_area_line(res)
    if wide is None:
        return None
    wide = wide.drop(index=tables.TOTAL, columns=tables.TOTAL)
    fig, ax = plt.subplots(figsize=(7, 4))
    bottom = np.zeros(len(wide))
    colours = plt.get_cmap("tab10")
    for i, line in enumerate(wide.columns):
        vals = wide[line].to_numpy(dtype=float)
        ax.bar(range(len(wide)), vals, bottom=bottom, label=t.name("line", line), color=colours(i))
        bottom += vals
    ax.set_xticks(range(len(wide)), [str(a) for a in wide.index], rotation=15, fontsize=8)
    ax.set_ylabel(t("col_htv"))
    ax.legend(fontsize=7, ncol=2)
    return _png(fig)


def _monthly_band(g: pd.DataFrame) -> pd.DataFrame:
    """Per month: mean over replications and its 95 % t interval (a single replication: no band)."""
    rows = {}
    for month, sub in g.groupby("month", sort=True):
        mean, low, high, _n = t_interval(sub["value"].to_numpy(dtype=float))
        rows[month] = (mean, low if math.isfinite(low) else mean, high if math.isfinite(high) else mean)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "low", "high"])


def kpi_bands(res: RunResults, t: Texts) -> bytes | None:
    """One panel per KPI (whole area): monthly mean over replications with a 95 % t band, per scenario."""
    kpis = res.table("kpis.parquet")
    if kpis is None or kpis.empty:
        return None
    kpis = kpis[kpis["group"] == "all"]
    names = list(dict.fromkeys(kpis["kpi"]))
    if not names:
        return None
    ncol = 2
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.6 * nrow), squeeze=False)
    for ax, kpi in zip(axes.flat, names, strict=False):
        sub = kpis[kpis["kpi"] == kpi]
        for sc, g in sub.groupby("scenario", sort=False):
            agg = _monthly_band(g)
            x = [str(m) for m in agg.index]
            ax.plot(x, agg["mean"], label=str(sc), lw=1.3)
            ax.fill_between(x, agg["low"], agg["high"], alpha=0.2)
        ax.set_title(t.name("kpi", kpi), fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def pareto_front(res: RunResults, t: Texts) -> bytes | None:
    """Cost against the longest trip for each point of the traced front."""
    p = res.table("pareto.csv")
    if p is None or p.empty:
        return None
    p = p.sort_values("max_minutes")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(p["max_minutes"], p["cost_eur"] / 1e6, "o-", color="#1f4e79")
    for r in p.itertuples():
        ax.annotate(
            str(r.point),
            (r.max_minutes, r.cost_eur / 1e6),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xlabel(t("axis_max_minutes"))
    ax.set_ylabel(t("axis_cost"))
    ax.grid(alpha=0.3)
    return _png(fig)


FIGURES = {"map": region_map, "htv": htv_bars, "kpis": kpi_bands, "pareto": pareto_front}
CAPTIONS = {"map": "fig_map", "htv": "fig_htv", "kpis": "fig_kpis", "pareto": "fig_pareto"}


def figure_name(key: str, lang: str) -> str:
    """File name of a figure in the run folder, e.g. ``figure_map_fi.png``."""
    return f"figure_{key}_{lang}.png"


def draw_all(res: RunResults, t: Texts) -> dict[str, bytes]:
    """Every figure the run's tables allow: key -> PNG bytes."""
    out = {}
    for key, draw in FIGURES.items():
        png = draw(res, t)
        if png is not None:
            out[key] = png
    return out


__all__ = ["draw_all", "figure_name", "CAPTIONS", "pd"]
