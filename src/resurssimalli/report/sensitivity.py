"""What the results rest on (``resurssimalli sensitivity`` folders, issue 29): the memo's section,
its tornado figure, the workbook's full table and the words for a verdict that flips.

Present only when the run folder holds ``sensitivity_indices.csv`` (a sensitivity run). The
section names the few assumptions that matter most for the decision quantities, draws each at
the ends of its range (the others as planned), and says what would turn a verdict (a target met
or missed on the worst month, a site opened or closed) and at which value.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from functools import cache

import pandas as pd

from resurssimalli.report.assumptions import range_text
from resurssimalli.report.memo.document import Block, Bullets, Column, Figure, Para, Section, Table
from resurssimalli.report.names import Names
from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import Texts

SITE_PREFIX = "site:"
SHARES = ("interviews_on_time_worst_month", "conversations_on_time_worst_month")
SHOWN = (*SHARES, "unemployment_person_days", "municipal_cost_eur")  # the memo's decision quantities
TOP = 5  # assumptions named in the memo's table
TORNADO_BARS = 8  # bars per panel


def present(res: RunResults) -> bool:
    return res.table("sensitivity_indices.csv") is not None


def overall_top(indices: pd.DataFrame, n: int = TOP, outputs: Sequence[str] = SHOWN) -> list[str]:
    """The assumptions that matter most over the decision quantities: each one's importance as a
    share of the largest for that quantity, its best share; ties in the table's order."""
    rows = indices[indices["output"].isin(outputs)]
    if rows.empty:
        return []
    peak = rows.groupby("output")["importance"].transform("max")
    score = (rows["importance"] / peak.where(peak > 0)).fillna(0.0)
    best = score.groupby(rows["factor"], sort=False).max()
    best = best[best > 0]
    order = sorted(range(len(best)), key=lambda i: -best.iloc[i])  # stable: the table's order on ties
    return [str(best.index[i]) for i in order[:n]]


def factor_label(factor: str, names: Names) -> str:
    """An assumption's name for the reader: its key, or the site's name for a site's cost."""
    prefix = "sites.fixed_cost_eur."
    if factor.startswith(prefix):
        return str(names.t("sens_site_cost", site=names.site(factor[len(prefix) :])))
    return f"`{factor}`"


def output_label(output: str, names: Names) -> str:
    if output.startswith(SITE_PREFIX):
        return names.site(output[len(SITE_PREFIX) :])
    return str(names.t(f"sens_out_{output}"))


def effect_text(t: Texts, output: str, value: float) -> str:
    """An effect in the quantity's unit: percentage points for shares, days, euros."""
    if math.isnan(value):
        return "–"
    if output in SHARES:
        return f"{t.num(100 * value, 1)} {t('sens_unit_pp')}"
    return t.num(value, 0)


def _fmt(t: Texts):  # noqa: ANN202 - a number formatter in the memo's language
    def fmt(x: float) -> str:
        return t.num(x, 0) if float(x).is_integer() or abs(x) >= 1000 else t.num(x, 3 if abs(x) < 1 else 2)

    return fmt


@cache
def _fi_range_sources() -> dict[str, str]:
    from resurssimalli.report.memo.appendix import finnish_sources

    return finnish_sources("range_source_fi")


def range_cell(row: object, value: object, t: Texts) -> str:
    """The assumptions table's range and, in brackets, where it comes from, in the memo's language."""
    words = {"per_site": t("sens_range_per_site"), "spread": t("sens_range_spread")}
    if row.range_kind == "choice":  # the alternatives are the scenario's own values: shown as code
        text = f"`{row.low}` | `{row.high}`"
    else:
        text = range_text(row.range_kind, row.low, row.high, value, _fmt(t), words) or t("sens_range_fixed")
    source = _fi_range_sources().get(row.key, "") if t.lang == "fi" else row.range_source
    return f"{text} ({source})" if source else text


def factor_range(row: pd.Series, t: Texts) -> str:
    base = json.loads(row["base"]) if isinstance(row["base"], str) and row["base"] else row["base"]
    words = {"per_site": t("sens_range_per_site"), "spread": t("sens_range_spread")}
    if row["range_kind"] == "choice":
        return str(row["options"])
    return range_text(row["range_kind"], row["low"], row["high"], base, _fmt(t), words)


def top_table(res: RunResults, names: Names) -> Table | None:
    t = names.t
    idx, fac = res.table("sensitivity_indices.csv"), res.table("sensitivity_factors.csv")
    top = overall_top(idx)
    if not top or fac is None:
        return None
    outputs = [o for o in SHOWN if o in set(idx["output"])]
    by = idx.set_index(["factor", "output"])["importance"]
    fac = fac.set_index("factor")
    method = str(idx["method"].iloc[0])
    rows = [
        [factor_label(f, names), factor_range(fac.loc[f], t)]
        + [effect_text(t, o, float(by.get((f, o), math.nan))) if method == "morris"
           else t.num(float(by.get((f, o), math.nan)), 2) for o in outputs]
        for f in top
    ]  # fmt: skip
    cols = (Column(t("sens_col_assumption")), Column(t("sens_col_range")))
    cols += tuple(Column(output_label(o, names), True) for o in outputs)
    return Table("sensitivity_top", t("sens_top_table"), cols, rows)


def _true(col: pd.Series) -> pd.Series:
    """A flips table's yes/no column as booleans (True or "True" as stored in CSV)."""
    return col.astype(str).str.lower() == "true"


def _is_true(value: object) -> bool:
    return str(value).lower() == "true"


def flip_lines(res: RunResults, names: Names) -> list[str]:
    """One sentence per verdict that an assumption turns within its range."""
    flips = res.table("sensitivity_flips.csv")
    return [] if flips is None else flip_sentences(flips, names)


def flip_sentences(flips: pd.DataFrame, names: Names) -> list[str]:
    """One sentence per row of a flips table (``sensitivity_flips.csv``) whose verdict flips."""
    t = names.t
    out = []
    for r in flips[_true(flips["flips"])].itertuples(index=False):
        site = str(r.output).startswith(SITE_PREFIX)
        holds = _is_true(r.holds_at_base)
        yes, no = (
            ("sens_site_open", "sens_site_closed") if site else ("sens_target_met", "sens_target_missed")
        )
        verdict = verdict_label(str(r.verdict), str(r.output), names)
        out.append(t("sens_flip", verdict=verdict, now=t(yes if holds else no), other=t(no if holds else yes),
                     factor=factor_label(str(r.factor), names), value=_value(t, r.value_flips),
                     base=_value(t, r.value_base)))  # fmt: skip
    return out


def steady_lines(res: RunResults, names: Names) -> list[str]:
    """One sentence per target whose verdict none of its top assumptions turns within its range."""
    flips = res.table("sensitivity_flips.csv")
    return [] if flips is None else steady_sentences(flips, names)


def steady_sentences(flips: pd.DataFrame, names: Names) -> list[str]:
    """One sentence per target of a flips table that no searched assumption turns."""
    t = names.t
    out = []
    targets = flips[~flips["output"].astype(str).str.startswith(SITE_PREFIX)]
    for verdict, rows in targets.groupby("verdict", sort=False):
        if _true(rows["flips"]).any():
            continue
        holds = _is_true(rows["holds_at_base"].iloc[0])
        factors = ", ".join(factor_label(str(f), names) for f in rows["factor"])
        state = t("sens_target_met" if holds else "sens_target_missed")
        label = verdict_label(str(verdict), "", names)
        out.append(t("sens_steady", verdict=label, now=state, factors=factors))
    return out


def _value(t: Texts, v: object) -> str:
    """A flip's value as read back: a number in the memo's format, else the text (×1.2, a word)."""
    text = str(v)
    scaled = text.startswith("×")
    try:
        x = float(text[1:] if scaled else text)
    except ValueError:
        return text
    return ("×" if scaled else "") + _fmt(t)(x)


def verdict_label(verdict: str, output: str, names: Names) -> str:
    """A verdict's name: the site's, or the target as KPI ≥ share."""
    if output.startswith(SITE_PREFIX):
        return output_label(output, names)
    kpi, op, value = verdict.split(" ")
    name = names.kpi(kpi)
    return f"{name[:1].upper()}{name[1:]} {'≥' if op == '>=' else '≤'} {names.t.pct(float(value), 0)}"


def tornado(res: RunResults, t: Texts) -> bytes | None:
    """One panel per decision quantity: the change from the plan's value with each of its most
    important assumptions at the low and the high end of its range (text 8 pt or more)."""
    oat = res.table("sensitivity_oat.csv")
    if oat is None or oat.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = Names(res.scenario.region, t)
    outputs = [o for o in SHOWN if o in set(oat["output"])]
    with plt.rc_context({"font.size": 9}):
        fig, axes = plt.subplots(len(outputs), 1, figsize=(7.0, 2.0 + 1.6 * len(outputs)), squeeze=False)
        for ax, output in zip(axes[:, 0], outputs, strict=True):
            _panel(ax, oat[oat["output"] == output], output, names)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=9, frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150)
        plt.close(fig)
    return buf.getvalue()


def _panel(ax, rows: pd.DataFrame, output: str, names: Names) -> None:  # noqa: ANN001 - a matplotlib Axes
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    scale = 100.0 if output in SHARES else 1.0
    low = (rows["at_low"] - rows["at_base"]) * scale
    high = (rows["at_high"] - rows["at_base"]) * scale
    swing = (high - low).abs()
    order = swing.sort_values(ascending=False, kind="stable").index[:TORNADO_BARS][::-1]
    labels = [factor_label(str(f), names).strip("`") for f in rows.loc[order, "factor"]]
    ax.barh(labels, low[order], color="#4c72b0", label=names.t("sens_low"))
    ax.barh(labels, high[order], color="#dd8452", label=names.t("sens_high"))
    ax.axvline(0, color="black", linewidth=0.8)
    unit = f" ({names.t('sens_unit_pp')})" if output in SHARES else ""
    ax.set_title(output_label(output, names) + unit, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: names.t.num(x, _decimals(x))))


def _decimals(x: float) -> int:
    """Decimals that show a tick's value exactly (up to two)."""
    return next((d for d in (0, 1) if abs(round(x, d) - x) < 1e-9), 2)


def section(res: RunResults, names: Names, figure: str | None) -> Section | None:
    """The memo's section, or None when the run is not a sensitivity run."""
    if not present(res):
        return None
    t = names.t
    info = dict(res.manifest.get("sensitivity", {}) or {})
    samples = res.table("sensitivity_indices.csv")
    n = len(set(samples["factor"])) if samples is not None else 0
    months = info.get("months") or res.scenario.config.horizon.months
    method = str(info.get("method", "morris"))
    points = int(info.get("points_computed", 0)) + int(info.get("points_reused", 0))
    blocks: list[Block] = [
        Para(t(f"sens_intro_{method}", n=t.num(n, 0), points=t.num(points, 0),
               reps=t.num(int(info.get("replications", 1)), 0), months=t.num(int(months), 0)))
    ]  # fmt: skip
    table = top_table(res, names)
    if table is not None:
        blocks.append(table)
    if figure:
        blocks.append(Figure("tornado", figure, t("sens_figure")))
    lines = flip_lines(res, names) + steady_lines(res, names)
    blocks.append(Para(f"**{t('sens_flips_title')}.**"))
    blocks.append(Bullets(lines) if lines else Para(t("sens_no_flips")))
    blocks.append(Para(t("sens_workbook")))
    return Section("sensitivity", t("sec_sensitivity"), blocks)


def risk_items(res: RunResults, names: Names, appendix: str) -> list[str]:
    """The proposal's risks: the assumptions the results rest on most and how many verdicts
    one of them turns within its range, citing the section (when the run has one)."""
    if not present(res):
        return []
    top = overall_top(res.table("sensitivity_indices.csv"), 3)
    flips = res.table("sensitivity_flips.csv")
    n = int(_true(flips["flips"]).sum()) if flips is not None else 0
    labels = ", ".join(factor_label(f, names) for f in top)
    return [str(names.t("sens_risk", factors=labels, n=names.t.num(n, 0), a=appendix))]


def limits_note(res: RunResults, t: Texts) -> list[str]:
    """The limits' line citing the section when the run has one."""
    return [str(t("sens_limits_note"))] if present(res) else []


def sheet_frame(res: RunResults, names: Names) -> pd.DataFrame | None:
    """The full table for the workbook: every output × assumption, display names beside ids."""
    idx = res.table("sensitivity_indices.csv")
    if idx is None or idx.empty:
        return None
    out = idx.copy()
    out["output"] = [output_label(str(o), names) for o in idx["output"]]
    out["factor"] = [factor_label(str(f), names).strip("`") for f in idx["factor"]]
    return out.drop(columns=["key"])


def sheet_columns(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The workbook sheet's columns (key, kind) in order."""
    names = ("importance", "mu_star", "mu_star_conf", "mu", "sigma", "S1", "S1_conf", "ST", "ST_conf")
    numeric = [c for c in names if c in frame.columns]
    return [("output", "text"), ("factor", "text"), ("method", "text"), ("rank", "index")] + [
        (c, "rate") for c in numeric
    ]
