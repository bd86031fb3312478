"""The stress loop's answer as tables a person reads (console in English, memo and workbook in
fi/en).

The loop (:mod:`resurssimalli.experiment.stress`) writes ``stress_brackets.csv`` (per queue × area
× line: the hours it needs as a bracket, above the first plan and in HTV, and the scenarios and
months the upper end fixes), ``stress_causes.csv`` (the misses that got no hours, with their
cause), ``stress_rounds.csv`` (every queue in every plan simulated), ``stress_months.csv`` (the
returned plan's months) and, when the budget cannot, the certificate's rows. These functions turn
them into display-named frames with raw numbers; the caller formats them in its language.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.report.names import Names

BRACKET_VIEW = ["unit", "area", "line", "lower_hours", "upper_hours", "lower_htv", "upper_htv",
                "added_lower_htv", "added_upper_htv", "scenarios", "months"]  # fmt: skip
CAUSE_VIEW = ["unit", "scenario", "kpi", "months", "cause"]
NUMBERS = ["lower_hours", "upper_hours", "lower_htv", "upper_htv", "added_lower_htv", "added_upper_htv"]


def queue_label(queue: str, names: Names) -> str:
    """``queue:<area>`` → the area's interview queue; ``queue:integration[:<area>]`` → the
    integration team; ``pairs:<kpi>:<group>`` (a KPI without queues) → the group it failed in and
    the KPI, e.g. "Parkano–Kihniö: conversations on time"."""
    t = names.t
    if queue.startswith("queue:integration"):
        return str(t("stressloop_queue_integration"))
    if queue.startswith("queue:"):
        return str(t("stressloop_queue_area", area=names.area(queue.removeprefix("queue:"))))
    if queue.startswith("pairs:"):
        _, kpi, group = (queue.split(":", 2) + ["", ""])[:3]
        return f"{names.group(group or 'all')}: {names.kpi(kpi)}" if kpi else names.group("all")
    return queue


def _scenarios(text: object, names: Names) -> str:
    return ", ".join(names.scenario(s) for s in str(text if text == text else "").split())


def _months(text: object, names: Names) -> str:
    months = str(text if text == text else "").split()
    return ", ".join(names.t.month(m) if m != "horizon" else names.t("stressloop_horizon") for m in months)


def brackets_frame(brackets: pd.DataFrame | None, names: Names) -> pd.DataFrame:
    """Per queue × area × line: the bracket of hours and HTV a year it needs, the same above the
    first plan (HTV), and the scenarios and months its upper end fixes."""
    if brackets is None or brackets.empty:
        return pd.DataFrame(columns=BRACKET_VIEW)
    b = brackets
    out = pd.DataFrame(
        {
            "unit": [queue_label(str(u), names) for u in b["unit"]],
            "area": [names.area(str(a)) for a in b["area"]],
            "line": [names.line(str(x)) for x in b["service_line"]],
            "scenarios": [_scenarios(s, names) for s in b["scenarios"]],
            "months": [_months(m, names) for m in b["months"]],
        }
    )
    for c in NUMBERS:
        out[c] = b[c].astype(float).to_numpy()
    return out[BRACKET_VIEW]


def pair_asks(brackets: pd.DataFrame | None) -> pd.DataFrame:
    """Per (area, line) what the plan at the ends gives: the largest floor any unit asks (a pair
    two units share — an area's interview queue and its conversations — counted once), and the
    units asking it (ids, space-separated). A lower end is NaN only where no unit has one. Its
    rows add up to :func:`bracket_totals`."""
    cols = ["area", "service_line", "first_hours", *NUMBERS, "units"]
    if brackets is None or brackets.empty:
        return pd.DataFrame(columns=cols)
    b = brackets.astype({c: float for c in ["first_hours", *NUMBERS]})
    pair = b.groupby(["area", "service_line"], sort=False)
    out = pair[["first_hours", *NUMBERS]].max()
    out["units"] = pair["unit"].agg(lambda u: " ".join(sorted(set(map(str, u)))))
    return out.reset_index()[cols]


def unit_labels(units: object, names: Names) -> str:
    """Space-separated unit ids (``pair_asks``' ``units``) → their labels, ``; ``-joined."""
    return "; ".join(queue_label(u, names) for u in str(units).split())


def pair_frame(brackets: pd.DataFrame | None, names: Names) -> pd.DataFrame:
    """:func:`pair_asks` with display names: area, line, the units asking (labels), the numbers."""
    asks = pair_asks(brackets)
    out = pd.DataFrame(
        {
            "area": [names.area(str(a)) for a in asks["area"]],
            "line": [names.line(str(x)) for x in asks["service_line"]],
            "units": [unit_labels(us, names) for us in asks["units"]],
        }
    )
    for c in NUMBERS:
        out[c] = asks[c].astype(float).to_numpy()
    return out


def bracket_totals(brackets: pd.DataFrame | None) -> dict[str, float]:
    """The plan at the lower and at the upper ends, summed over :func:`pair_asks`' rows: hours,
    HTV and above the first plan. A lower end is missing (NaN) when some pair has none."""
    per_pair = pair_asks(brackets)
    if per_pair.empty:
        return dict.fromkeys(NUMBERS, 0.0)
    return {c: float(per_pair[c].astype(float).sum(min_count=len(per_pair))) for c in NUMBERS}


def causes_frame(causes: pd.DataFrame | None, names: Names) -> pd.DataFrame:
    """Every miss that got no hours: the queue, scenario, KPI, months and the cause in words."""
    if causes is None or causes.empty:
        return pd.DataFrame(columns=CAUSE_VIEW)
    c = causes
    return pd.DataFrame(
        {
            "unit": [queue_label(str(u), names) for u in c["unit"]],
            "scenario": [names.scenario(str(s)) for s in c["scenario"]],
            "kpi": [names.kpi(str(k)) for k in c["kpi"]],
            "months": [_months(m, names) for m in c["months"]],
            "cause": [str(names.t(f"stresscause_{x}")) for x in c["cause"]],
        }
    )


def missed_months(months: pd.DataFrame | None, names: Names) -> pd.DataFrame:
    """The months the returned plan missed clearly (the month's whole CI on the wrong side)."""
    cols = ["scenario", "kpi", "month", "mean", "ci_low", "ci_high"]
    if months is None or months.empty:
        return pd.DataFrame(columns=cols)
    missed = months["clearly_missed"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    m = months[missed]
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
