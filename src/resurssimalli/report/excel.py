"""``results.xlsx``: one sheet per result table with units in the headers and a README sheet first.

Result tables are copied as they are in the run folder (a header ``htv [HTV]`` is the column
``htv``); the people-count tables (labour market and customers by municipality x group) are
rounded to persons with small cells suppressed ("…") and exact totals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.assumptions import assumptions_table
from resurssimalli.report.results import RunResults
from resurssimalli.report.suppression import people_table
from resurssimalli.report.texts import Texts
from resurssimalli.safety import defuse_workbook, neutralise_frame

UNITS = {
    "htv": "HTV",
    "eur": "EUR/year",
    "cost_eur": "EUR/year",
    "objective": "EUR/year",
    "minutes": "min",
    "max_minutes": "min",
    "mean_minutes": "min",
    "km": "km",
    "share": "0-1",
    "workstations": "count",
    "workstations_used": "count",
    "n": "replications",
    "replication": "index",
    "mean": "KPI unit",
    "ci_low": "KPI unit",
    "ci_high": "KPI unit",
    "baseline_mean": "KPI unit",
    "scenario_mean": "KPI unit",
    "diff_mean": "KPI unit",
    "diff_ci_low": "KPI unit",
    "diff_ci_high": "KPI unit",
}
# sheet name -> run-folder file it copies
RESULT_SHEETS = {
    "allocation": "allocation.csv",
    "sites": "sites.csv",
    "access": "access.csv",
    "costs": "costs.csv",
    "kpi_summary": "summary.csv",
    "comparison": "comparison.csv",
    "pareto": "pareto.csv",
    "stress_iterations": "stress_iterations.csv",
}
PEOPLE_UNIT = "persons"


def header(col: str, unit: str | None = None) -> str:
    """A column header with its unit in brackets, e.g. ``htv [HTV]``."""
    unit = unit or UNITS.get(col)
    return f"{col} [{unit}]" if unit else col


def column_of(head: str) -> str:
    """The column name of a header written by :func:`header`."""
    return head.split(" [", 1)[0]


def _flat(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def workbook_sheets(
    res: RunResults, t: Texts, *, suppression: bool = True
) -> dict[str, tuple[pd.DataFrame, str]]:
    """Sheet name -> (table with unit headers, source) for every table the run has."""
    out: dict[str, tuple[pd.DataFrame, str]] = {}
    for sheet, file in RESULT_SHEETS.items():
        df = res.table(file)
        if df is not None:
            out[sheet] = (df.rename(columns={c: header(c) for c in df.columns}), file)
    if res.solver is not None:
        items = [
            (k, v if v is None or isinstance(v, int | float | str) else json.dumps(v, ensure_ascii=False))
            for k, v in _flat(res.solver).items()
        ]
        out["solver"] = (pd.DataFrame(items, columns=["item", "value"]), "summary.json")
    for sheet, (cells, totals) in {
        "labour_market": tables.labour_market_cells(res),
        "customers": tables.customer_cells(res),
    }.items():
        ppl = people_table(cells, totals, suppression=suppression)
        ppl.index.name = "municipality"
        ppl = ppl.reset_index().rename(columns={c: header(c, PEOPLE_UNIT) for c in ppl.columns})
        out[sheet] = (ppl, "manifest.json: scenario")
    out["assumptions"] = (assumptions_table(res.scenario), "data/assumptions.csv")
    return out


def write_results_workbook(res: RunResults, path: Path, t: Texts, *, suppression: bool = True) -> None:
    """Write ``results.xlsx`` (README first) to ``path``."""
    sheets = workbook_sheets(res, t, suppression=suppression)
    readme = pd.DataFrame(
        [(name, t(f"xl_{name}"), source) for name, (_, source) in sheets.items()],
        columns=[t("xl_sheet"), t("xl_holds"), t("xl_source")],
    )
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({t("xl_readme_title"): [t("xl_units" if suppression else "xl_units_nosup")]}).to_excel(
            xw, sheet_name="README", index=False
        )
        neutralise_frame(readme).to_excel(xw, sheet_name="README", index=False, startrow=3)
        for name, (df, _) in sheets.items():
            neutralise_frame(df).to_excel(xw, sheet_name=name, index=False)
        defuse_workbook(xw.book)
        for ws in xw.book.worksheets:
            if ws.title != "README":
                ws.freeze_panes = "A2"
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(9, width + 2), 60)
