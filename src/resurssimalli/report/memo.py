"""The decision memo: a language-neutral document built from a run, rendered by jinja2 templates.

:func:`build_memo` turns a :class:`RunResults` into sections of paragraphs, lists, tables and
figures, with every text from the fi/en table and every number formatted for the language.
:func:`render_markdown` and :func:`render_html` render the same document with the templates
in ``report/templates``; :func:`render_pdf` prints the HTML with WeasyPrint. Each table is
preceded in Markdown by ``<!-- table: ID -->`` (and carries ``id="ID"`` in HTML) so that tests
and tools can read the numbers back.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.assumptions import assumptions_table
from resurssimalli.report.calibration_appendix import calibration_section
from resurssimalli.report.outcomes_section import outcomes_section
from resurssimalli.report.results import RunResults
from resurssimalli.report.suppression import SMALL_CELL_LIMIT, hidden_within, people_table
from resurssimalli.report.texts import MISSING, SUPPRESSED, Texts
from resurssimalli.safety import md_text

SHARE_KPIS = (
    "initial_interview_on_time_share",
    "spells_past_3_months_share",
    "staff_utilisation",
    "conversations_on_time_share",
)


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    kind: str = "table"


@dataclass(frozen=True)
class Figure:
    key: str
    file: str
    caption: str
    kind: str = "figure"


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "p"


@dataclass(frozen=True)
class Bullets:
    items: list[str]
    kind: str = "list"


Block = Table | Figure | Para | Bullets


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Memo:
    lang: str
    title: str
    subtitle: str
    byline: str
    summary_title: str
    summary: list[str]
    sections: list[Section]

    def tables(self) -> dict[str, Table]:
        return {b.id: b for s in self.sections for b in s.blocks if isinstance(b, Table)}

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


# ---------------------------------------------------------------------------------------------
# formatting helpers


def kpi_value(t: Texts, kpi: str, x: float) -> str:
    """A KPI value: shares as percentages, the rest with one decimal."""
    return t.pct(x, 1) if kpi in SHARE_KPIS else t.num(x, 1)


def kpi_diff(t: Texts, kpi: str, x: float) -> str:
    """A difference of KPI values: percentage points for shares, else one decimal."""
    return f"{t.num(100.0 * x, 1)}\u00a0{t('unit_pp')}" if kpi in SHARE_KPIS else t.num(x, 1)


def kpi_diff_ci(t: Texts, kpi: str, low: float, high: float) -> str:
    if kpi in SHARE_KPIS:
        sep = "; " if t.lang == "fi" else ", "
        return f"[{kpi_diff(t, kpi, low)}{sep}{kpi_diff(t, kpi, high)}]"
    return t.ci(low, high, 1)


def kpi_ci(t: Texts, kpi: str, low: float, high: float) -> str:
    if kpi in SHARE_KPIS:
        sep = "; " if t.lang == "fi" else ", "
        return f"[{t.pct(low, 1)}{sep}{t.pct(high, 1)}]"
    return t.ci(low, high, 1)


def verdict_text(t: Texts, r: Any) -> str:
    """``fails in July 2024: 59.3%, CI [56.9%, 61.8%]``: the verdict, the months it names and the
    worst month's value (``r``: a row of :func:`resurssimalli.report.tables.stress`)."""
    word = t(f"verdict_{r.verdict}")
    if r.judge == "horizon":
        return word
    worst = str(r.period).removeprefix("worst ")
    value = t(
        "verdict_worst",
        month=t.month(worst),
        value=kpi_value(t, r.kpi, r.mean),
        ci=kpi_ci(t, r.kpi, r.ci_low, r.ci_high),
    )
    months = str((r.failing_months if r.verdict == "fails" else r.at_risk_months) or "").split()
    if months == [worst]:
        return t("verdict_in_months", verdict=word, months=value)
    if not months:
        return f"{word} {t('verdict_every_month')}; {t('verdict_worst_label')} {value}"
    names = ", ".join(t.month(m) for m in months)
    return f"{t('verdict_in_months', verdict=word, months=names)}; {t('verdict_worst_label')} {value}"


def _target(t: Texts, op: str, kpi: str, value: float) -> str:
    return f"{'≥' if op == '>=' else '≤'} {kpi_value(t, kpi, value)}"


def _not_computed(t: Texts, files: list[str]) -> Para:
    return Para(t("not_computed", files=", ".join(files)))


def _group(t: Texts, res: RunResults, g: str) -> str:
    region = res.scenario.region
    if g == "all":
        return t("group_all")
    if g in region.municipalities:
        return region.municipalities[g].name
    if g.startswith("area:"):
        return _area(res, t, g.removeprefix("area:"))
    return t.name("line", g)


def _area(res: RunResults, t: Texts, a: str) -> str:
    if a == tables.TOTAL:
        return t("col_total")
    if a == "all":
        return t("group_all")
    areas = res.scenario.region.areas
    return areas[a].name if a in areas else a


def _muni(res: RunResults, m: str) -> str:
    if m == tables.TOTAL:
        return m
    ms = res.scenario.region.municipalities
    return ms[m].name if m in ms else m


# ---------------------------------------------------------------------------------------------
# sections


def _plan(res: RunResults, t: Texts, figs: Mapping[str, str]) -> Section:
    blocks: list[Block] = []
    if res.solver is not None:
        s = res.solver
        gap = s.get("gap")
        blocks.append(
            Para(
                t(
                    "solver_status",
                    status=s.get("status"),
                    objective=t.num(s.get("objective"), 0),
                    gap=t.pct(gap, 2) if isinstance(gap, int | float) else MISSING,
                )
            )
        )
        unserved = s.get("unserved_hours_total", s.get("unserved"))
        if isinstance(unserved, Mapping):
            unserved = sum(
                v for d in unserved.values() for v in (d.values() if isinstance(d, Mapping) else [d])
            )
        if isinstance(unserved, int | float) and unserved > 1e-6:
            blocks.append(Para(t("unserved_warning", hours=t.num(unserved, 0))))
    sites = tables.open_sites(res, t.lang)
    if sites is None:
        blocks.append(_not_computed(t, ["sites.csv"]))
    else:
        rows = [
            [
                _muni(res, r.municipality),
                r.name,
                t.name("kind", r.kind),
                t.num(r.htv, 1),
                t.num(r.workstations, 0),
                t.num(r.workstations_used, 0),
            ]
            for r in sites.itertuples()
        ]
        header = [
            "col_municipality",
            "col_site",
            "col_kind",
            "col_htv",
            "col_workstations",
            "col_workstations_used",
        ]
        blocks.append(Table("sites", t("plan_sites"), [t(h) for h in header], rows, [False] * 3 + [True] * 3))
    htv = tables.htv_by_area_line(res)
    if htv is None:
        blocks.append(_not_computed(t, ["allocation.csv"]))
    else:
        header = [t("col_area")] + [
            t("col_total") if c == tables.TOTAL else t.name("line", c) for c in htv.columns
        ]
        rows = [[_area(res, t, a), *[t.num(v, 1) for v in htv.loc[a]]] for a in htv.index]
        blocks.append(Table("htv", t("plan_htv"), header, rows, [False] + [True] * len(htv.columns)))
        if "htv" in figs:
            blocks.append(Figure("htv", figs["htv"], t("fig_htv")))
    costs = tables.cost_by_municipality(res)
    if costs is None:
        blocks.append(_not_computed(t, ["costs.csv"]))
    else:
        header = [t("col_municipality")] + [
            t("col_total") if c == tables.TOTAL else t.name("cost", c) for c in costs.columns
        ]
        rows = [
            [t("col_total") if m == tables.TOTAL else _muni(res, m), *[t.num(v, 0) for v in costs.loc[m]]]
            for m in costs.index
        ]
        blocks.append(Table("costs", t("plan_costs"), header, rows, [False] + [True] * len(costs.columns)))
    central = tables.central_cost(res)
    if central is not None:
        key = res.scenario.config.costs.central_cost_key
        blocks.append(Para(t("plan_central_text")))
        rows = [
            [
                t("col_total") if r.municipality == tables.TOTAL else _muni(res, r.municipality),
                t.pct(r.share, 1),
                t.num(r.eur, 0),
            ]
            for r in central.itertuples()
        ]
        blocks.append(
            Table(
                "central",
                t("plan_central", key=t.name("key", key)),
                [t("col_municipality"), t("col_share"), t("col_eur")],
                rows,
                [False, True, True],
            )
        )
    return Section("plan", t("sec_plan"), blocks)


def _village_counts(by_point: pd.DataFrame, t: Texts, suppression: bool) -> dict[str, str]:
    """Customers per demand point as shown: small counts (and the cells that would give them
    away against the municipality's count) as "…" when suppressing."""
    counts = by_point.set_index("demand_point")["customers"]
    hide = (
        hidden_within(counts, by_point.set_index("demand_point")["municipality"])
        if suppression
        else counts.isna()
    )
    return {p: SUPPRESSED if hide[p] else t.num(v, 0) for p, v in counts.items()}


def _access(res: RunResults, t: Texts, figs: Mapping[str, str], suppression: bool = True) -> Section:
    blocks: list[Block] = []
    summ = tables.access_summary(res)
    by_point = tables.access_by_point(res)
    if summ is None or by_point is None:
        blocks.append(_not_computed(t, ["access.csv"]))
    else:
        region = res.scenario.region
        blocks.append(
            Para(
                t(
                    "access_text",
                    within=t.pct(summ.within_share, 1),
                    limit=t.num(summ.limit, 0),
                    mean=t.num(summ.mean_minutes, 1),
                    longest=t.num(summ.longest_minutes, 1),
                    longest_point=region.demand_points[summ.longest_point].name
                    if summ.longest_point in region.demand_points
                    else summ.longest_point,
                    longest_site=region.sites[summ.longest_site].label(t.lang)
                    if summ.longest_site in region.sites
                    else summ.longest_site,
                )
            )
        )
        shown = _village_counts(by_point, t, suppression)
        rows = [
            [
                r.name,
                _muni(res, r.municipality),
                region.sites[r.site].label(t.lang) if r.site in region.sites else r.site,
                shown[r.demand_point],
                t.num(r.mean_minutes, 1),
                t.num(r.max_minutes, 1),
                t.pct(r.within_share, 0),
            ]
            for r in by_point.itertuples()
        ]
        header = [
            "col_demand_point",
            "col_municipality",
            "col_site",
            "col_customers",
            "col_mean_minutes",
            "col_max_minutes",
            "col_within",
        ]
        blocks.append(
            Table("access", t("access_table"), [t(h) for h in header], rows, [False] * 3 + [True] * 4)
        )
    if "map" in figs:
        blocks.append(Figure("map", figs["map"], t("fig_map")))
    return Section("access", t("sec_access"), blocks)


def _stress(res: RunResults, t: Texts, figs: Mapping[str, str]) -> Section:
    blocks: list[Block] = []
    st = tables.stress(res)
    if st is None:
        blocks.append(_not_computed(t, ["summary.csv", "kpis.parquet"]))
    else:
        blocks.append(Para(t("stress_text")))
        if not res.scenario.config.targets:
            blocks.append(Para(t("stress_no_targets")))
        rows = [
            [
                str(r.scenario),
                t.name("kpi", r.kpi),
                _group(t, res, r.group),
                _target(t, r.op, r.kpi, r.target),
                kpi_value(t, r.kpi, r.horizon_mean),
                kpi_ci(t, r.kpi, r.horizon_ci_low, r.horizon_ci_high),
                t.num(r.n, 0),
                verdict_text(t, r),
            ]
            for r in st.itertuples()
        ]
        header = [
            "col_scenario",
            "col_kpi",
            "col_group",
            "col_target",
            "col_mean",
            "col_ci",
            "col_reps",
            "col_verdict",
        ]
        blocks.append(
            Table(
                "stress", t("stress_table"), [t(h) for h in header], rows, [False] * 4 + [True] * 3 + [False]
            )
        )
    comp = tables.comparison_all(res)
    if comp is None:
        blocks.append(_not_computed(t, ["comparison.csv"]))
    elif not comp.empty:
        blocks.append(Para(t("compare_text")))
        rows = [
            [
                str(r.scenario),
                t.name("kpi", r.kpi),
                kpi_value(t, r.kpi, r.baseline_mean),
                kpi_value(t, r.kpi, r.scenario_mean),
                kpi_diff(t, r.kpi, r.diff_mean),
                kpi_diff_ci(t, r.kpi, r.diff_ci_low, r.diff_ci_high),
                t.num(r.n, 0),
            ]
            for r in comp.itertuples()
        ]
        header = ["col_scenario", "col_kpi", "col_baseline", "col_value", "col_diff", "col_ci", "col_reps"]
        blocks.append(
            Table("comparison", t("compare_table"), [t(h) for h in header], rows, [False] * 2 + [True] * 5)
        )
    if "kpis" in figs:
        blocks.append(Figure("kpis", figs["kpis"], t("fig_kpis")))
    return Section("stress", t("sec_stress"), blocks)


def _front(res: RunResults, t: Texts, figs: Mapping[str, str]) -> Section:
    blocks: list[Block] = []
    p = res.table("pareto.csv")
    if p is None:
        blocks.append(_not_computed(t, ["pareto.csv"]))
    else:
        blocks.append(Para(t("front_text")))
        rows = [
            [str(r.point), t.num(r.cost_eur, 0), t.num(r.max_minutes, 1), t.num(r.mean_minutes, 1)]
            for r in p.itertuples()
        ]
        header = [t("col_point"), t("col_cost"), t("col_max_minutes"), t("col_mean_minutes")]
        blocks.append(Table("pareto", t("front_table"), header, rows, [False, True, True, True]))
        if "pareto" in figs:
            blocks.append(Figure("pareto", figs["pareto"], t("fig_pareto")))
    mv = tables.marginal_htv(res)
    if mv is None:
        blocks.append(_not_computed(t, ["summary.json: shadow_price_htv"]))
    else:
        blocks.append(Para(t("marginal_text")))
        rows = [[_area(res, t, r.area), t.num(r.eur_per_htv, 0)] for r in mv.itertuples()]
        blocks.append(
            Table("marginal", t("marginal_table"), [t("col_area"), t("col_eur")], rows, [False, True])
        )
    return Section("front", t("sec_front"), blocks)


def people_rows(res: RunResults, table: pd.DataFrame, t: Texts) -> list[list[str]]:
    out = []
    for m in table.index:
        label = t("col_total") if m == tables.TOTAL else _muni(res, m)
        out.append([label, *[v if v == SUPPRESSED else t.num(v, 0) for v in table.loc[m]]])
    return out


def _customers(res: RunResults, t: Texts, suppression: bool) -> Section:
    period = res.scenario.config.demand.stock_period
    key = "customers_text" if suppression else "customers_text_nosup"
    blocks: list[Block] = [Para(t(key, period=period, limit=SMALL_CELL_LIMIT))]
    cells, totals = tables.labour_market_cells(res)
    lm = people_table(cells, totals, suppression=suppression)
    header = [t("col_municipality"), *[t.name("ind", c) for c in lm.columns]]
    blocks.append(
        Table(
            "labour_market",
            t("customers_lm_table"),
            header,
            people_rows(res, lm, t),
            [False] + [True] * len(lm.columns),
        )
    )
    cells, totals = tables.customer_cells(res)
    mix = people_table(cells, totals, suppression=suppression)
    header = [t("col_municipality"), *[t.name("line", c) for c in mix.columns]]
    blocks.append(
        Table(
            "customers",
            t("customers_mix_table"),
            header,
            people_rows(res, mix, t),
            [False] + [True] * len(mix.columns),
        )
    )
    return Section("customers", t("sec_customers"), blocks)


def _assumptions(res: RunResults, t: Texts) -> Section:
    a = assumptions_table(res.scenario)
    rows = [
        [r.key, str(r.value), str(r.unit), t.name("status", str(r.status)), str(r.source)]
        for r in a.itertuples()
    ]
    header = [t("col_key"), t("col_value"), t("col_unit"), t("col_status"), t("col_source")]
    return Section(
        "assumptions",
        t("sec_assumptions"),
        [Para(t("assumptions_text")), Table("assumptions", t("sec_assumptions"), header, rows, [False] * 5)],
    )


def _provenance(res: RunResults, t: Texts) -> Section:
    m = res.manifest
    sc = m.get("scenario", {})
    overrides = [f"{o['key']}={o['new']}" for o in sc.get("overrides", []) if o.get("source") == "--set"]
    versions = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
    rows = [
        [t("prov_scenario"), str(sc.get("name", ""))],
        [t("prov_file"), str(sc.get("file", ""))],
        [t("prov_hash"), str(sc.get("hash_sha256", ""))],
        [t("prov_chain"), " → ".join(Path(c).name for c in sc.get("extends_chain", []))],
        [t("prov_overrides"), "; ".join(overrides) or t("none")],
        [t("prov_seed"), str(m.get("seed", ""))],
        [t("prov_commit"), str(m.get("git_commit", ""))],
        [t("prov_versions"), versions],
        [t("prov_run"), f"{m.get('run_folder', '')} ({m.get('started_utc', '')})"],
    ]
    blocks: list[Block] = []
    if res.scenario_rebuilt:
        blocks.append(Para(t("prov_rebuilt")))
    blocks.append(
        Table("provenance", t("sec_provenance"), [t("col_item"), t("col_value")], rows, [False, False])
    )
    return Section("provenance", t("sec_provenance"), blocks)


def _summary(res: RunResults, t: Texts) -> list[str]:
    s = res.scenario
    region = s.region
    lines = [
        t(
            "line_question",
            htv=t.num(s.config.staff.total_htv, 2),
            n_munis=len(region.municipalities),
            n_areas=len(region.areas),
            scenario=s.name,
        )
    ]
    sites = tables.open_sites(res, t.lang)
    if sites is None:
        lines.append(t("line_no_plan"))
    else:
        counts = tables.site_counts(res) or {}
        offices = ", ".join(sites.loc[sites["kind"] == "office", "name"]) or t("none")
        lines.append(
            t(
                "line_sites",
                n_offices=counts.get("office", 0),
                offices=offices,
                n_points=counts.get("service_point", 0),
                n_popups=counts.get("popup", 0),
            )
        )
    htv, costs = tables.htv_by_area_line(res), tables.cost_by_municipality(res)
    if htv is None:
        lines.append(t("line_no_htv"))
    else:
        by_area = htv[tables.TOTAL].drop(tables.TOTAL)
        total_cost = costs.loc[tables.TOTAL, tables.TOTAL] if costs is not None else float("nan")
        lines.append(
            t(
                "line_htv",
                htv=t.num(htv.loc[tables.TOTAL, tables.TOTAL], 2),
                top_area=_area(res, t, str(by_area.idxmax())),
                top_htv=t.num(by_area.max(), 1),
                cost=t.num(total_cost, 0),
            )
        )
    acc = tables.access_summary(res)
    if acc is None:
        lines.append(t("line_no_access"))
    else:
        point = (
            region.demand_points[acc.longest_point].name
            if acc.longest_point in region.demand_points
            else acc.longest_point
        )
        lines.append(
            t(
                "line_access",
                within=t.pct(acc.within_share, 1),
                limit=t.num(acc.limit, 0),
                longest=t.num(acc.longest_minutes, 1),
                longest_point=point,
            )
        )
    st = tables.stress(res)
    if st is None:
        lines.append(t("line_no_stress"))
    else:
        v = st["verdict"].value_counts()
        lines.append(
            t(
                "line_stress",
                meets=int(v.get("meets", 0)),
                at_risk=int(v.get("at_risk", 0)),
                fails=int(v.get("fails", 0)),
                n_scen=st["scenario"].nunique(),
            )
        )
    return lines


def build_memo(
    res: RunResults, t: Texts, figures: Mapping[str, str] | None = None, *, suppression: bool = True
) -> Memo:
    """The memo as a document; ``figures`` maps figure key -> file name in the run folder."""
    figs = dict(figures or {})
    s = res.scenario
    limits = Section("limits", t("sec_limits"), [Bullets(list(t("limits")))])
    return Memo(
        lang=t.lang,
        title=t("title"),
        subtitle=t("subtitle", scenario=s.name, description=s.config.describe(t.lang)),
        byline=t(
            "for_board",
            version=res.manifest.get("versions", {}).get("resurssimalli", "?"),
            date=str(res.manifest.get("started_utc", ""))[:10],
        ),
        summary_title=t("sec_summary"),
        summary=_summary(res, t),
        sections=[
            _plan(res, t, figs),
            _access(res, t, figs, suppression),
            _stress(res, t, figs),
            *filter(None, [outcomes_section(res, t)]),
            _front(res, t, figs),
            _customers(res, t, suppression),
            _assumptions(res, t),
            *filter(None, [calibration_section(res, t, suppression)]),
            limits,
            _provenance(res, t),
        ],
    )


# ---------------------------------------------------------------------------------------------
# rendering

class _MdSafe(str):
    """Markdown text that is already escaped (the md template's ``finalize`` leaves it alone)."""


def _md_finalize(value: object) -> str:
    return value if isinstance(value, _MdSafe) else md_text(value)


def _env(finalize: object = None) -> jinja2.Environment:
    """Templates with autoescape on for every name (``select_autoescape`` misses ``.j2``)."""
    kw = {"finalize": finalize} if finalize else {}
    return jinja2.Environment(
        loader=jinja2.PackageLoader("resurssimalli.report", "templates"),
        autoescape=finalize is None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **kw,
    )


_ENV = _env()
_MD_ENV = _env(finalize=_md_finalize)


def md_cell(text: str) -> str:
    """A Markdown table cell: escaped (see :func:`resurssimalli.safety.md_text`), ``|`` escaped."""
    return _MdSafe(md_text(text, block=False).replace("|", "\\|"))


def inline_html(text: str) -> str:
    """Escape and turn the memo's ``**bold**`` and ``*italic*`` into HTML."""
    s = html.escape(str(text))
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", s)


_MD_ENV.filters["md_cell"] = md_cell
_ENV.filters["inline"] = lambda s: markupsafe.Markup(inline_html(s))


def render_markdown(memo: Memo) -> str:
    return _MD_ENV.get_template("memo.md.j2").render(memo=memo)


def render_html(memo: Memo, images: Mapping[str, bytes]) -> str:
    """Self-contained HTML: figures are embedded as base64 ``data:`` URIs (file name -> PNG bytes)."""
    uris = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for name, png in images.items()
    }
    return _ENV.get_template("memo.html.j2").render(memo=memo, images=uris)


def figure_fetcher(run_dir: Path | None) -> Any:
    """A WeasyPrint URL fetcher serving ``data:`` URIs and the run folder's own PNG figures only.

    Anything else (another file, a web address, ``javascript:``) raises, so WeasyPrint skips it:
    scenario text can neither embed a local file in the PDF nor make it fetch from the network.
    The fetcher keeps the URLs it served in ``fetched`` and those it refused in ``refused``.
    """
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    root = Path(run_dir).resolve() if run_dir is not None else None

    class FigureFetcher(URLFetcher):
        fetched: list[str] = []
        refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                self.fetched.append(url[:40])
                return super().fetch(url, headers)
            if root is not None and url.startswith("file:"):
                target = Path(unquote(urlparse(url).path)).resolve()
                if target.parent == root and target.suffix == ".png" and target.name.startswith("figure_"):
                    self.fetched.append(target.as_uri())
                    return super().fetch(target.as_uri(), headers)
            self.refused.append(url)
            raise ValueError(f"not fetched (outside the run folder's figures): {url[:80]}")

    fetcher = FigureFetcher(allowed_protocols=("data", "file"), allow_redirects=False)
    fetcher.fetched, fetcher.refused = [], []
    return fetcher


def render_pdf(html_text: str, out: Path, run_dir: Path | None = None, fetcher: Any = None) -> None:
    """Print the HTML memo to PDF with WeasyPrint; only :func:`figure_fetcher` URLs are read."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # WeasyPrint's note on optional HarfBuzz-Subset
        import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # WeasyPrint's note on optional HarfBuzz-Subset
        doc = weasyprint.HTML(string=html_text, url_fetcher=fetcher or figure_fetcher(run_dir), base_url=None)
        doc.write_pdf(str(out), attachments=[])
