"""The memo's summer-leave plan ("Kesälomasuunnitelma", issue 25): an appendix from the run's
``roster.csv`` (the leave optimiser's plan, :mod:`resurssimalli.optimize.leave`) and the decision
proposal's summer paragraph saying, when a summer month fails a target or the plan needs
substitutes, why and what the plan does about it (``leave_effect.csv``: the scenario's own leave
rule against the plan on the same seeds)."""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.memo.document import Block, Bullets, Column, Figure, Para, Section, Table
from resurssimalli.report.memo.facts import Facts, kpi_value
from resurssimalli.report.memo.proposal import ref

SUMMER = (6, 7, 8)
ROSTER_FIGURE = "roster.png"


def _by_month(roster: pd.DataFrame) -> pd.DataFrame:
    week = roster.groupby(["month", "week_start"])[["capacity_hours", "work_hours", "people_on_leave"]].sum()
    g = roster.groupby("month")
    return pd.DataFrame({
        "leave": g["people_on_leave"].sum(),
        "most": week["people_on_leave"].groupby("month").max(),
        "substitutes": g["substitute_hours"].sum(),
        "lowest": (week["capacity_hours"] / week["work_hours"]).groupby("month").min(),
    })  # fmt: skip


def _problems(f: Facts, roster: pd.DataFrame) -> list[str]:
    t, out = f.t, []
    for r in roster[(roster["short_hours"] >= 0.5) | (roster["queues_uncovered"] > 0)].itertuples():
        week = t("leave_week", week=int(r.iso_week), date=t.date(str(r.week_start)))
        if r.queues_uncovered > 0:
            out.append(t("leave_gap", week=week, area=f.names.area(r.area)))
        if r.short_hours >= 0.5:
            out.append(t("leave_short", week=week, area=f.names.area(r.area), hours=t.num(r.short_hours, 0)))
    return out


def leave_section(f: Facts) -> Section | None:
    """The plan in words, a table by month, what it cannot cover, and the weeks × areas figure."""
    roster = f.res.table("roster.csv")
    if roster is None:
        return None
    t, lv = f.t, f.scenario.config.staff.leave
    m = _by_month(roster)
    hours = float(roster["substitute_hours"].sum())
    blocks: list[Block] = [Para(t(
        "leave_para", people=int(roster.groupby("area")["people"].first().sum()),
        days=f.scenario.config.staff.absence.summer_leave_days, block=lv.min_block_weeks,
        cover=lv.continuity_on_duty, margin=t.num(1 + lv.capacity_margin, 2), hours=t.num(hours, 0),
        eur=t.num(hours * lv.substitute_eur_per_hour, 0),
    ))]  # fmt: skip
    cols = (Column(t("xlcol_month")), Column(t("leave_col_weeks"), True), Column(t("leave_col_most"), True),
            Column(t("leave_col_sub"), True), Column(t("leave_col_lowest"), True))  # fmt: skip
    names = t("month_names")
    counts = ("leave", "most", "substitutes")
    rows = [[names[int(k) - 1], *(t.num(r[c], 0) for c in counts), t.num(r.lowest, 2)]
            for k, r in m.iterrows()]  # fmt: skip
    blocks.append(Table("leave", t("leave_table"), cols, rows))
    problems = _problems(f, roster)
    blocks.append(Bullets(problems) if problems else Para(t("leave_all_covered")))
    if (f.res.path / ROSTER_FIGURE).exists():
        blocks.append(Figure("roster", ROSTER_FIGURE, t("fig_roster")))
    return Section("leave", t("sec_leave"), blocks)


def _failing_summer(f: Facts) -> dict[str, list[str]]:
    """The run's own scenario's targets failing in a June-August month: KPI -> its months."""
    st = f.stress
    if st is None:
        return {}
    own = st[(st["scenario"] == f.scenario.name) & (st["verdict"] == "fails")]
    out: dict[str, list[str]] = {}
    for r in own.itertuples():
        months = [x for x in str(getattr(r, "failing_months", "") or "").split() if int(x[5:7]) in SUMMER]
        if months:
            out.setdefault(str(r.kpi), []).extend(months)
    return out


def _effect_month(effect: pd.DataFrame, failing: dict[str, list[str]]) -> str | None:
    """The month the summer line speaks of: the failing summer month where the scenario's own rule
    holds the fewest conversations on time, else July, else the season's month it does worst."""
    conv = effect[effect["kpi"] == "conversations_on_time_share"].set_index("month")["own_mean"]
    if conv.empty:
        return None
    months = sorted({m for ms in failing.values() for m in ms} & set(conv.index))
    july = [m for m in conv.index if m[5:7] == "07"]
    return str(conv[months].idxmin()) if months else july[0] if july else str(conv.idxmin())


def leave_line(f: Facts) -> str:
    """The proposal's summer paragraph: in the month that fails (or July) interviews and
    conversations on time with the scenario's own leave rule and with the other (the plan, on the
    same seeds: ``leave_effect.csv``), the cause when a target fails, and what the plan does with
    its substitute hours and euros. Empty when no summer month fails and no substitutes are needed."""
    t, roster, effect = f.t, f.res.table("roster.csv"), f.res.table("leave_effect.csv")
    failing = _failing_summer(f)
    if roster is None or effect is None:
        if not failing:
            return ""
        parts = [f"{t.name('kpi', k)}: {', '.join(t.month(x) for x in ms)}" for k, ms in failing.items()]
        return t("line_summer_no_plan", failing="; ".join(parts))
    hours = float(roster["substitute_hours"].sum())
    month = _effect_month(effect, failing)
    if month is None or (not failing and hours < 0.5):
        return ""
    row = effect[effect["month"] == month].set_index("kpi")
    own, other = str(row["own_rule"].iloc[0]), str(row["other_rule"].iloc[0])
    i, c = "initial_interview_on_time_share", "conversations_on_time_share"

    def val(kpi: str, col: str) -> str:
        return kpi_value(t, kpi, float(row.loc[kpi, col])) if kpi in row.index else "–"

    def rule(name: str, first: bool = False) -> str:  # the plan's rule carries its appendix and price
        text = t(f"leave_rule_{name}")
        if name == "planned":
            text += t("line_summer_price", a=ref(f, "leave"), hours=t.num(hours, 0),
                      eur=t.num(hours * f.scenario.config.staff.leave.substitute_eur_per_hour, 0))  # fmt: skip
        return text[:1].upper() + text[1:] if first else text

    return t("line_summer", month=t.month(month), own=rule(own), other=rule(other, first=True),
             i_own=val(i, "own_mean"), c_own=val(c, "own_mean"), i_other=val(i, "other_mean"),
             c_other=val(c, "other_mean"), cause=_cause(f, own) if failing else "")  # fmt: skip


def _cause(f: Facts, own: str) -> str:
    """Why a summer month fails: the leave, bought no substitutes under the office's rules."""
    return f.t("line_summer_cause_planned" if own == "planned" else "line_summer_cause")
