"""Console tables for planners (rich), readable at 80 columns.

:func:`fit_tables` never cuts a word or a number: each column is at least as wide as its
longest word or number; long headers may be abbreviated (with a legend under the table), and a
table still too wide for the terminal is split into parts that repeat the first column.
Numbers carry thousands separators, shares are percentages, places have their display names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from resurssimalli.report.names import SHARE_KPIS, Names
from resurssimalli.report.texts import Texts
from resurssimalli.scenario.customers import INDICATORS, customer_mix
from resurssimalli.scenario.load import Scenario

# value formats by kind (a column's kind is given by the caller, else guessed from its dtype)
FORMATS = {
    "int": "{:,.0f}",
    "htv": "{:,.2f}",
    "eur": "{:,.0f}",
    "decimal": "{:,.1f}",
    "precise": "{:,.3f}",
}
_NUMBER = re.compile(r"^[-−+]?[\d,.]+(%| pp)?( – [-−+]?[\d,.]+(%| pp)?)?$|^–$")
BORDER = 3  # "│ " + " " around each cell; one more for the table's right edge


def localise(text: str, lang: str) -> str:
    """An English-formatted number (``1,234.5``, ``-3.0%``) in ``lang``: Finnish has a decimal comma,
    a no-break space between thousands and before ``%``, and a minus sign."""
    if lang != "fi":
        return text
    out = text.replace(",", "\u00a0").replace(".", ",").replace("%", "\u00a0%")
    return re.sub(r"(?<![\w])-(?=\d)", "−", out)


def cell(value: object, kind: str | None = None, lang: str = "en") -> str:
    """A value as the console shows it: thousands separators, shares as %, yes/no, never a repr."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return ("kyllä" if value else "ei") if lang == "fi" else ("yes" if value else "no")
    if kind == "share" and isinstance(value, int | float):
        return f"{100.0 * float(value):.1f}%"
    if isinstance(value, int | float):
        if kind and kind.startswith("{"):
            return kind.format(value)
        if kind in FORMATS:
            return FORMATS[kind].format(value)
        return FORMATS["int" if float(value).is_integer() else "decimal"].format(value)
    return str(value)


def _pieces(text: str, hyphens: bool) -> list[str]:
    """The unbreakable pieces of ``text``: words, and with ``hyphens`` the parts after a hyphen."""
    words = text.split()
    if not hyphens:
        return words
    return [p for w in words for p in re.findall(r"[^-]+-|[^-]+$|-", w)]


def _min_width(texts: Sequence[str], numeric: bool, head: str | None = None, hyphens: bool = False) -> int:
    """The narrowest column that cuts nothing: whole numbers, whole words (a wrapped header)."""
    if numeric:
        body = max((len(s) for s in texts), default=1)
    else:
        body = max((len(w) for s in texts for w in s.split()), default=1)
    if head is None:
        return body
    return max(body, max((len(p) for p in _pieces(head, hyphens)), default=1))


def _wrap_head(head: str, width: int) -> str:
    """A header wrapped at spaces, and after hyphens where a word is wider than the column."""
    lines: list[str] = []
    for word in head.split():
        parts = [word] if len(word) <= width else _pieces(word, True)
        for k, part in enumerate(parts):
            glue = "" if k else " "
            if lines and len(lines[-1]) + len(glue) + len(part) <= width:
                lines[-1] += glue + part
            else:
                lines.append(part)
    return "\n".join(lines)


def _chunks(widths: list[int], width: int) -> list[list[int]]:
    """Column indices per part: the first column in every part, the rest packed to fit."""
    parts: list[list[int]] = []
    current, used = [0], widths[0] + BORDER + 1
    for j in range(1, len(widths)):
        if used + widths[j] + BORDER > width and len(current) > 1:
            parts.append(current)
            current, used = [0], widths[0] + BORDER + 1
        current.append(j)
        used += widths[j] + BORDER
    parts.append(current)
    return parts


def _widen(part: list[int], widths: list[int], natural: list[int], width: int) -> dict[int, int]:
    """Give the room left in a part to its wrapped columns, up to their one-line widths."""
    out = {j: widths[j] for j in part}
    room = width - sum(out.values()) - BORDER * len(part) - 1
    while room > 0:
        short = [j for j in part if out[j] < natural[j]]
        if not short:
            break
        j = min(short, key=lambda k: out[k] / natural[k])
        out[j] += 1
        room -= 1
    return out


def _fit_widths(
    heads: list[str], body: list[list[str]], numeric: list[bool], width: int, short: Mapping[str, str] | None
) -> tuple[list[str], list[int], list[str]]:
    """Headers, minimum widths and legend: full headers on one line if the table fits, else short
    headers (with a legend), else headers wrapped at spaces and hyphens."""
    cols = [[r[j] for r in body] for j in range(len(heads))]

    def total(ws: list[int]) -> int:
        return sum(ws) + BORDER * len(ws) + 1

    widths = [_min_width([h, *cols[j]], numeric[j]) for j, h in enumerate(heads)]
    legend: list[str] = []
    if total(widths) > width and short:
        legend = [f"{short[h]} = {h}" for h in heads if h in short]
        heads = [short.get(h, h) for h in heads]
        widths = [_min_width([h, *cols[j]], numeric[j]) for j, h in enumerate(heads)]
    if total(widths) > width:
        widths = [_min_width(cols[j], numeric[j], h, hyphens=True) for j, h in enumerate(heads)]
    return heads, widths, legend


def fit_tables(
    df: pd.DataFrame,
    title: str,
    *,
    kinds: Mapping[str, str] | None = None,
    short: Mapping[str, str] | None = None,
    width: int = 80,
    lang: str = "en",
) -> list[RenderableType]:
    """``df`` as rich tables that fit ``width`` columns without cutting any word or number.

    ``kinds`` maps column -> ``int``/``htv``/``eur``/``share``/``decimal``/``precise``/``text``;
    ``short`` maps a long header to a short one, explained in a legend under the table (used
    only when the full headers do not fit). Headers then wrap at spaces (and after hyphens);
    a table still too wide is split into parts that repeat the first column.
    """
    kinds = dict(kinds or {})
    cols = [str(c) for c in df.columns]
    body = [
        [cell(v, kinds.get(c)) for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)
    ]
    numeric = [
        kinds.get(c, "") != "text"
        and (pd.api.types.is_numeric_dtype(df[c]) or all(_NUMBER.match(r[j]) for r in body))
        for j, c in enumerate(cols)
    ]
    if lang != "en":
        body = [[localise(c, lang) if numeric[j] else c for j, c in enumerate(r)] for r in body]
    heads, widths, legend = _fit_widths(cols, body, numeric, width, short)
    natural = [max([len(h), *(len(r[j]) for r in body)]) for j, h in enumerate(heads)]
    parts = _chunks(widths, width)
    out: list[RenderableType] = []
    for k, part in enumerate(parts, start=1):
        label = title if len(parts) == 1 else f"{title} ({k}/{len(parts)})"
        t = Table(title=Text(label), title_justify="left")  # plain text: never rich markup
        ws = _widen(part, widths, natural, width)
        for j in part:
            head = Text(_wrap_head(heads[j], ws[j]))
            t.add_column(head, justify="right" if numeric[j] else "left", width=ws[j], overflow="fold")
        for r in body:
            t.add_row(*[Text(r[j]) for j in part])
        out.append(t)
    if legend:
        out.append(Text("; ".join(legend), style="dim"))
    return out


def print_frame(console: Console, df: pd.DataFrame, title: str, **kw: object) -> None:
    """Print :func:`fit_tables` at the console's width."""
    for r in fit_tables(df, title, width=console.width, **kw):  # type: ignore[arg-type]
        console.print(r)


def df_table(df: pd.DataFrame, title: str, floatfmt: str = "{:,.1f}", width: int = 80) -> RenderableType:
    """One renderable (the parts of :func:`fit_tables`) for callers that print one; float columns
    use ``floatfmt``, integer-valued ones thousands separators."""
    kinds = {str(c): floatfmt for c in df.columns if pd.api.types.is_float_dtype(df[c])}
    return Group(*fit_tables(df, title, kinds=kinds, width=width))


# ---------------------------------------------------------------------------------------------
# tables the commands print (English console, display names)

LINE_SHORT = {
    "job brokering": "job brok.",
    "competence development": "compet.",
    "multi-sector support": "multi-s.",
    "integration": "integr.",
    "employer services": "employer",
    "centralised services": "central",
}


def kpi_text(kpi: str, x: float, t: Texts | None = None) -> str:
    """A KPI value: shares as %, the rest with one decimal and thousands separators (in ``t``'s language)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if t is not None:
        return t.pct(x, 1) if kpi in SHARE_KPIS else t.num(x, 1)
    return f"{100 * x:.1f}%" if kpi in SHARE_KPIS else f"{x:,.1f}"


def kpi_summary_frame(summary: pd.DataFrame, t: Texts) -> pd.DataFrame:
    """The whole area's KPIs over the horizon: KPI name, mean, 95 % CI, replications."""
    s = summary[summary["group"] == "all"]
    if "period" in s.columns:
        s = s[s["period"].astype(str) == "horizon"]
    rows = [
        (
            t.name("kpi", r.kpi),
            kpi_text(r.kpi, r.mean, t),
            f"{kpi_text(r.kpi, r.ci_low, t)} – {kpi_text(r.kpi, r.ci_high, t)}",
            r.n,
        )
        for r in s.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=[t("con_kpi_whole_area"), t("con_mean"), t("con_ci"), t("con_n")])


def verdict_frame(verdicts: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Scenario rows x target columns: the judged value and the verdict in words, then overall."""
    t = names.t
    targets = list(dict.fromkeys(zip(verdicts["kpi"], verdicts["op"], verdicts["target"], strict=True)))
    cols = [f"{names.kpi(k)} {'≥' if op == '>=' else '≤'} {kpi_text(k, v)}" for k, op, v in targets]
    rows = []
    for sc, g in verdicts.groupby("scenario", sort=False):
        cells = {(r.kpi, r.op, r.target): r for r in g.itertuples()}
        row = [names.scenario(str(sc))]
        for key in targets:
            r = cells.get(key)
            row.append("–" if r is None else f"{kpi_text(r.kpi, r.mean)} {t(f'verdict_{r.verdict}')}")
        worst = max(g["verdict"], key=("meets", "at_risk", "fails").index)
        row.append(t(f"overall_{worst}"))
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", *cols, "verdict"])


def judged_frame(judged: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Targets judged month by month (:func:`~resurssimalli.simulate.verdicts.judge_targets`
    rows), one row per scenario and target: display names, the year mean and the verdict in words."""
    from resurssimalli.report.memo.facts import verdict_text

    t = names.t
    rows = []
    for r in judged.itertuples(index=False):
        op = "≥" if r.op == ">=" else "≤"
        group = "" if r.group == "all" else f", {names.group(str(r.group))}"
        rows.append(
            (
                names.scenario(str(r.scenario)),
                f"{names.kpi(r.kpi)}{group} {op} {kpi_text(r.kpi, r.target, t)}",
                kpi_text(r.kpi, r.horizon_mean, t),
                verdict_text(t, r),
            )
        )
    return pd.DataFrame(rows, columns=JUDGED_COLUMNS(t))


def JUDGED_COLUMNS(t: Texts) -> list[str]:  # noqa: N802 - the judged frame's headers in t's language
    return [t("con_scenario"), t("con_col_target"), t("con_col_year_mean"), t("con_col_verdict")]


def worst_place_frame(worst: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Per scenario and target, the municipality or area that does worst: its verdict, month and value."""
    from resurssimalli.report.memo.facts import verdict_text

    t = names.t
    rows = [
        (
            names.scenario(str(r.scenario)),
            f"{names.kpi(r.kpi)} {'≥' if r.op == '>=' else '≤'} {kpi_text(r.kpi, r.target, t)}",
            names.group(str(r.group)),
            verdict_text(t, r) if r.judge != "horizon" else f"{kpi_text(r.kpi, r.mean, t)} {t(f'verdict_{r.verdict}')}",
        )
        for r in worst.itertuples(index=False)
    ]
    cols = [t("con_scenario"), t("con_col_target"), t("con_col_place"), t("con_col_verdict")]
    return pd.DataFrame(rows, columns=cols)


SHORT = {
    "unemployed": "all",
    "unemployed_under_30": "under 30",
    "unemployed_over_50": "over 50",
    "long_term_unemployed": "long-term",
    "partially_able_to_work": "part. able",
    "foreign_nationals": "foreign",
    "job_brokering": "job brok.",
    "competence_development": "competence",
    "multi_sector": "multi-sector",
}


def baseline_tables(scenario: Scenario, t: Texts | None = None) -> dict[str, pd.DataFrame]:
    """The scenario summary as tables: municipalities, unemployed by area and group, staff
    (headers in ``t``'s language, English by default)."""
    t = t or Texts("en")
    region = scenario.region
    lm = region.labour_market
    period = scenario.config.demand.stock_period
    names = Names(region, t)
    workforce = lm.latest_period("workforce")
    munis = pd.DataFrame(
        [
            (
                m.name,
                region.areas[m.area].name,
                t("con_yes") if m.lead else "",
                m.population_2023,
                lm.value("workforce", workforce, m.id),
                lm.value("unemployed", period, m.id),
            )
            for m in region.municipalities.values()
        ],
        columns=[
            t("con_col_municipality"),
            t("con_col_area"),
            t("con_col_lead"),
            t("con_col_population", year=2023),
            t("con_col_workforce", year=workforce),
            t("con_col_unemployed", period=period),
        ],
    )
    short = {k: t(f"con_group_{k}") for k in INDICATORS} | (
        {k: SHORT[k] for k in SHORT if k not in INDICATORS} if t.lang == "en"
        else {k: names.line(k) for k in SHORT if k not in INDICATORS}
    )  # fmt: skip
    area_col = t("con_col_area").split(" (")[0]
    population = t("con_col_population", year=2023)
    if munis[population].isna().all():  # a region pack: not in its data
        munis = munis.drop(columns=population)
    wide = lm.wide(period)[list(INDICATORS)]
    wide[area_col] = [region.areas[region.area_of(m)].name for m in wide.index]
    by_area = wide.groupby(area_col, sort=False).sum(min_count=1)
    by_area.loc[t("con_total")] = by_area.sum()
    by_area = by_area.reset_index().rename(columns=short)
    mix = customer_mix(scenario)
    mix[area_col] = [region.areas[a].name if a in region.areas else a for a in mix["area"]]
    lines = (
        mix.pivot_table(index=area_col, columns="service_line", values="stock", aggfunc="sum", sort=False)
        .reset_index()
        .rename(columns=short)
    )
    staff = scenario.config.staff
    staff_df = pd.DataFrame(
        [
            (t("con_htv_transferring"), localise(f"{staff.total_htv:,.2f}", t.lang)),
            (t("con_productive_hours"), localise(f"{staff.productive_hours_per_htv:,.0f}", t.lang)),
            (t("con_cost_per_htv"), localise(f"{staff.cost_per_htv_eur:,.0f}", t.lang)),
            *[
                (t("con_split", group=t.name("split", k) if t.lang == "fi" else k.replace("_", " ")),
                 localise(f"{100 * v:.0f}%", t.lang))
                for k, v in staff.customer_facing_split.items()
            ],
        ],
        columns=[t("con_col_item"), t("con_col_value")],
    )  # fmt: skip
    return {"municipalities": munis, "unemployed_by_area": by_area, "stock_by_line": lines, "staff": staff_df}


def print_summary(scenario: Scenario, console: Console | None = None, t: Texts | None = None) -> None:
    """The region and scenario at a glance (display names, thousands separators, % for shares),
    in ``t``'s language (English by default)."""
    console = console or Console()
    t = t or Texts("en")
    tabs = baseline_tables(scenario, t)
    region = scenario.region
    lead = region.municipalities[region.lead_municipality].name
    console.print(
        Text.assemble(
            (region.name, "bold"),
            f" — {t('con_scenario')} ",
            (scenario.config.display_name(t.lang), "bold"),
            f" ({scenario.name}): {scenario.config.describe(t.lang)}",
        )
    )
    line = t("con_lead_line", lead=lead, n_munis=len(region.municipalities), n_areas=len(region.areas),
             htv=localise(f"{scenario.config.staff.total_htv:,.2f}", t.lang))  # fmt: skip
    console.print(line, highlight=False, markup=False)
    ints = {c: "int" for c in tabs["municipalities"].columns}
    print_frame(console, tabs["municipalities"], t("con_municipalities"), kinds=ints, lang=t.lang)
    period = scenario.config.demand.stock_period
    area_col = t("con_col_area").split(" (")[0]
    print_frame(console, tabs["unemployed_by_area"], t("con_unemployed_by_area", period=period),
                kinds={area_col: "text"}, lang=t.lang)  # fmt: skip
    print_frame(console, tabs["stock_by_line"], t("con_customers_by_need"), lang=t.lang)
    print_frame(console, tabs["staff"], t("con_staff"), lang=t.lang)


def assumptions_frame(scenario: Scenario) -> pd.DataFrame:
    """The assumptions table as the console shows it: values written out (no reprs), English."""
    from resurssimalli.report.assumptions import assumptions_table, key_values
    from resurssimalli.report.memo.values import show_value

    table = assumptions_table(scenario)
    values = key_values(scenario, list(table["key"]))
    names = Names(scenario.region, Texts("en"))
    shown = [str(values[k]) if k == "seed" else show_value(names, values[k]) for k in table["key"]]
    return table.assign(value=shown).drop(columns="set_in")
