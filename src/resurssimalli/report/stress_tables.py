"""The stress loop's result as tables a person reads (console in English, memo in fi/en).

The loop (:mod:`resurssimalli.experiment.stress`) writes ``stress_moves.csv`` (hours moved to or
asked for each area × line), ``stress_queues.csv`` (where each miss was located, per iteration),
``stress_months.csv`` (every month judged, per iteration) and, when the budget cannot, the
certificate's rows. These functions turn them into display-named frames with raw numbers; the
caller formats them in its language.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.names import TOTAL, Names


def queue_label(queue: str, names: Names) -> str:
    """``queue:<area>`` → the area's interview queue; ``queue:integration[:<area>]`` → the
    integration team; ``pairs:<kpi>:<group>`` (a KPI without queues) → the group it failed in."""
    t = names.t
    if queue.startswith("queue:integration"):
        return str(t("stressloop_queue_integration"))
    if queue.startswith("queue:"):
        return str(t("stressloop_queue_area", area=names.area(queue.removeprefix("queue:"))))
    if queue.startswith("pairs:"):
        group = (queue.split(":", 2) + ["", ""])[2]
        return names.group(group or "all")
    return queue


def moves_frame(moves: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Area, line, hours and HTV a year moved to (or asked for) each pair, with a total row."""
    if moves is None or moves.empty:
        return pd.DataFrame(columns=["area", "line", "hours", "htv"])
    out = pd.DataFrame(
        {
            "area": [names.area(a) for a in moves["area"]],
            "line": [names.line(x) for x in moves["service_line"]],
            "hours": moves["extra_hours"].astype(float).to_numpy(),
            "htv": moves["extra_htv"].astype(float).to_numpy(),
        }
    )
    total = pd.DataFrame([[names.area(TOTAL), "", out["hours"].sum(), out["htv"].sum()]], columns=out.columns)
    return pd.concat([out, total], ignore_index=True)


def last_queues(queues: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The queues located as failing in the loop's last iteration that found any: scenario,
    KPI, queue, its bound and the hours the loop added there."""
    cols = ["iteration", "scenario", "kpi", "queue", "bound", "hours"]
    if queues is None or queues.empty:
        return pd.DataFrame(columns=cols)
    q = queues[queues["iteration"] == queues["iteration"].max()]
    return pd.DataFrame(
        {
            "iteration": q["iteration"].astype(int).to_numpy(),
            "scenario": [names.scenario(str(s)) for s in q["scenario"]],
            "kpi": list(q["kpi"]),
            "queue": [queue_label(str(x), names) for x in q["queue"]],
            "bound": q["bound"].astype(float).to_numpy(),
            "hours": q["hours_added"].astype(float).to_numpy(),
        }
    )


def missed_months(months: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The months the last iteration missed clearly (the month's whole CI on the wrong side)."""
    cols = ["scenario", "kpi", "month", "mean", "ci_low", "ci_high"]
    if months is None or months.empty:
        return pd.DataFrame(columns=cols)
    missed = months["clearly_missed"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    m = months[(months["iteration"] == months["iteration"].max()) & missed]
    return pd.DataFrame(
        {
            "scenario": [names.scenario(str(s)) for s in m["scenario"]],
            "kpi": list(m["kpi"]),
            "month": [names.t.month(str(x)) for x in m["month"]],
            "mean": m["mean"].astype(float).to_numpy(),
            "ci_low": m["ci_low"].astype(float).to_numpy(),
            "ci_high": m["ci_high"].astype(float).to_numpy(),
        }
    )
