"""The memo's appendices: stress-test details, paired comparisons, customers, assumptions,
limits of the model and provenance."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.assumptions import key_values, load_sources
from resurssimalli.report.memo.body import not_computed
from resurssimalli.report.memo.document import Block, Bullets, Column, Para, Section, Table
from resurssimalli.report.memo.facts import (
    Facts,
    kpi_ci,
    kpi_diff,
    kpi_diff_ci,
    kpi_value,
    target_text,
    verdict_text,
)
from resurssimalli.report.memo.values import show_value
from resurssimalli.report.pack_notes import pack_rows
from resurssimalli.report.suppression import SMALL_CELL_LIMIT, people_table
from resurssimalli.report.texts import SUPPRESSED

PLAIN_KEYS = ("seed",)  # identifiers shown as written (no thousands separators)


def stress_details(f: Facts) -> Section | None:
    """Every scenario x target with its mean, 95 % CI, replications and verdict."""
    t, n, st = f.t, f.names, f.stress
    if st is None or st.empty:
        return None
    rows = [
        [
            n.scenario(r.scenario),
            n.kpi(r.kpi),
            n.group(r.group),
            target_text(t, r.op, r.kpi, r.target),
            kpi_value(t, r.kpi, r.horizon_mean),
            kpi_ci(t, r.kpi, r.horizon_ci_low, r.horizon_ci_high),
            t.num(r.n, 0),
            verdict_text(t, r),
        ]
        for r in st.itertuples()
    ]
    cols = [Column(t(k)) for k in ("col_scenario", "col_kpi", "col_group", "col_target")]
    cols += [Column(t(k), True) for k in ("col_mean", "col_ci", "col_reps")] + [Column(t("col_verdict"))]
    table = Table("stress", t("stress_table"), tuple(cols), rows)
    return Section("stress_details", t("sec_stress_details"), [Para(t("stress_verdict_rule")), table])


def comparison(f: Facts) -> Section | None:
    """Paired differences of every KPI against the baseline (whole area)."""
    t, n, comp = f.t, f.names, f.comparison
    if comp is None:
        return Section("comparison", t("sec_comparison"), [not_computed(f, ["comparison.csv"])])
    if comp.empty:
        return None
    rows = [
        [
            n.scenario(r.scenario),
            n.kpi(r.kpi),
            kpi_value(t, r.kpi, r.baseline_mean),
            kpi_value(t, r.kpi, r.scenario_mean),
            kpi_diff(t, r.kpi, r.diff_mean),
            kpi_diff_ci(t, r.kpi, r.diff_ci_low, r.diff_ci_high),
            t.num(r.n, 0),
        ]
        for r in comp.itertuples()
    ]
    cols = [Column(t("col_scenario")), Column(t("col_kpi"))]
    cols += [Column(t(k), True) for k in ("col_baseline", "col_value", "col_diff", "col_ci", "col_reps")]
    table = Table("comparison", t("compare_table"), tuple(cols), rows)
    return Section("comparison", t("sec_comparison"), [Para(t("compare_text")), table])


def _people_rows(f: Facts, table: pd.DataFrame) -> list[list[str]]:
    t, n = f.t, f.names
    return [
        [n.municipality(m), *[v if v == SUPPRESSED else t.num(v, 0) for v in table.loc[m]]]
        for m in table.index
    ]


def _people_table(f: Facts, id_: str, caption: str, cells: tuple, prefix: str) -> Table:
    ppl = people_table(*cells, suppression=f.suppression)
    cols = (Column(f.t("col_municipality")), *[Column(f.t.name(prefix, c), True) for c in ppl.columns])
    return Table(id_, caption, cols, _people_rows(f, ppl), total_row=True)


def customers(f: Facts) -> Section:
    """The labour-market table and the customers by service need, small cells suppressed."""
    t = f.t
    period = t.month(f.scenario.config.demand.stock_period)
    key = "customers_text" if f.suppression else "customers_text_nosup"
    blocks: list[Block] = [
        Para(t(key, period=period, limit=SMALL_CELL_LIMIT)),
        _people_table(f, "labour_market", t("customers_lm_table"), tables.labour_market_cells(f.res), "ind"),
        _people_table(f, "customers", t("customers_mix_table"), tables.customer_cells(f.res), "line"),
    ]
    return Section("customers", t("sec_customers"), blocks)


def finnish_sources(column: str = "source_fi") -> dict[str, str]:
    """Finnish texts of the assumptions table's sources (``report/assumptions_fi.csv``; the
    ranges' with ``column="range_source_fi"``)."""
    path = resources.files("resurssimalli.report") / "assumptions_fi.csv"
    with path.open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, comment="#")
    return dict(zip(df["key"], df[column], strict=True))


def assumptions(f: Facts) -> Section:
    """Every scenario parameter: key, value, unit, status and source, in the memo's language."""
    from resurssimalli.report.sensitivity import range_cell

    t, n = f.t, f.names
    src = load_sources()
    values = key_values(f.scenario, list(src["key"]))
    sources = finnish_sources() if t.lang == "fi" else dict(zip(src["key"], src["source"], strict=True))
    units = t("units")
    rows = [
        [
            f"`{r.key}`",
            str(values[r.key]) if r.key in PLAIN_KEYS else show_value(n, values[r.key]),
            units.get(str(r.unit), str(r.unit)),
            t.name("status", str(r.status)),
            sources.get(r.key, t("source_missing")),
            range_cell(r, values[r.key], t),
        ]
        for r in src.itertuples()
    ]
    rows += [  # a region pack's defaults and estimates (region.csv): not varied
        [f"`{key}`", value, unit, t.name("status", status), source, ""]
        for key, value, unit, status, source in pack_rows(f.scenario.region, t.lang)
    ]
    keys = ("col_key", "col_value", "col_unit", "col_status", "col_source", "col_range")
    cols = tuple(Column(t(k)) for k in keys)
    table = Table("assumptions", t("sec_assumptions"), cols, rows)
    return Section("assumptions", t("sec_assumptions"), [Para(t("assumptions_text")), table])


def limits(f: Facts) -> Section:
    from resurssimalli.report.sensitivity import limits_note

    return Section("limits", f.t("sec_limits"), [Bullets([*f.t("limits"), *limits_note(f.res, f.t)])])


def provenance(f: Facts) -> Section:
    """Scenario file, hash, extends chain, overrides, seed, commit, versions and run folder."""
    t, m = f.t, f.res.manifest
    sc = m.get("scenario", {})
    overrides = [f"`{o['key']}={o['new']}`" for o in sc.get("overrides", []) if o.get("source") == "--set"]
    versions = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
    started = str(m.get("started_utc", ""))
    rows = [
        [t("prov_scenario"), f.names.scenario(str(sc.get("name", "")))],
        [t("prov_description"), f.scenario.config.describe(t.lang)],
        [t("prov_file"), f"`{sc.get('file', '')}`"],
        [t("prov_hash"), f"`{sc.get('hash_sha256', '')}`"],
        [t("prov_chain"), " → ".join(f"`{Path(c).name}`" for c in sc.get("extends_chain", []))],
        [t("prov_overrides"), "; ".join(overrides) or t("none")],
        [t("prov_seed"), str(m.get("seed", ""))],
        [t("prov_commit"), f"`{m.get('git_commit', '')}`"],
        [t("prov_versions"), versions],
        [
            t("prov_run"),
            f"`{m.get('run_folder', '')}` ({t.date(started) if started else ''} {started[11:16]} UTC)",
        ],
    ]
    blocks: list[Block] = [Para(t("prov_rebuilt"))] if f.res.scenario_rebuilt else []
    cols = (Column(t("col_item")), Column(t("col_value")))
    blocks.append(Table("provenance", t("sec_provenance"), cols, rows))
    return Section("provenance", t("sec_provenance"), blocks)
