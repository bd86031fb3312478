"""The memo's summer-leave plan ("Kesälomasuunnitelma", issue 25): a body section from the run's
``roster.csv`` (the leave optimiser's plan, :mod:`resurssimalli.optimize.leave`) and an opening
line saying, when a summer month fails a target or the plan needs substitutes, why and what the
plan does about it."""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.memo.document import Block, Bullets, Column, Figure, Para, Section, Table
from resurssimalli.report.memo.facts import Facts

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
    opening = leave_line(f)  # the cause of a summer failure and what the plan does, when there is one
    blocks: list[Block] = [Para(opening)] if opening else []
    blocks += [Para(t(
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


def _failing_summer(f: Facts) -> list[str]:
    """The run's own scenario's targets failing in a June-August month, as 'KPI (month, ...)'."""
    st = f.stress
    if st is None:
        return []
    own = st[(st["scenario"] == f.scenario.name) & (st["verdict"] == "fails")]
    out = []
    for r in own.itertuples():
        months = [
            x for x in str(getattr(r, "failing_months", "") or "").split() if x[5:7] in ("06", "07", "08")
        ]
        if months:
            out.append(f"{f.t.name('kpi', r.kpi)}: {', '.join(f.t.month(x) for x in months)}")
    return out


def leave_line(f: Facts) -> str:
    """The opening's summer line: empty when no summer month fails and no substitutes are needed."""
    roster = f.res.table("roster.csv")
    failing = _failing_summer(f)
    if roster is None:
        return f.t("line_summer_no_plan", failing="; ".join(failing)) if failing else ""
    hours = float(roster["substitute_hours"].sum())
    if not failing and hours < 0.5:
        return ""
    t, lv = f.t, f.scenario.config.staff.leave
    july = _by_month(roster).loc[7] if 7 in set(roster["month"]) else None
    plays = f.scenario.config.staff.absence.summer_leave == "planned"
    head = t("line_summer_fails", failing="; ".join(failing)) if failing else t("line_summer_ok")
    return head + " " + t(
        "line_summer_plan", hours=t.num(hours, 0), eur=t.num(hours * lv.substitute_eur_per_hour, 0),
        most=t.num(july["most"] if july is not None else 0, 0), margin=t.num(1 + lv.capacity_margin, 2),
        plays=t("line_summer_plays") if plays else t("line_summer_not_played"),
    )  # fmt: skip
