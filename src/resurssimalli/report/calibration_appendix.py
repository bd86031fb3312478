"""The memo's calibration appendix: the plan's tables against the simulation, with 95 % CIs.

Per municipality and area-wide: the share of new spells lasting past 3 months (plan:
January–July 2023) and the stock after 12 months by the plan's groups (plan: July 2023), the
simulated figure as the mean over replications with its t-interval. Plan cells under the
small-cell limit are suppressed together with their simulated figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from resurssimalli.report.results import RunResults
from resurssimalli.report.suppression import is_small
from resurssimalli.report.texts import MISSING, SUPPRESSED, Texts
from resurssimalli.simulate.stats import t_interval

if TYPE_CHECKING:
    from resurssimalli.report.memo import Section

GROUPS = {  # KPI group -> labour-market indicator of the plan
    "": "unemployed",
    "under_30": "unemployed_under_30",
    "over_50": "unemployed_over_50",
    "long_term": "long_term_unemployed",
    "partially_able": "partially_able_to_work",
    "foreign": "foreign_nationals",
}
TEXTS = {
    "title": {"fi": "Kalibrointi suunnitelman taulukoihin", "en": "Calibration to the plan's tables"},
    "text": {
        "fi": "Poistumisriskit ja uudet työnhakijat on sovitettu kunnittain ja ryhmittäin suunnitelman taulukoihin "
        "(`resurssimalli calibrate`, data/calibration.csv). Taulukoissa suunnitelman luku ja simuloitu keskiarvo "
        "(95 %:n luottamusväli, {n} toistoa).",
        "en": "Exit hazards and inflow are fitted by municipality and group to the plan's tables "
        "(`resurssimalli calibrate`, data/calibration.csv). Each cell: the plan's figure, then the simulated "
        "mean (95 % CI over {n} replications).",
    },
    "past3": {
        "fi": "Yli 3 kk jatkuneiden osuus uusista työttömyyksistä (suunnitelma 1–7/2023)",
        "en": "Share of new spells lasting past 3 months (plan: Jan–Jul 2023)",
    },
    "stock": {
        "fi": "Työnhakijat 12 kuukauden jälkeen ryhmittäin (suunnitelma 7/2023)",
        "en": "Job seekers after 12 months by group (plan: July 2023)",
    },
    "states": {
        "fi": "Työnhakijat asiakastiloittain 12 kuukauden jälkeen (tilasto {month}; simuloitu keskiarvo, 95 %:n väli)",
        "en": "Job seekers by customer state after 12 months (statistics {month}; simulated mean, 95 % CI)",
    },
    "state": {"fi": "tila", "en": "state"},
    "snapshot": {"fi": "alussa", "en": "at the start"},
    "entries": {"fi": "tulijat/v", "en": "entries/yr"},
    "after": {"fi": "12 kk jälkeen", "en": "after 12 months"},
    "residual": {"fi": "ero %", "en": "residual %"},
    "area": {"fi": "koko alue", "en": "whole area"},
    "plan": {"fi": "suunnitelma", "en": "plan"},
    "sim": {"fi": "simuloitu", "en": "simulated"},
    "all": {"fi": "kaikki", "en": "all"},
}
STOCK_MONTH = 11  # the month-end 12 months after the July stock


def _say(t: Texts, key: str, **kw: object) -> str:
    return TEXTS[key].get(t.lang, TEXTS[key]["en"]).format(**kw)


def _ci(t: Texts, values: pd.Series, decimals: int) -> str:
    mean, low, high, n = t_interval(values.to_numpy())
    if n == 0:
        return MISSING
    if n < 2:
        return t.num(mean, decimals)
    return f"{t.num(mean, decimals)} ({t.num(low, decimals)}–{t.num(high, decimals)})"


def _past3_rows(res: RunResults, k: pd.DataFrame, t: Texts, munis: list[str]) -> list[list[str]]:
    flow = res.scenario.region.flow_past_3_months
    sel = k[k["kpi"] == "spells_past_3_months_share"]
    rows = []
    for m in [*munis, "all"]:
        per_rep = sel[sel["group"] == m].groupby("replication")["value"].mean()
        plan = flow.get((_flow_key(flow), m))
        label = _say(t, "area") if m == "all" else res.scenario.region.municipalities[m].name
        rows.append([label, t.num(plan / 100 if plan is not None else None, 3), _ci(t, per_rep, 3)])
    return rows


def _flow_key(flow: dict) -> str:
    """The flow table's whole-period row (``2023-01..07`` in the seed area's plan)."""
    return next(k for (k, _m) in flow if ".." in k)


def _stock_cell(t: Texts, plan: float | None, sim: pd.Series, suppression: bool) -> str:
    if plan is None or (suppression and is_small(float(plan))):
        return SUPPRESSED
    return f"{t.num(plan)}: {_ci(t, sim, 0)}"


def _stock_rows(res: RunResults, k: pd.DataFrame, t: Texts, munis: list[str], suppression: bool) -> list[list[str]]:
    lm = res.scenario.region.labour_market
    last = k[(k["kpi"] == "stock") & (k["month_index"] == STOCK_MONTH)].set_index("group")["value"]
    rows = []
    for m in [*munis, "all"]:
        cells = []
        for g, ind in GROUPS.items():
            group = (g or "all") if m == "all" else (f"{g}:{m}" if g else m)
            period = lm.latest_period("unemployed")  # the month the calibration fitted the stock to
            plan = lm.total(ind, period) if m == "all" else lm.value(ind, period, m)
            sim = last[last.index == group] if group in last.index else pd.Series(dtype=float)
            cells.append(_stock_cell(t, plan, sim, suppression and m != "all"))
        label = _say(t, "area") if m == "all" else res.scenario.region.municipalities[m].name
        rows.append([label, *cells])
    return rows


def _state_rows(res: RunResults, k: pd.DataFrame, t: Texts) -> list[list[str]]:
    """Each customer state's stock in the snapshot, its calibrated entries, the simulated stock
    12 months on (mean and 95 % CI over replications) and the residual of the mean."""
    from resurssimalli.scenario.states import STATE_NAMES, STATES, state_flows, state_stock

    start = state_stock(res.scenario).sum()
    entries = state_flows(res.scenario).groupby("state")["entries_per_year"].sum()
    last = k[(k["kpi"] == "stock") & (k["month_index"] == STOCK_MONTH)]
    names = STATE_NAMES.get(t.lang, STATE_NAMES["en"])
    rows = []
    for state in STATES:
        sim = last[last["group"] == f"state:{state}"]["value"]
        resid = t.num(100 * (float(sim.mean()) / start[state] - 1), 1) if start[state] > 0 and len(sim) else MISSING
        flow = t.num(float(entries[state]), 0) if state in entries else MISSING
        rows.append([names[state], t.num(float(start[state]), 0), flow, _ci(t, sim, 0), resid])
    return rows


def calibration_section(res: RunResults, t: Texts, suppression: bool = True) -> Section | None:
    """The appendix, or None when the run has no simulation KPIs of a 12-month horizon."""
    from resurssimalli.report.memo import Column, Para, Section, Table

    k = res.table("kpis.parquet")
    if k is None or not res.scenario.region.flow_past_3_months:  # a region pack: calibration not fitted to it
        return None
    k = k[k["scenario"] == res.scenario.name]
    if k.empty or k["month_index"].max() < STOCK_MONTH:
        return None
    munis = sorted(res.scenario.region.municipalities)
    n = int(k["replication"].nunique())
    head3 = [t("col_municipality"), _say(t, "plan"), _say(t, "sim")]
    group_names = [_say(t, "all"), *[t.name("ind", ind) for g, ind in GROUPS.items() if g]]
    blocks = [
        Para(_say(t, "text", n=n)),
        Table(
            "calibration_past3",
            _say(t, "past3"),
            tuple(Column(h, numeric=j > 0) for j, h in enumerate(head3)),
            _past3_rows(res, k, t, munis),
        ),
        Table(
            "calibration_stock",
            _say(t, "stock"),
            tuple(Column(h, numeric=j > 0) for j, h in enumerate([t("col_municipality"), *group_names])),
            _stock_rows(res, k, t, munis, suppression),
        ),
    ]
    snap = res.scenario.jobseekers
    if snap is not None:
        heads = [_say(t, x) for x in ("state", "snapshot", "entries", "after", "residual")]
        blocks.append(
            Table(
                "calibration_states",
                _say(t, "states", month=t.month(snap.month)),
                tuple(Column(h, numeric=j > 0) for j, h in enumerate(heads)),
                _state_rows(res, k, t),
            )
        )
    return Section("calibration", _say(t, "title"), blocks)
