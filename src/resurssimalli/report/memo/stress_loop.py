"""The memo's section on the stress loop (``resurssimalli stress`` run folders, issue 11).

How the loop ended (targets met within the budget, budget insufficient with the certificate's
required against available HTV, or iterations used up), the hours and HTV it moved to (or asked
for) each area × service line, the queues it found failing in its last iteration and the months
that missed clearly. Present only when the run folder holds the loop's files.
"""

from __future__ import annotations

from resurssimalli.report.memo.document import Block, Column, Para, Section, Table
from resurssimalli.report.memo.facts import Facts, kpi_ci, kpi_value
from resurssimalli.report.stress_tables import last_queues, missed_months, moves_frame


def _status(f: Facts) -> Para:
    t, res = f.t, f.res
    info = dict(res.manifest.get("stress", {}) or {})
    status = str(info.get("status", ""))
    n = int(info.get("iterations", 0) or 0)
    if status == "budget_insufficient":
        cert = res.table("stress_certificate.csv")
        total = float(res.scenario.config.staff.total_htv)
        required = float(cert["min_htv"].sum()) if cert is not None and not cert.empty else float("nan")
        return Para(
            t(
                "stressloop_insufficient",
                required=t.num(required, 2),
                total=t.num(total, 2),
                short=t.num(required - total, 2),
                n=t.num(n, 0),
            )
        )
    key = {"met": "stressloop_met", "at_risk": "stressloop_at_risk"}.get(status, "stressloop_max")
    return Para(t(key, n=t.num(n, 0)))


def _summer(f: Facts) -> Para | None:
    """Budget insufficient only for summer-leave months: said in plain words."""
    info = dict(f.res.manifest.get("stress", {}) or {})
    if not info.get("summer_leave_only"):
        return None
    months = ", ".join(f.t.month(str(m)) for m in info.get("failing_months", []))
    htv = float(info.get("summer_leave_hours", 0.0)) / f.res.scenario.config.staff.productive_hours_per_htv
    return Para(f.t("stressloop_summer", months=months, htv=f.t.num(htv, 1)))


def _moves(f: Facts) -> Table | None:
    t = f.t
    m = moves_frame(f.res.table("stress_moves.csv"), f.names)
    if len(m) <= 1:
        return None
    rows = [[r.area, r.line, t.num(r.hours, 0), t.num(r.htv, 2)] for r in m.itertuples()]
    cols = (Column(t("col_area")), Column(t("col_line")), Column(t("col_hours_year"), True), Column(t("col_htv"), True))
    return Table("stress_moves", t("stressloop_moves"), cols, rows, total_row=True)


def _queues(f: Facts) -> Table | None:
    t, n = f.t, f.names
    q = last_queues(f.res.table("stress_queues.csv"), n)
    if q.empty:
        return None
    rows = [
        [r.scenario, n.kpi(r.kpi), r.queue, kpi_value(t, r.kpi, r.bound), t.num(r.hours, 0)]
        for r in q.itertuples()
    ]
    cols = (
        Column(t("col_scenario")),
        Column(t("stressloop_col_kpi")),
        Column(t("stressloop_col_queue")),
        Column(t("stressloop_col_bound"), True),
        Column(t("stressloop_col_hours_added"), True),
    )
    caption = t("stressloop_queues", n=t.num(int(q["iteration"].iloc[0]), 0))
    return Table("stress_queues", caption, cols, rows)


def _months(f: Facts) -> Table | None:
    t, n = f.t, f.names
    m = missed_months(f.res.table("stress_months.csv"), n)
    if m.empty:
        return None
    rows = [
        [r.scenario, n.kpi(r.kpi), r.month, kpi_value(t, r.kpi, r.mean), kpi_ci(t, r.kpi, r.ci_low, r.ci_high)]
        for r in m.itertuples()
    ]
    cols = (
        Column(t("col_scenario")),
        Column(t("stressloop_col_kpi")),
        Column(t("stressloop_col_month")),
        Column(t("stressloop_col_mean"), True),
        Column(t("stressloop_col_ci"), True),
    )
    return Table("stress_months", t("stressloop_months"), cols, rows)


def stress_loop(f: Facts) -> Section | None:
    """The loop's answer, or None when the run is not a stress run."""
    if f.res.table("stress_iterations.csv") is None or "stress" not in f.res.manifest:
        return None
    blocks: list[Block] = [Para(f.t("stressloop_text")), _status(f)]
    blocks += [b for b in (_summer(f),) if b is not None]
    blocks += [b for b in (_moves(f), _queues(f), _months(f)) if b is not None]
    return Section("stress_loop", f.t("sec_stress_loop"), blocks)
