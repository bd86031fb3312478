"""The memo's answer to "what does service buy" (issue 13): unemployment days and euros a year.

For the plan's scenario and every scenario simulated beside it (same plan, same seeds): the
yearly person-days of unemployment and the municipalities' share of unemployment benefits, each
as a mean with a 95 % CI over replications, and the paired change against the plan's scenario.
The effect size the run used is named; the low/high band comes from ``resurssimalli outcomes``
(which also answers "one HTV more / fewer in an area" and "close an office"). A caution is
printed when the plan's caseload leaves the range the studies covered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from resurssimalli.report.names import Names
from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import MISSING, Texts
from resurssimalli.simulate.stats import t_interval

if TYPE_CHECKING:
    from resurssimalli.report.memo import Section

KPIS = ("unemployment_days", "benefit_cost_municipal_eur")
TEXTS = {
    "title": {
        "fi": "Mitä palvelu tuottaa: työttömyyspäivät ja kuntien etuusosuus",
        "en": "What service buys: unemployment days and the municipalities' benefit share",
    },
    "text": {
        "fi": "Asiakkaan poistumisriski työttömyydestä riippuu palvelusta: myöhässä oleva "
        "alkuhaastattelu tai työnhakukeskustelu hidastaa poistumista (Huuskonen 2023: "
        "+10 %-yks. haastatteluja, +3,1 % kuukausiriski) ja pitkä matka lähipalveluun samoin "
        "(Vehkasalo 2020: toimiston sulkeminen pidensi työttömyyttä 2–3 viikkoa). Vaikutuskoko "
        "tässä ajossa: {size}. Luvut vuodessa, keskiarvo ja 95 %:n luottamusväli ({n} toistoa); "
        "muutos samoilla satunnaisluvuilla kuin {base}.",
        "en": "A customer's exit from unemployment depends on service: an overdue initial "
        "interview or job-search conversation slows it (Huuskonen 2023: +10 points of interviews, "
        "+3.1 % monthly hazard), and so does a long trip to face-to-face service (Vehkasalo 2020: "
        "closing the office lengthened spells by 2-3 weeks). Effect size in this run: {size}. "
        "Figures a year, mean and 95 % CI ({n} replications); changes paired with {base} on the "
        "same random numbers.",
    },
    "table": {
        "fi": "Työttömyyspäivät ja kuntien etuusosuus vuodessa",
        "en": "Unemployment days and municipal benefit share a year",
    },
    "scenario": {"fi": "Skenaario", "en": "Scenario"},
    "days": {"fi": "työttömyyspäivät", "en": "person-days"},
    "days_change": {"fi": "muutos, päivää", "en": "change, days"},
    "eur": {"fi": "kuntien osuus, €", "en": "municipal share, EUR"},
    "eur_change": {"fi": "muutos, €", "en": "change, EUR"},
    "caution": {
        "fi": "Varovaisuutta: asiakkaita valmentajaa kohden {value} on tutkimusten kattaman välin "
        "{low}–{high} ulkopuolella; vaikutuksen suuruus siellä on epävarma.",
        "en": "Caution: customers per coach {value} lie outside the {low}–{high} the studies "
        "covered; the effect's size there is uncertain.",
    },
    "what_if_ask": {
        "fi": "Toimipaikan sulkemisen vaikutus (uudelleen optimoituna ja ilman korvaavaa) saadaan tähän "
        "muistioon ajamalla esimerkiksi `resurssimalli run {file} --what-if {site}`.",
        "en": "To see what closing a site does (re-optimised and with no replacement), run for example "
        "`resurssimalli run {file} --what-if {site}`; the answer then appears here.",
    },
    "what_if_text": {
        "fi": "Mitä muutos tuottaa: suunnitelmaan tehty muutos simuloitiin samoilla satunnaisluvuilla "
        "kuin suunnitelma ({n} toistoa). Muutos vuodessa keskimmäisellä vaikutuskoolla, 95 %:n "
        "luottamusväli suluissa; herkkyysväli on muutoksen keskiarvo matalalla ja korkealla "
        "vaikutuskoolla. Positiivinen luku tarkoittaa enemmän työttömyyttä tai kustannuksia.",
        "en": "What a change buys: each change to the plan was simulated on the plan's random numbers "
        "({n} replications). Change a year at the central effect size, 95 % CI in brackets; the "
        "band is the change's mean at the low and the high effect size. A positive number means "
        "more unemployment or more cost.",
    },
    "wrong_way": {
        "fi": "Varovaisuutta: rivillä ”{variant}” simulaation tulos on tutkimusnäytön vastainen "
        "(enemmän henkilöstöä, enemmän työttömyyspäiviä, tai päinvastoin; koko luottamusväli samalla "
        "puolella). Pidä riviä mallin epävarmuutena, ei arviona muutoksen vaikutuksesta.",
        "en": "Caution: in the row “{variant}” the simulation points against the evidence (more staff, "
        "more days of unemployment, or the reverse; the whole CI on that side). Read the row as the "
        "model's uncertainty, not as an estimate of the change's effect.",
    },
    "what_if_table": {"fi": "Muutosten vaikutus vuodessa", "en": "What the changes buy, a year"},
    "variant": {"fi": "Muutos", "en": "Change"},
    "wi_days": {"fi": "työttömyyspäivien muutos", "en": "change in person-days"},
    "wi_eur": {"fi": "kuntien etuusosuuden muutos, €", "en": "change in municipal benefit share, EUR"},
    "wi_band": {"fi": "herkkyysväli", "en": "low–high"},
    "plus_htv": {"fi": "{place}: +1 HTV", "en": "{place}: +1 HTV"},
    "minus_htv": {"fi": "{place}: −1 HTV", "en": "{place}: −1 HTV"},
    "close_site": {"fi": "suljetaan {place}", "en": "close {place}"},
    "close_site_only": {"fi": "suljetaan {place} ilman korvaavaa", "en": "close {place}, no replacement"},
    "plans_text": {
        "fi": "Mitä muutos muuttaa: sulkeminen optimoidaan uudelleen, joten suunnitelma voi avata toisen "
        "toimipaikan tilalle; ”ilman korvaavaa” pitää muut toimipaikat ennallaan (kunnan läsnäolon ja "
        "vastuualueen toimiston vaatimukset ohitetaan tässä muutoksessa). Kustannukset euroa vuodessa "
        "suunnitelmaan verrattuna; tavoitteet arvioidaan kuten suunnitelman.",
        "en": "What a change changes: a closure is re-optimised, so the plan may open another site "
        "instead; “no replacement” keeps every other site as it is (the rules on a presence in every "
        "municipality and an office in every area are lifted for that change). Costs in EUR a year "
        "against the plan; targets judged as the plan's.",
    },
    "plans_table": {"fi": "Mitä muutokset muuttavat", "en": "What the changes change"},
    "col_sites": {"fi": "Toimipaikat", "en": "Sites"},
    "col_budget": {"fi": "Kuntien kustannus, muutos €", "en": "Municipal cost, change EUR"},
    "col_travel": {"fi": "Asiakkaiden matkojen arvo, muutos €", "en": "Customers' travel, change EUR"},
    "col_access": {"fi": "Matka-aika: rajan sisällä; keskim.; pisin", "en": "Trips: within limit; mean; longest"},
    "col_targets": {"fi": "Tavoitteet", "en": "Targets"},
    "infeasible": {"fi": "ei mahdollinen skenaarion ehdoilla", "en": "not possible under the scenario's rules"},
    "all_met": {"fi": "kaikki täyttyvät", "en": "all met"},
    "size_low": {"fi": "matala", "en": "low"},
    "size_central": {"fi": "keskimmäinen", "en": "central"},
    "size_high": {"fi": "korkea", "en": "high"},
}


def _say(t: Texts, key: str, **kw: object) -> str:
    return TEXTS[key].get(t.lang, TEXTS[key]["en"]).format(**kw)


def _ci(t: Texts, values: pd.Series, signed: bool = False) -> str:
    mean, low, high, n = t_interval(values.to_numpy())
    if n == 0:
        return MISSING
    fmt = (lambda x: ("+" if x > 0 else "") + t.num(x)) if signed else t.num
    # spaces around the dash let a narrow printed column wrap the interval
    return fmt(mean) if n < 2 else f"{fmt(mean)} ({fmt(low)} – {fmt(high)})"


def yearly(k: pd.DataFrame) -> pd.DataFrame:
    """[scenario, replication] x KPI: whole-area totals over the run, scaled to a year."""
    sel = k[k["kpi"].isin(KPIS) & (k["group"] == "all")]
    months = sel.groupby("scenario")["month_index"].nunique()
    tot = sel.groupby(["scenario", "replication", "kpi"])["value"].sum().unstack("kpi")
    return tot.mul(12.0 / tot.index.get_level_values("scenario").map(months).to_numpy(), axis=0)


def _scenario_name(res: RunResults, t: Texts, scenario: str) -> str:
    """The scenario's display name in the memo's language (never its id)."""
    from resurssimalli.report.memo.facts import build_names  # the memo package imports this module

    return build_names(res, t).scenario(scenario)


def _rows(res: RunResults, t: Texts, y: pd.DataFrame) -> list[list[str]]:
    base = res.scenario.name
    order = [base, *sorted(s for s in y.index.get_level_values("scenario").unique() if s != base)]
    rows = []
    for s in order:
        own = y.loc[s]
        d = own - y.loc[base]
        change = [_ci(t, d[c].dropna(), signed=True) if s != base else "" for c in KPIS]
        name = _scenario_name(res, t, s)
        rows.append([name, _ci(t, own[KPIS[0]]), change[0], _ci(t, own[KPIS[1]]), change[1]])
    return rows


def _cautions(res: RunResults, t: Texts) -> list[str]:
    """One caution naming every caseload (whole area, lines) outside the range the studies covered."""
    out = res.scenario.config.outcomes
    k = res.table("kpis.parquet")
    if out is None or k is None:
        return []
    lo, hi = out.caseload_studied
    c = k[(k["scenario"] == res.scenario.name) & (k["kpi"] == "caseload_per_coach")]
    means = c.groupby("group", sort=False)["value"].mean()
    outside = [
        f"{t.num(v)} ({t.name('line', g) if g != 'all' else t('group_all')})"
        for g, v in means.items()
        if not lo <= v <= hi
    ]
    if not outside:
        return []
    return [_say(t, "caution", value=", ".join(outside), low=t.num(lo), high=t.num(hi))]


def _signed(t: Texts, x: float) -> str:
    return ("+" if x > 0.5 else "") + t.num(x)


def _change_cell(t: Texts, r: pd.Series | None) -> str:
    if r is None:
        return MISSING
    if r["n"] < 2:
        return _signed(t, r["mean"])
    return f"{_signed(t, r['mean'])} ({_signed(t, r['ci_low'])} – {_signed(t, r['ci_high'])})"


def _band_cell(t: Texts, by_size: dict[str, pd.Series]) -> str:
    lo, hi = by_size.get("low"), by_size.get("high")
    if lo is None or hi is None:
        return MISSING
    a, b = sorted((float(lo["mean"]), float(hi["mean"])))
    return f"{_signed(t, a)} – {_signed(t, b)}"


def variant_label(names: Names, change: str, place: str) -> str:
    """``Ikaalinen: +1 HTV``, ``suljetaan Kyröskosken toimipiste`` (never a leading sign: a
    spreadsheet would read a formula); ``size_<x>`` → the effect size's name."""
    if change.startswith("size_"):
        return _say(names.t, change)
    shown = names.site(str(place)) if change.startswith("close_site") else names.area(str(place))
    return _say(names.t, str(change), place=shown)


def what_if_head(t: Texts) -> list[str]:
    return [_say(t, k) for k in ("variant", "wi_days", "wi_band", "wi_eur", "wi_band")]


def what_if_rows(table: pd.DataFrame, names: Names) -> list[list[str]]:
    """One row per variant (``what_if.csv``): person-days and euros a year (central, CI) with the
    low–high band, in the names' language."""
    t = names.t
    whole = table[table["group"] == "all"]
    rows = []
    for (_, change, place), g in whole.groupby(["variant", "change", "place"], sort=False):
        cells = {(r["kpi"], r["effect_size"]): r for _, r in g.iterrows()}
        row = [variant_label(names, str(change), str(place))]
        for kpi in KPIS:
            row.append(_change_cell(t, cells.get((kpi, "central"))))
            row.append(_band_cell(t, {size: cells[(k, size)] for (k, size) in cells if k == kpi}))
        rows.append(row)
    return rows


def wrong_way(table: pd.DataFrame, names: Names) -> list[str]:
    """Cautions for variants whose central change in person-days lies wholly against the
    evidence: one HTV more with more unemployment, one HTV fewer with less."""
    c = table[(table["group"] == "all") & (table["kpi"] == "unemployment_days") & (table["effect_size"] == "central")]
    out = []
    for r in c.itertuples(index=False):
        against = (r.change == "plus_htv" and r.ci_low > 0) or (r.change == "minus_htv" and r.ci_high < 0)
        if against and r.n >= 2:
            label = variant_label(names, str(r.change), str(r.place))
            out.append(_say(names.t, "wrong_way", variant=label))
    return out


def _targets_cell(names: Names, verdicts: pd.DataFrame | None, variant: str) -> str:
    """``ei täyty: alkuhaastattelu … (heinäkuu 2024)`` for a variant's missed targets, else all met."""
    t = names.t
    if verdicts is None or verdicts.empty or "variant" not in verdicts.columns:
        return MISSING
    rows = verdicts[(verdicts["variant"] == variant) & (verdicts["verdict"] != "meets")]
    if not (verdicts["variant"] == variant).any():
        return MISSING
    if rows.empty:
        return _say(t, "all_met")
    parts = []
    for r in rows.itertuples():
        month = str(r.period).removeprefix("worst ")
        when = f" ({t.month(month)})" if r.judge != "horizon" else ""
        parts.append(f"{names.kpi(str(r.kpi))} {t(f'verdict_{r.verdict}')}{when}")
    return "; ".join(parts)


def plans_rows(plans: pd.DataFrame, verdicts: pd.DataFrame | None, names: Names) -> list[list[str]]:
    """One row per variant of ``what_if_plans.csv``: the sites it opens and closes, the change in
    what the municipalities pay and in customers' travel, access, and its targets."""
    t = names.t
    rows = []
    for r in plans[plans["variant"] != "plan"].itertuples():
        label = variant_label(names, str(r.change), str(r.place))
        if not bool(r.feasible) or str(r.feasible).lower() == "false":
            rows.append([label, _say(t, "infeasible"), MISSING, MISSING, MISSING, MISSING])
            continue
        access = f"{t.pct(r.within_share, 1)}; {t.num(r.mean_minutes, 1)}; {t.num(r.max_minutes, 1)} min"
        rows.append([
            label, names.site_changes(r.sites_opened, r.sites_closed), _signed(t, r.budget_change_eur),
            _signed(t, r.travel_value_change_eur), access, _targets_cell(names, verdicts, str(r.variant)),
        ])  # fmt: skip
    return rows


def plans_head(t: Texts) -> list[str]:
    return [_say(t, k) for k in ("variant", "col_sites", "col_budget", "col_travel", "col_access", "col_targets")]


def _plans_blocks(res: RunResults, names: Names) -> list:
    from resurssimalli.report.memo import Column, Para, Table

    plans = res.table("what_if_plans.csv")
    if plans is None or plans.empty:
        return []
    t = names.t
    cols = tuple(Column(h, numeric=j in (2, 3)) for j, h in enumerate(plans_head(t)))
    rows = plans_rows(plans, res.table("what_if_verdicts.csv"), names)
    return [Para(_say(t, "plans_text")), Table("what_if_plans", _say(t, "plans_table"), cols, rows)]


def what_if_blocks(res: RunResults, t: Texts) -> list:
    """The what-if table from ``what_if.csv``, or one sentence saying how to ask for it."""
    from resurssimalli.report.memo import Bullets, Column, Para, Table

    table = res.table("what_if.csv")
    if table is None or table.empty:
        area, site = _example_places(res, t)
        return [Para(_say(t, "what_if_ask", file=_scenario_file(res), area=area, site=site))]
    from resurssimalli.report.memo.facts import build_names

    n = int(table["n"].max())
    names = build_names(res, t)
    cols = tuple(Column(h, numeric=j > 0) for j, h in enumerate(what_if_head(t)))
    cautions = wrong_way(table, names)
    return [
        Para(_say(t, "what_if_text", n=n)),
        Table("what_if", _say(t, "what_if_table"), cols, what_if_rows(table, names)),
        *([Bullets(cautions)] if cautions else []),
        *_plans_blocks(res, names),
    ]


def _example_places(res: RunResults, t: Texts) -> tuple[str, str]:
    """An area and an office of the run's region for the what-if example (the first area other
    than the lead's, in the region's order, and its first office), quoted as a shell needs."""
    import re
    import shlex

    region = res.scenario.region
    lead_area = region.area_of(region.lead_municipality)
    area = next((a for a in region.areas if a != lead_area), lead_area)
    offices = [s for s in region.sites_in_area(area) if region.sites[s].kind == "office"]
    offices = offices or list(region.sites)
    names = (region.areas[area].name, region.sites[offices[0]].label(t.lang))
    ids = (area, offices[0])
    return tuple(  # type: ignore[return-value]
        shlex.quote(n) if re.fullmatch(r"[\w .+-]+", n) else i for n, i in zip(names, ids, strict=True)
    )


def _scenario_file(res: RunResults) -> str:
    """The scenario file as the command would name it; a name that is not plain is not quoted."""
    import re
    from pathlib import Path

    path = Path(str(res.scenario.path))
    shown = f"scenarios/{path.name}" if path.parent.name == "scenarios" else path.name
    return shown if re.fullmatch(r"[\w.+/-]+", shown) else "SCENARIO.yaml"


def outcomes_section(res: RunResults, t: Texts) -> Section | None:
    """The section, or None when the run has no outcome KPIs (an old run or no outcomes: section)."""
    from resurssimalli.report.memo import Bullets, Column, Para, Section, Table

    k = res.table("kpis.parquet")
    if k is None or not k["kpi"].isin(KPIS).any() or res.scenario.config.outcomes is None:
        return None
    y = yearly(k)
    out = res.scenario.config.outcomes
    size = _say(t, f"size_{out.effect_size}") if out.service_effect else "0"
    n = int(k["replication"].nunique())
    head = [
        _say(t, "scenario"),
        _say(t, "days"),
        _say(t, "days_change"),
        _say(t, "eur"),
        _say(t, "eur_change"),
    ]
    blocks = [
        Para(_say(t, "text", size=size, n=n, base=_scenario_name(res, t, res.scenario.name))),
        Table(
            "outcomes_year",
            _say(t, "table"),
            tuple(Column(h, numeric=j > 0) for j, h in enumerate(head)),
            _rows(res, t, y),
        ),
    ]
    cautions = _cautions(res, t)
    if cautions:
        blocks.append(Bullets(cautions))
    blocks += what_if_blocks(res, t)
    return Section("outcomes", _say(t, "title"), blocks)
