"""The memo's figures drawn (matplotlib, PNG): region map, HTV by area and line, KPIs over time,
Pareto front. Imported only where they are drawn (``report.figures``): matplotlib costs about
half a second to import.

Each function draws from a :class:`RunResults` and returns the PNG bytes, or ``None`` when the
run lacks the tables the figure needs. Labels come from the language's :class:`Texts`.
"""

from __future__ import annotations

import io
import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from resurssimalli.experiment.compare import t_intervals  # noqa: E402
from resurssimalli.report import tables  # noqa: E402
from resurssimalli.report.memo.facts import SHARE_KPIS, build_names  # noqa: E402
from resurssimalli.report.results import RunResults  # noqa: E402
from resurssimalli.report.texts import Texts  # noqa: E402
from resurssimalli.simulate.stats import PROPORTION_KPIS, share_bounds  # noqa: E402

KIND_STYLE = {
    "office": ("s", "#1f4e79", 120),
    "service_point": ("^", "#2e8b57", 90),
    "popup": ("D", "#d2691e", 60),
}
DPI = 110
TITLE_CHARS = 40  # a KPI panel's title wraps after this many characters (the panel's width)


def _png(fig: plt.Figure, tight: bool = True) -> bytes:
    """The figure as PNG; ``tight``: cropped to what is drawn (one more drawing of the figure)."""
    buf = io.BytesIO()
    bbox = "tight" if tight else None
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches=bbox, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _region_title(res: RunResults, t: Texts) -> str:
    """``Läntisen Pirkanmaan työllisyysalue`` (fi) or the English name in brackets (en)."""
    name = res.scenario.region.name
    if " (" in name and name.endswith(")"):
        fi, en = name[:-1].split(" (", 1)
        return fi if t.lang == "fi" else en
    return name


def _number_axis(ax: plt.Axes, t: Texts, axis: str = "y", share: bool = False, decimals: int = 1) -> None:
    """Tick labels in the figure's language: decimal comma in Finnish, shares as %."""

    def fmt(x: float, _pos: int) -> str:
        return t.pct(x, 0) if share else t.num(x, decimals if abs(x) < 100 else 0)

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


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
    ax.set_xticks([])  # a map: the coordinates carry no meaning for the reader
    ax.set_yticks([])
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, borderaxespad=0)
    ax.set_title(_region_title(res, t), fontsize=9)
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
    names = build_names(res, t)
    ax.set_xticks(range(len(wide)), [names.area(str(a)) for a in wide.index], rotation=15, fontsize=8)
    ax.set_ylabel(t("axis_htv"))
    _number_axis(ax, t)
    ax.legend(fontsize=7.5, ncol=2)  # 8.5 pt as printed (the figure is scaled up ~1.14)
    return _png(fig)


def _monthly_bands(kpis: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """(scenario, KPI) -> per month: mean over replications and its 95 % t interval (a single
    replication: no band), all at once with :func:`t_interval`'s own arithmetic (a proportion's
    by its logit ``share_bounds``, inside [0, 1])."""
    iv = t_intervals(kpis.assign(month=kpis["month"].astype(str)), ["scenario", "kpi", "month"])
    mean, low, high = (iv[c].to_numpy(dtype=float) for c in ("mean", "low", "high"))
    share = iv.index.get_level_values("kpi").isin(list(PROPORTION_KPIS))  # proportions: inside [0, 1]
    s_low, s_high = share_bounds(mean, (high - low) / 2)
    low, high = np.where(share, s_low, low), np.where(share, s_high, high)
    low, high = (np.where(np.isfinite(v), v, mean) for v in (low, high))
    bands = pd.DataFrame({"mean": mean, "low": low, "high": high}, index=iv.index.get_level_values("month"))
    keys = [iv.index.get_level_values(c).astype(str) for c in ("scenario", "kpi")]
    return {key: part for key, part in bands.groupby(keys, sort=False)}


def _target_lines(res: RunResults) -> dict[str, list[float]]:
    """The scenario's area-wide targets by KPI."""
    out: dict[str, list[float]] = {}
    for tg in res.scenario.config.targets:
        if tg.group == "all":
            out.setdefault(tg.kpi, []).append(float(tg.value))
    return out


def _month_ticks(ax: plt.Axes, months: list[str], t: Texts) -> None:
    """Month names on the time axis: ``elo 23``, ``syys``, … (every other month when many)."""
    step = 1 if len(months) <= 7 else 2
    ticks = list(range(0, len(months), step))
    labels = []
    for i in ticks:
        year, month = (int(x) for x in str(months[i]).split("-")[:2])
        name = t("months_short")[month - 1]
        labels.append(f"{name} {year % 100:02d}" if i == 0 or month == 1 else name)
    ax.set_xticks(ticks, labels, fontsize=7)


def _kpi_panel(  # noqa: ANN001
    ax: plt.Axes, sub: pd.DataFrame, kpi: str, res: RunResults, t: Texts, names, bands
) -> None:
    share = kpi in SHARE_KPIS
    months = sorted(sub["month"].astype(str).unique())
    base = res.scenario.name
    marker = "o" if len(months) == 1 else None  # a KPI of one month (the run's end) is a point
    for sc in sub["scenario"].unique():
        agg = bands[(str(sc), kpi)].reindex(months)
        x = range(len(months))
        if sc == base:  # one band per panel: the baseline's; the scenarios as lines
            ax.fill_between(x, agg["low"], agg["high"], color="#1f4e79", alpha=0.18, lw=0)
            label = names.scenario(str(sc))
            ax.plot(x, agg["mean"], color="#1f4e79", lw=2.0, zorder=5, label=label, marker=marker)
        else:
            ax.plot(x, agg["mean"], lw=1.0, label=names.scenario(str(sc)), marker=marker)
    if sub["value"].abs().max() < 1e-9:  # all zero: an axis from 0, not ticks of 0.0 repeated
        ax.set_ylim(-0.05, 1.0)
    for value in _target_lines(res).get(kpi, []):
        ax.axhline(value, color="#c0392b", ls="--", lw=1.0, label=t("fig_target"))
    _month_ticks(ax, months, t)
    _number_axis(ax, t, share=share)
    title = textwrap.fill(names.kpi(kpi), TITLE_CHARS, break_on_hyphens=False)
    ax.set_title(title, fontsize=9, y=1.0)  # where matplotlib puts it, without measuring the axis for it
    ax.set_ylabel(t("axis_share") if share else t.name("kpiunit", kpi).replace(kpi, ""), fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(alpha=0.25)


def kpi_bands(res: RunResults, t: Texts) -> bytes | None:
    """Small multiples, one panel per KPI (whole area): the baseline's monthly mean with its 95 %
    band, each scenario's monthly mean as a line, the targets as dashed lines; months on the axis."""
    kpis = res.table("kpis.parquet")
    if kpis is None or kpis.empty:
        return None
    kpis = kpis[kpis["group"] == "all"]
    names_list = list(kpis["kpi"].unique())  # in order of appearance
    if not names_list:
        return None
    if "month" not in kpis.columns or not kpis["month"].astype(str).str.contains("-").all():
        start = pd.Timestamp(res.scenario.config.horizon.start).to_period("M")
        kpis = kpis.assign(month=[str(start + int(m)) for m in kpis.get("month_index", kpis["month"])])
    names = build_names(res, t)
    ncol = 4 if len(names_list) > 12 else 3 if len(names_list) > 6 else 2  # about as wide as tall: one page
    nrow = math.ceil(len(names_list) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow + 0.8), squeeze=False)
    bands = _monthly_bands(kpis)
    by_kpi = dict(iter(kpis.groupby("kpi", sort=False)))
    for ax, kpi in zip(axes.flat, names_list, strict=False):
        _kpi_panel(ax, by_kpi[kpi], kpi, res, t, names, bands)
    for ax in list(axes.flat)[len(names_list) :]:
        ax.set_visible(False)
    seen: dict[str, object] = {}
    for ax in list(axes.flat)[: len(names_list)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen.keys()), loc="lower center", ncol=min(5, len(seen)), fontsize=7)
    _grid_margins(fig, nrow, ncol)
    return _png(fig, tight=False)


def _grid_margins(fig: plt.Figure, nrow: int, ncol: int) -> None:
    """Fixed margins for the KPI panels, in inches: room for the y tick labels and axis label on the
    left of each panel, a two-line title above it, the month ticks under it and the legend at the
    bottom. The same as ``tight_layout`` gives within a few pixels at a fraction of its cost (it
    measures every tick label twice; and the figure is then drawn once, not cropped)."""
    width, height = fig.get_size_inches()
    left, right, top, bottom = 0.72, 0.12, 0.48, 0.72  # bottom: the legend and the last month ticks
    gap_x, gap_y = 0.82, 0.7  # y ticks and label of the panel to the right; title of the one below
    ax_w = (width - left - right - gap_x * (ncol - 1)) / ncol
    ax_h = (height - top - bottom - gap_y * (nrow - 1)) / nrow
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height,
        wspace=gap_x / ax_w, hspace=gap_y / ax_h,
    )  # fmt: skip


def pareto_front(res: RunResults, t: Texts) -> bytes | None:
    """Cost against the longest trip for each point of the traced front; under the plot, what
    each point changes in the sites against the cost optimum (point 1)."""
    p = res.table("pareto.csv")
    if p is None or p.empty:
        return None
    p = p.sort_values("max_minutes")
    names = build_names(res, t)
    notes = []
    if "sites_opened" in p.columns:
        for r in p.sort_values("point").itertuples():
            if int(r.point) != 1:
                notes.append(f"{t.num(r.point, 0)}: {names.site_changes(r.sites_opened, r.sites_closed)}")
    lines = [ln for note in notes for ln in textwrap.wrap(note, 95, subsequent_indent="    ")]
    height = 4 + 0.13 * len(lines)
    fig, ax = plt.subplots(figsize=(6.5, height))
    ax.plot(p["max_minutes"], p["cost_eur"] / 1e6, "o-", color="#1f4e79")
    for r in p.itertuples():
        ax.annotate(t.num(r.point, 0), (r.max_minutes, r.cost_eur / 1e6), xytext=(4, 4),
                    textcoords="offset points", fontsize=8)  # fmt: skip
    ax.set_xlabel(t("axis_max_minutes"))
    ax.set_ylabel(t("axis_cost"))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: t.num(x, 0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: t.num(y, 3)))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if lines:  # room under the x label for the notes (inches -> figure fraction)
        fig.subplots_adjust(bottom=(0.13 * len(lines) + 0.65) / height)
        fig.text(0.02, 0.02 / height, "\n".join(lines), fontsize=7.5, va="bottom", ha="left")
    return _png(fig)


FONT = 8.5  # the target figure's smallest text, in points at the width it is printed (7 in of 7.1)
TARGET_PANELS = 4


def target_kpis(res: RunResults, t: Texts) -> bytes | None:
    """The scenario's whole-area target KPIs (at most four), month by month, for the proposal:
    the plan's scenario with its 95 % band, every other scenario as a thin grey line, the target
    dashed; 7 inches wide (the printed page's width, so 8.5 pt stays 8.5 pt)."""
    kpis = res.table("kpis.parquet")
    targets = _target_lines(res)
    if kpis is None or kpis.empty or not targets:
        return None
    kpis = kpis[(kpis["group"] == "all") & kpis["kpi"].isin(list(targets))]
    shown = [k for k in targets if k in set(kpis["kpi"])][:TARGET_PANELS]
    if not shown or "month" not in kpis.columns:
        return None
    names = build_names(res, t)
    ncol = 2 if len(shown) > 1 else 1
    nrow = math.ceil(len(shown) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.0, 1.3 * nrow + 0.45), squeeze=False)
    bands = _monthly_bands(kpis)
    base = res.scenario.name
    for ax, kpi in zip(axes.flat, shown, strict=False):
        months = sorted(kpis.loc[kpis["kpi"] == kpi, "month"].astype(str).unique())
        x = range(len(months))
        marker = "o" if len(months) == 1 else None
        for sc in kpis["scenario"].unique():
            agg = bands[(str(sc), kpi)].reindex(months)
            if sc != base:
                ax.plot(x, agg["mean"], color="#9a9a9a", lw=0.8, marker=marker, label=t("fig_other_scenarios"))
        agg = bands[(base, kpi)].reindex(months)
        ax.fill_between(x, agg["low"], agg["high"], color="#1f4e79", alpha=0.2, lw=0)
        ax.plot(x, agg["mean"], color="#1f4e79", lw=2.0, marker=marker, label=names.scenario(base), zorder=5)
        for value in targets[kpi]:
            ax.axhline(value, color="#c0392b", ls="--", lw=1.2, label=t("fig_target"))
        _month_ticks(ax, months, t)
        ax.tick_params(labelsize=FONT)
        for label in ax.get_xticklabels():
            label.set_fontsize(FONT)
        _number_axis(ax, t, share=kpi in SHARE_KPIS)
        ax.set_title(textwrap.fill(names.kpi(kpi), 45, break_on_hyphens=False), fontsize=FONT + 0.5)
        ax.grid(alpha=0.25)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    seen: dict[str, object] = {}
    for ax in list(axes.flat)[: len(shown)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen.keys()), loc="lower center", ncol=len(seen), fontsize=FONT, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1), h_pad=0.3)
    return _png(fig, tight=False)


def _tornado(res: RunResults, t: Texts) -> bytes | None:
    from resurssimalli.report.sensitivity import tornado

    return tornado(res, t)


DRAW = {
    "map": region_map, "htv": htv_bars, "kpis": kpi_bands, "pareto": pareto_front, "targets": target_kpis,
    "tornado": _tornado,
}  # fmt: skip
