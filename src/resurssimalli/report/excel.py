"""``results.xlsx`` for planners and Power BI: one Excel Table per result, formats and units.

Every data sheet is an Excel Table (autofilter, banded rows) whose headers carry their unit
(``HTV [HTV]``, ``Kustannus [€/v]``); every numeric cell has a number format (HTV to two
decimals, euros with thousands separators, shares as %); names are the reader's language's
display names, with the ids kept in ``… (tunniste)`` columns for joins. Suppressed people
counts are empty cells with a flag column, never text in a numeric column. A tidy monthly KPI
sheet (calendar month, scenario, KPI, group type, group, mean, CI) and a data dictionary
describing every column come with it; the README sheet comes first.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.assumptions import assumptions_table, key_values
from resurssimalli.report.memo.appendix import PLAIN_KEYS, finnish_sources
from resurssimalli.report.memo.facts import SHARE_KPIS, build_names
from resurssimalli.report.memo.values import show_value
from resurssimalli.report.names import Names, group_type
from resurssimalli.report.results import RunResults
from resurssimalli.report.suppression import SMALL_CELL_LIMIT, people_table
from resurssimalli.report.texts import SUPPRESSED, Texts
from resurssimalli.runs import atomic_write
from resurssimalli.safety import neutralise
from resurssimalli.simulate.stats import CONFIDENCE, PROPORTION_KPIS, share_bounds
from resurssimalli.tquantile import t_quantile

# number formats by kind of value
FORMATS = {
    "htv": "0.00",
    "eur": "#,##0",
    "minutes": "0.0",
    "km": "0.0",
    "share": "0.0%",
    "count": "#,##0",
    "index": "0",
    "decimal": "0.00",
    "rate": "0.0000",
    "month": "yyyy-mm",
}
# unit (texts.yaml ``units``) shown in the header of each kind
UNITS = {
    "htv": "HTV",
    "eur": "EUR/year",
    "minutes": "min",
    "km": "km",
    "share": "%",
    "count": "persons",
}
ID_SUFFIX = "_id"


@dataclass(frozen=True)
class XlColumn:
    """A workbook column: its key (``xlcol_<key>`` header, ``xldesc_<key>`` description), and
    the kind of its values (a number format from :data:`FORMATS`, ``text``, or ``kpi`` for KPI
    values formatted by the row's KPI)."""

    key: str
    kind: str = "text"
    unit_kind: str | None = None  # header unit when it differs from the kind's


@dataclass
class Sheet:
    """One data sheet: a frame whose columns match ``columns``, and where it comes from."""

    id: str
    frame: pd.DataFrame
    columns: list[XlColumn]
    source: str
    kpi_column: str | None = None  # the column naming each row's KPI (for ``kpi`` cells)


def _names_column(values: pd.Series, lookup: Callable[[str], str]) -> list[str]:
    ids = values.astype(str).tolist()  # a list: iterating an Arrow-backed column is ~10x slower
    names = {v: lookup(v) for v in dict.fromkeys(ids)}
    return [names[v] for v in ids]


def _with_names(df: pd.DataFrame, n: Names, name_cols: Mapping[str, Callable[[str], str]]) -> pd.DataFrame:
    """Display names for the id columns, the ids kept in ``<col>_id`` columns at the end."""
    out = df.copy()
    for col, lookup in name_cols.items():
        if col in out.columns:
            out[col + ID_SUFFIX] = out[col].astype(str)
            out[col] = _names_column(out[col], lookup)
    return out


def _id_columns(cols: list[str]) -> list[XlColumn]:
    return [XlColumn(c + ID_SUFFIX) for c in cols]


def _plan_sheets(res: RunResults, n: Names, t: Texts) -> list[Sheet]:
    out: list[Sheet] = []
    alloc = res.table("allocation.csv")
    if alloc is not None:
        ids = ["area", "municipality", "site", "service_line"]
        df = _with_names(alloc, n, dict(zip(ids, (n.area, n.municipality, n.site, n.line), strict=True)))
        cols = [XlColumn(c) for c in ids] + [XlColumn("htv", "htv")] + _id_columns(ids)
        out.append(Sheet("allocation", df[[c.key for c in cols]], cols, "allocation.csv"))
    sites = res.table("sites.csv")
    if sites is not None:
        df = _with_names(sites, n, {"site": n.site, "municipality": n.municipality})
        df["kind"] = [t.name("kind", k) for k in df["kind"]]
        df["open"] = [t("value_yes") if o else t("value_no") for o in df["open"]]
        cols = [XlColumn(c) for c in ("site", "municipality", "kind", "open")]
        cols += [XlColumn("htv", "htv")]
        cols += [XlColumn(c, "count", unit_kind="none") for c in ("workstations", "workstations_used")]
        cols += _id_columns(["site", "municipality"])
        out.append(Sheet("sites", df[[c.key for c in cols]], cols, "sites.csv"))
    access = res.table("access.csv")
    if access is not None:
        ids = ["demand_point", "municipality", "site"]
        df = _with_names(access, n, dict(zip(ids, (n.point, n.municipality, n.site), strict=True)))
        cols = [XlColumn(c) for c in ids] + [XlColumn("share", "share"), XlColumn("minutes", "minutes")]
        cols += _id_columns(ids)
        out.append(Sheet("access", df[[c.key for c in cols]], cols, "access.csv"))
    return out


def _cost_sheets(res: RunResults, n: Names, t: Texts) -> list[Sheet]:
    out: list[Sheet] = []
    costs = res.table("costs.csv")
    if costs is not None:
        df = costs.copy()
        df["cost_kind"] = [t(f"costkind_{tables.cost_kind(c)}") for c in df["cost_item"]]
        df = _with_names(df, n, {"municipality": n.municipality, "cost_item": lambda c: t.name("cost", c)})
        cols = [
            XlColumn("municipality"),
            XlColumn("cost_item"),
            XlColumn("cost_kind"),
            XlColumn("eur", "eur"),
        ]
        cols += _id_columns(["municipality", "cost_item"])
        out.append(Sheet("costs", df[[c.key for c in cols]], cols, "costs.csv"))
    pareto = res.table("pareto.csv")
    if pareto is not None:
        cols = [XlColumn("point", "index"), XlColumn("cost_eur", "eur")]  # cost: budget and social
        cols += [XlColumn(c, "minutes") for c in pareto.columns if c.endswith("minutes")]
        out.append(Sheet("pareto", pareto[[c.key for c in cols]], cols, "pareto.csv"))
    return out


def _kpi_frame(df: pd.DataFrame, n: Names) -> pd.DataFrame:
    """Scenario, KPI and group as display names; group split into group type and group; ids kept."""
    region = n.region
    out = df.copy()
    groups = out["group"].tolist()
    kinds = {g: n.t(f"gtype_{group_type(g, region)}") for g in dict.fromkeys(groups)}  # each group once
    out.insert(out.columns.get_loc("group"), "group_type", [kinds[g] for g in groups])
    return _with_names(out, n, {"scenario": n.scenario, "kpi": n.kpi, "group": n.group})


MONTH_PERIOD = r"\d{4}-\d{2}"  # a calendar month's row of summary.csv
ZIP_LEVEL = 3  # results.xlsx deflated at zlib level 3 of 9 (_save)


def _summary_parts(res: RunResults) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The summary's whole-horizon rows and its calendar-month rows (``period`` = ``YYYY-MM``)."""
    summary = res.table("summary.csv")
    if summary is None:
        return None, monthly_kpis(res)
    if "period" not in summary.columns:
        return summary, monthly_kpis(res)
    period = summary["period"].astype(str)
    months = summary[period.str.fullmatch(MONTH_PERIOD)].copy()
    months["month"] = pd.to_datetime(months["period"] + "-01")
    monthly = months[["month", "scenario", "kpi", "group", "mean", "ci_low", "ci_high", "n"]]
    return summary[period == "horizon"], (monthly if not monthly.empty else monthly_kpis(res))


def workbook_tables(res: RunResults) -> list[str]:
    """The result tables the workbook reads (:func:`_summary_parts`): every one the run has but
    ``kpis.parquet`` (~50 MB pickled for 30 replications, for another process to write the
    workbook) when the summary has the calendar months."""
    summary = res.tables.get("summary.csv")
    months = summary is not None and "period" in summary.columns
    months = months and bool(summary["period"].astype(str).str.fullmatch(MONTH_PERIOD).any())
    return [name for name in res.tables if not (months and name == "kpis.parquet")]


def _kpi_sheets(res: RunResults, n: Names) -> list[Sheet]:
    out: list[Sheet] = []
    ids = _id_columns(["scenario", "kpi", "group"])
    lead = [XlColumn(c) for c in ("scenario", "kpi", "group_type", "group")]
    values = [XlColumn(c, "kpi") for c in ("mean", "ci_low", "ci_high")] + [XlColumn("n", "index")]
    summary, monthly = _summary_parts(res)
    if summary is not None:
        cols = lead + values + ids
        df = _kpi_frame(summary, n)
        out.append(Sheet("kpi_summary", df[[c.key for c in cols]], cols, "summary.csv", "kpi_id"))
    if monthly is not None:
        cols = [XlColumn("month", "month"), *lead, *values, *ids]
        df = _kpi_frame(monthly.reset_index(drop=True), n)
        out.append(
            Sheet("kpi_monthly", df[[c.key for c in cols]], cols, "summary.csv / kpis.parquet", "kpi_id")
        )
    comp = res.table("comparison.csv")
    if comp is not None:
        df = _kpi_frame(comp, n)
        vals = ("baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high")
        cols = lead + [XlColumn(c, "kpi") for c in vals] + [XlColumn("n", "index")] + ids
        out.append(Sheet("comparison", df[[c.key for c in cols]], cols, "comparison.csv", "kpi_id"))
    return out


def calendar_month(start: Any, month: int | str) -> pd.Timestamp:
    """The first day of a calendar month: ``YYYY-MM`` as it is, or ``month`` months after ``start``."""
    if isinstance(month, str) and "-" in month:
        return pd.Timestamp(month[:7] + "-01")
    first = pd.Timestamp(start).to_period("M")
    return (first + int(month)).to_timestamp()


def monthly_kpis(res: RunResults) -> pd.DataFrame | None:
    """``month`` (calendar month), scenario, kpi, group, mean, ci_low, ci_high, n over replications.

    The same 95 % interval as :func:`resurssimalli.simulate.stats.t_interval` (proportions by its
    logit ``share_bounds``, inside [0, 1]), over the
    replications' finite values of each month (vectorised: a year of eight scenarios is ~10^4 cells).
    """
    kpis = res.table("kpis.parquet")
    if kpis is None:
        return None
    keys = ["scenario", "month", "kpi", "group"]
    finite = kpis[np.isfinite(kpis["value"].to_numpy(dtype=float))]
    g = finite.groupby(keys, sort=True)["value"].agg(["mean", "std", "count"]).reset_index()
    n = g["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_quantile((1 + CONFIDENCE) / 2, np.maximum(n - 1, 1)) * g["std"].to_numpy() / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    share = g["kpi"].isin(list(PROPORTION_KPIS)).to_numpy()  # proportions: the interval inside [0, 1]
    s_low, s_high = share_bounds(g["mean"].to_numpy(), half)
    start = res.scenario.config.horizon.start
    return pd.DataFrame(
        {
            "month": g["month"].map({m: calendar_month(start, m) for m in g["month"].unique()}),
            "scenario": g["scenario"],
            "kpi": g["kpi"],
            "group": g["group"],
            "mean": g["mean"],
            "ci_low": np.where(share, s_low, g["mean"] - half),
            "ci_high": np.where(share, s_high, g["mean"] + half),
            "n": g["count"].astype(int),
        }
    )


def _people_sheet(
    sheet_id: str, cells: pd.DataFrame, totals: pd.Series, n: Names, prefix: str, suppression: bool
) -> Sheet:
    """Tidy people counts: municipality, group, persons (empty if suppressed), suppressed flag.

    What is hidden is what the memo hides (:func:`people_table`: small cells, the cells that
    would give them away, totals under the limit)."""
    t = n.t
    shown = people_table(cells, totals, suppression=suppression)
    rows = []
    for m in shown.index:
        for g in shown.columns:
            v = shown.loc[m, g]
            hidden = isinstance(v, str) and v == SUPPRESSED
            muni = t("col_total") if m == tables.TOTAL else n.municipality(m)
            flag = t("value_yes") if hidden else t("value_no")
            rows.append((muni, t.name(prefix, g), None if hidden else round(float(v)), flag, m, g))
    columns = [
        "municipality",
        "population_group",
        "persons",
        "suppressed",
        "municipality_id",
        "population_group_id",
    ]
    df = pd.DataFrame(rows, columns=columns)
    cols = [XlColumn("municipality"), XlColumn("population_group"), XlColumn("persons", "count", "none")]
    cols += [XlColumn("suppressed")]
    cols += _id_columns(["municipality", "population_group"])
    return Sheet(sheet_id, df, cols, "manifest.json: scenario")


def _what_if_sheet(res: RunResults, n: Names) -> Sheet | None:
    """``what_if.csv`` (``run --what-if``): each variant's paired change a year per effect size,
    KPI and group, in display names with the ids beside them."""
    from resurssimalli.report.outcomes_section import variant_label

    w = res.table("what_if.csv")
    if w is None or w.empty:
        return None
    df = pd.DataFrame(
        {
            "what_if_variant": [variant_label(n, c, p) for c, p in zip(w["change"], w["place"], strict=True)],
            "effect_size": [variant_label(n, f"size_{x}", "") for x in w["effect_size"]],
            "kpi": _names_column(w["kpi"], n.kpi),
            "group": _names_column(w["group"], n.group),
            "mean": w["mean"],
            "ci_low": w["ci_low"],
            "ci_high": w["ci_high"],
            "n": w["n"],
            "what_if_change": w["change"].astype(str),
            "place": w["place"].astype(str),
            "kpi_id": w["kpi"].astype(str),
        }
    )
    cols = [XlColumn("what_if_variant"), XlColumn("effect_size"), XlColumn("kpi"), XlColumn("group")]
    cols += [XlColumn(c, "decimal") for c in ("mean", "ci_low", "ci_high")] + [XlColumn("n", "index")]
    cols += [XlColumn("what_if_change"), XlColumn("place"), XlColumn("kpi_id")]
    return Sheet("what_if", df, cols, "what_if.csv")


def _sensitivity_sheet(res: RunResults, n: Names) -> Sheet | None:
    """``sensitivity_indices.csv``: every decision quantity × assumption (issue 29)."""
    from resurssimalli.report.sensitivity import sheet_columns, sheet_frame

    df = sheet_frame(res, n)
    if df is None:
        return None
    cols = [XlColumn(k, kind) for k, kind in sheet_columns(df)]
    return Sheet("sensitivity", df[[c.key for c in cols]], cols, "sensitivity_indices.csv")


def _stress_asks_sheet(res: RunResults, n: Names) -> Sheet | None:
    """``stress_brackets.csv``: per queue × area × line the bracket of hours and HTV, against the
    first plan, and the scenarios and months its upper end fixes (ids kept beside the names)."""
    from resurssimalli.report.stress_tables import queue_label

    b = res.table("stress_brackets.csv")
    if b is None or b.empty:
        return None
    ids = ["stress_queue", "area", "service_line"]
    df = _with_names(
        b.rename(columns={"unit": "stress_queue"}),
        n,
        {"stress_queue": lambda q: queue_label(q, n), "area": n.area, "service_line": n.line},
    )
    cols = [XlColumn("stress_queue"), XlColumn("area"), XlColumn("service_line")]
    cols += [XlColumn(c, "decimal") for c in ("first_hours", "lower_hours", "upper_hours")]
    cols += [XlColumn(c, "htv") for c in ("lower_htv", "upper_htv", "added_lower_htv", "added_upper_htv")]
    cols += [XlColumn("scenarios"), XlColumn("months")]
    return Sheet(
        "stress_asks", df[[c.key for c in cols] + [i + ID_SUFFIX for i in ids]], cols + _id_columns(ids),
        "stress_brackets.csv",
    )  # fmt: skip


def _stress_pairs_sheet(res: RunResults, n: Names) -> Sheet | None:
    """Per area × line what the plan gives when every ask is met (``stress_tables.pair_asks``: a
    pair two asks share counted once) and the asks behind it; its upper ends add up to the total
    the console and memo state."""
    from resurssimalli.report.stress_tables import NUMBERS, pair_asks, unit_labels

    asks = pair_asks(res.table("stress_brackets.csv"))
    if asks.empty:
        return None
    df = asks.rename(columns={"units": "stress_units", **{c: f"plan_{c}" for c in NUMBERS}})
    ids = ["area", "service_line", "stress_units"]
    names = {"area": n.area, "service_line": n.line, "stress_units": lambda u: unit_labels(u, n)}
    df = _with_names(df, n, names)
    cols = [XlColumn(c) for c in ids] + [XlColumn("first_hours", "decimal")]
    cols += [XlColumn(f"plan_{c}", "decimal" if c.endswith("hours") else "htv") for c in NUMBERS]
    return Sheet(
        "stress_pairs", df[[c.key for c in cols] + [i + ID_SUFFIX for i in ids]], cols + _id_columns(ids),
        "stress_brackets.csv",
    )  # fmt: skip


def _stress_causes_sheet(res: RunResults, n: Names) -> Sheet | None:
    """``stress_causes.csv``: the misses twice the hours do not fix, their months and cause."""
    from resurssimalli.report.stress_tables import queue_label

    c = res.table("stress_causes.csv")
    if c is None or c.empty:
        return None
    c = c.assign(cause=[str(n.t(f"stresscause_{x}")) for x in c["cause"]])
    df = _with_names(
        c.rename(columns={"unit": "stress_queue"}),
        n,
        {"stress_queue": lambda q: queue_label(q, n), "scenario": n.scenario, "kpi": n.kpi},
    )
    cols = [XlColumn("stress_queue"), XlColumn("scenario"), XlColumn("kpi"), XlColumn("months")]
    cols += [XlColumn("cause"), XlColumn("first_hours", "decimal"), XlColumn("hours_tried", "decimal")]
    return Sheet(
        "stress_causes", df[[c.key for c in cols] + ["stress_queue" + ID_SUFFIX]],
        cols + _id_columns(["stress_queue"]), "stress_causes.csv",
    )  # fmt: skip


def _roster_sheet(res: RunResults, n: Names) -> Sheet | None:
    """``roster.csv``: the summer-leave plan, week × area (people on leave, substitutes, hours)."""
    r = res.table("roster.csv")
    if r is None or r.empty:
        return None
    df = _with_names(r.assign(week_start=r["week_start"].astype(str)), n, {"area": n.area})
    cols = [XlColumn("week_start"), XlColumn("iso_week", "index"), XlColumn("area"),
            XlColumn("people", "count"), XlColumn("people_on_leave", "count")]  # fmt: skip
    cols += [XlColumn(c, "decimal") for c in ("substitute_hours", "on_duty_hours", "capacity_hours",
                                              "work_hours", "short_hours")]  # fmt: skip
    cols.append(XlColumn("queues_uncovered", "index"))
    frame = df[[c.key for c in cols] + ["area" + ID_SUFFIX]]
    return Sheet("roster", frame, cols + _id_columns(["area"]), "roster.csv")


def _other_sheets(res: RunResults, n: Names, suppression: bool) -> list[Sheet]:
    t = n.t
    sheets = (_what_if_sheet(res, n), _stress_pairs_sheet(res, n), _stress_asks_sheet(res, n))
    sheets += (_stress_causes_sheet(res, n), _roster_sheet(res, n))
    sheets += (_sensitivity_sheet(res, n),)
    out: list[Sheet] = [s for s in sheets if s is not None]
    it = res.table("stress_iterations.csv")
    if it is not None and not it.empty:
        cols = [
            XlColumn(c, "decimal" if pd.api.types.is_numeric_dtype(it[c]) else "text") for c in it.columns
        ]
        out.append(Sheet("stress_iterations", it, cols, "stress_iterations.csv"))
    if res.solver is not None:
        items = [(k, v) for k, v in _flat(res.solver).items()]
        df = pd.DataFrame(
            {
                "item": [k for k, _ in items],
                "value": [v if _is_number(v) else None for _, v in items],
                "text": [None if _is_number(v) else _text(v) for _, v in items],
            }
        )
        out.append(
            Sheet(
                "solver",
                df,
                [XlColumn("item"), XlColumn("value", "decimal"), XlColumn("text")],
                "summary.json",
            )
        )
    out.append(_people_sheet("labour_market", *tables.labour_market_cells(res), n, "ind", suppression))
    out.append(_people_sheet("customers", *tables.customer_cells(res), n, "line", suppression))
    a = assumptions_table(res.scenario)
    values = key_values(res.scenario, list(a["key"]))
    a["value"] = [str(values[k]) if k in PLAIN_KEYS else show_value(n, values[k]) for k in a["key"]]
    if t.lang == "fi":
        fi = finnish_sources()
        a["source"] = [fi.get(k, s) for k, s in zip(a["key"], a["source"], strict=True)]
        a["status"] = [t.name("status", s) for s in a["status"]]
    units = t("units")  # in the workbook's language; a dimensionless value has no unit (an empty cell)
    a["unit"] = [None if str(u) in ("-", "") else units.get(str(u), str(u)) for u in a["unit"]]
    cols = [XlColumn(c) for c in ("key", "value", "unit", "status", "source", "set_in")]
    out.append(Sheet("assumptions", a[[c.key for c in cols]], cols, "data/assumptions.csv"))
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _text(v: Any) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _flat(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def workbook_sheets(res: RunResults, t: Texts, *, suppression: bool = True) -> list[Sheet]:
    """Every data sheet the run has, in workbook order."""
    n = build_names(res, t)
    return [
        *_plan_sheets(res, n, t),
        *_cost_sheets(res, n, t),
        *_kpi_sheets(res, n),
        *_other_sheets(res, n, suppression),
    ]


# ---------------------------------------------------------------------------------------------
# writing


def header(t: Texts, col: XlColumn) -> str:
    """The column's header in the workbook's language, with its unit in brackets."""
    label = t(f"xlcol_{col.key}")
    unit_kind = col.unit_kind or col.kind
    unit = UNITS.get(unit_kind)
    if unit is None:
        return label
    return f"{label} [{t('units').get(unit, unit)}]"


def _cell_format(col: XlColumn, kpi: str | None) -> str | None:
    if col.kind == "kpi":
        return FORMATS["share"] if kpi in SHARE_KPIS else FORMATS["decimal"]
    return FORMATS.get(col.kind)


def _cells(sheet: Sheet) -> list[tuple[Any, ...]]:
    """The sheet's data rows as cell values (text neutralised, months as datetimes, numbers as floats)."""
    frame = sheet.frame
    columns = [_column_cells(frame.iloc[:, j].tolist(), col.kind) for j, col in enumerate(sheet.columns)]
    return list(zip(*columns, strict=True))


def _column_cells(values: list[Any], kind: str) -> list[Any]:
    """One column's cell values; a text column's few distinct values are neutralised once each."""
    done: dict[Any, Any] = {}
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif kind == "text":
            key = str(v)
            cell = done.get(key)
            if cell is None:
                cell = done[key] = neutralise(key)
            out.append(cell)
        elif kind == "month":
            out.append(pd.Timestamp(v).to_pydatetime())
        else:
            out.append(float(v))
    return out


def _write_sheet(ws: Any, sheet: Sheet, t: Texts) -> None:
    """One data sheet, streamed (a write-only worksheet: layout first, then the rows in order)."""
    from resurssimalli.report.sheet_rows import SheetRows

    heads = [header(t, c) for c in sheet.columns]
    rows = _cells(sheet)
    _layout(ws, sheet, [heads, *rows[:199]], len(rows) + 1)
    out = SheetRows(ws)  # as ws.append, the same XML, several times faster
    out.append([_safe(h) for h in heads])
    kpis = sheet.frame[sheet.kpi_column].tolist() if sheet.kpi_column else [None] * len(sheet.frame)
    formats = {k: [_cell_format(col, k) for col in sheet.columns] for k in set(kpis)}
    styles: dict[Any, list[Any]] = {}  # KPI -> the row's formatted cells (None: a plain cell)
    made: dict[tuple[int, str], Any] = {}
    for values, kpi in zip(rows, kpis, strict=True):
        style = styles.get(kpi)
        if style is None:
            style = styles[kpi] = _styles(ws, values, formats[kpi], made)
        out.append(values, style)  # text was neutralised in _cells: no formula cell
    out.close()


def _styles(ws: Any, values: tuple[Any, ...], formats: list[str | None], made: dict) -> list[Any]:
    """A formatted cell per column and format, shared by every row (a streamed row is written
    out when appended: no 10^5 cells, no format registered per cell); made with the first row's
    value, as each cell once was, so that styles.xml stays the same."""
    from openpyxl.cell import WriteOnlyCell

    style = []
    for j, (v, fmt) in enumerate(zip(values, formats, strict=True)):
        cell = made.get((j, fmt)) if fmt else None
        if fmt and cell is None:
            cell = made[(j, fmt)] = WriteOnlyCell(ws, value=_safe(v))
            cell.number_format = fmt
        style.append(cell)
    return style


def _safe(v: Any) -> Any:
    """No formula cell, whatever the text: openpyxl writes a string starting with "=" as a formula."""
    return neutralise(v) if isinstance(v, str) and v.startswith("=") else v


def _layout(ws: Any, sheet: Sheet, first_rows: list[list[Any]], n_rows: int) -> None:
    """Column widths (from the first 200 rows), frozen header and the Excel Table with its filter."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    n_cols = len(sheet.columns)
    for j in range(n_cols):
        width = max(len(str(r[j])) if r[j] is not None else 0 for r in first_rows)
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"
    ref = f"A1:{get_column_letter(n_cols)}{max(n_rows, 2)}"
    table = Table(displayName=f"t_{sheet.id}", ref=ref, autoFilter=AutoFilter(ref=ref))
    # a streamed sheet cannot be read back: the Table's column names are the header cells' text
    table.tableColumns = [TableColumn(id=j + 1, name=str(_safe(h))) for j, h in enumerate(first_rows[0])]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():  # openpyxl reminds of what the line above the style does
        warnings.filterwarnings("ignore", message="In write-only mode you must add table columns manually")
        ws.add_table(table)


def _readme(ws: Any, sheets: list[Sheet], t: Texts, suppression: bool) -> None:
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 26
    rows = [
        [t("xl_readme_title")],
        [t("xl_units" if suppression else "xl_units_nosup", limit=SMALL_CELL_LIMIT)],
        [],
        [t("xl_sheet"), t("xl_holds"), t("xl_source")],
        *([t(f"xlsheet_{s.id}"), t(f"xl_{s.id}"), s.source] for s in sheets),
        [t("xlsheet_dictionary"), t("xl_dictionary"), ""],
    ]
    for row in rows:
        ws.append([_safe(v) for v in row])


def dictionary(sheets: list[Sheet], t: Texts) -> Sheet:
    """Every column of every data sheet: sheet, column header, what it holds, unit."""
    rows = []
    for s in sheets:
        for c in s.columns:
            unit = UNITS.get(c.unit_kind or c.kind)
            desc_key = f"xldesc_{c.key}"
            rows.append(
                (t(f"xlsheet_{s.id}"), header(t, c), t(desc_key), t("units").get(unit, unit) if unit else "")
            )
    df = pd.DataFrame(rows, columns=["sheet", "column", "description", "unit"])
    return Sheet("dictionary", df, [XlColumn(c) for c in df.columns], "")


def write_results_workbook(res: RunResults, path: Path, t: Texts, *, suppression: bool = True) -> None:
    """Write ``results.xlsx``: README, one Excel Table per data sheet, the data dictionary."""
    from openpyxl import Workbook

    sheets = workbook_sheets(res, t, suppression=suppression)
    book = Workbook(write_only=True)  # streamed: a 15,000-row KPI sheet costs no cell objects
    _readme(book.create_sheet(t("xlsheet_readme")), sheets, t, suppression)
    for s in [*sheets, dictionary(sheets, t)]:
        _write_sheet(book.create_sheet(t(f"xlsheet_{s.id}")), s, t)
    _save(book, path)


def _save(book: Any, path: Path) -> None:
    """``book.save(path)`` as openpyxl saves it, but deflated at level :data:`ZIP_LEVEL`: the same
    parts, byte for byte, in a file ~13 % larger, ~0.07 CPU-s sooner (of ~0.6 s for a 30-replication
    run's workbook: openpyxl deflates its ~12 MB of XML at zlib's default level, 6)."""
    import datetime as dt
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
    book.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    ExcelWriter(book, archive).save()  # closes the archive


def write_workbook_file(path: Path, lang: str, suppression: bool, res: RunResults) -> Path:
    """``results.xlsx`` of the run ``res`` at ``path``, in ``lang``, written atomically (a module-level
    function with picklable arguments: another process can write it, ``report.write``)."""
    t = Texts(lang)
    return atomic_write(
        Path(path), lambda tmp: write_results_workbook(res, tmp, t, suppression=suppression), replace=True
    )
