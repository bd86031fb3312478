"""What the memo says, computed once from a run: the derived tables every section reads.

:func:`collect_facts` reads the run's tables once (open sites, HTV, costs split into budget and
social cost, access, stress verdicts, comparisons); the summary and the section builders take
the same :class:`Facts`, so a number in the summary is the number in its table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from resurssimalli.report import tables
from resurssimalli.report.names import SHARE_KPIS, Names  # noqa: F401 - SHARE_KPIS re-exported
from resurssimalli.report.results import RunResults
from resurssimalli.report.texts import Texts


@dataclass(frozen=True)
class Facts:
    res: RunResults
    t: Texts
    names: Names
    figures: Mapping[str, str]
    suppression: bool
    sites: pd.DataFrame | None
    htv: pd.DataFrame | None
    costs: tables.CostSplit | None
    access: tables.AccessSummary | None
    access_points: pd.DataFrame | None
    stress: pd.DataFrame | None
    comparison: pd.DataFrame | None
    local: pd.DataFrame | None = None  # per scenario and target, the place that does worst
    htv_value: pd.DataFrame | None = None  # htv_value.csv: one HTV more / fewer in every area
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scenario(self):  # noqa: ANN201 - resurssimalli.scenario.Scenario
        return self.res.scenario

    def figure(self, key: str) -> str | None:
        return self.figures.get(key)


def scenario_names(res: RunResults) -> dict[str, dict[str, str]]:
    """Scenario id -> display names, from the run's own scenario and the manifest's compared ones."""
    cfg = res.scenario.config
    out: dict[str, dict[str, str]] = {}
    for sid, info in dict(res.manifest.get("compared_scenarios", {}) or {}).items():
        if isinstance(info, Mapping):
            out[str(sid)] = {k: str(v) for k, v in info.items() if k.startswith("name_") and v}
    out[res.scenario.name] = {"name_fi": cfg.name_fi, "name_en": cfg.name_en}
    return out


def build_names(res: RunResults, t: Texts) -> Names:
    """Display names for the run's region and scenarios in ``t``'s language."""
    return Names(res.scenario.region, t, scenario_names(res))


def collect_facts(
    res: RunResults, t: Texts, figures: Mapping[str, str] | None = None, *, suppression: bool = True
) -> Facts:
    """Every derived table the memo needs, computed once."""
    points = tables.access_by_point(res)
    return Facts(
        res=res,
        t=t,
        names=build_names(res, t),
        figures=dict(figures or {}),
        suppression=suppression,
        sites=tables.open_sites(res, t.lang),
        htv=tables.htv_by_area_line(res),
        costs=tables.cost_split(res),
        access=tables.access_summary(res, points),
        access_points=points,
        stress=tables.stress(res),
        comparison=tables.comparison_all(res),
        local=tables.local_stress(res),
        htv_value=res.table("htv_value.csv"),
    )


# ---------------------------------------------------------------------------------------------
# KPI values in the reader's language


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


def target_text(t: Texts, op: str, kpi: str, value: float) -> str:
    return f"{'≥' if op == '>=' else '≤'} {kpi_value(t, kpi, value)}"


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
