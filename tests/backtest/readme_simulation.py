"""The READMEs' simulation figures: computed from seeded runs by :func:`regenerate_tables` (a few
minutes), stored beside this file, rendered by :func:`simulation_figures` (no simulation).

* ``readme_verdicts.csv``: the baseline plan simulated for each scenario of ``baseline.yaml``'s
  ``compare:`` list, ``summer_leave_staggered.yaml`` and ``summer_leave_july.yaml`` (10
  replications, the scenario seed, common random numbers), every target judged month by month
  (``simulate.verdicts.judge_kpis``);
* ``readme_outcomes.csv``: what a budget of 28 / 20 HTV (re-optimised) and one HTV more / fewer in
  each area or the Kyröskoski office closed do to unemployment days and the municipalities'
  benefit share (``experiment.outcomes.what_it_buys``, paired, low/central/high effect);
* the baseline's caseloads and censored waits come from ``expected_kpi_summary.csv`` (the
  backtest's table, recomputed by ``test_backtest.py``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from readme_figures import HERE, ROOT, md_table, pct
from readme_leave import leave_figures, regenerate_leave_tables

from resurssimalli.experiment.outcomes import close_site, staffed, what_it_buys
from resurssimalli.optimize import optimize
from resurssimalli.pipeline import compared_scenarios
from resurssimalli.report.names import Names
from resurssimalli.report.texts import Texts
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate_many
from resurssimalli.simulate.verdicts import judge_kpis

BASELINE = ROOT / "scenarios" / "baseline.yaml"
# the same people and leave placed otherwise: at random in the season, all in July
EXTRA = (ROOT / "scenarios" / "summer_leave_staggered.yaml", ROOT / "scenarios" / "summer_leave_july.yaml")
REPLICATIONS = 10  # as the backtest (its baseline rows must equal expected_kpi_summary.csv)
BUDGETS = (28.0, 20.0)
CLOSED_SITE = "Kyroskoski_office"
VERDICTS = HERE / "readme_verdicts.csv"
OUTCOMES = HERE / "readme_outcomes.csv"
STAMP = HERE / "readme_simulation_date.txt"
BACKTEST = HERE / "expected_kpi_summary.csv"
TARGET_HEADERS = {
    "initial_interview_on_time_share": "interviews on time",
    "conversations_on_time_share": "conversations on time",
    "demand_to_capacity": "work ÷ on-duty time",
    "staff_utilisation": "utilisation",
}


def _scenarios():
    base = load_scenario(BASELINE)
    others = compared_scenarios(base)
    others += [load_scenario(path) for path in EXTRA if path.exists()]
    return base, others


def _budget(scenario, total: float):
    s = load_scenario(BASELINE, {"name": f"htv{total:g}", "staff": {"total_htv": total}})
    return s, Allocation.from_result(optimize(s))


def regenerate_tables() -> list:
    """Simulate and store every table the simulation figures are rendered from."""
    base, others = _scenarios()
    alloc = Allocation.from_result(optimize(base))
    sims = simulate_many([base, *others], alloc, replications=REPLICATIONS, jobs=2)
    kpis = pd.concat([sims[s.name].kpis for s in (base, *others)], ignore_index=True)
    judge_kpis(kpis, [base, *others]).to_csv(VERDICTS, index=False, float_format="%.10g")
    variants = {f"budget {t:g}": _budget(base, t) for t in BUDGETS}
    for area in base.region.areas:
        variants[f"+1 HTV {area}"] = staffed(base, alloc, area, 1.0)
        variants[f"-1 HTV {area}"] = staffed(base, alloc, area, -1.0)
    variants[f"close {CLOSED_SITE}"] = close_site(base, CLOSED_SITE)
    out = what_it_buys(base, alloc, variants, REPLICATIONS, jobs=2)
    out[out["group"] == "all"].to_csv(OUTCOMES, index=False, float_format="%.10g")
    STAMP.write_text(dt.date.today().isoformat() + "\n", encoding="utf-8")
    return [VERDICTS, OUTCOMES, STAMP, *regenerate_leave_tables()]


# --- rendering (no simulation) -------------------------------------------------------------------


def _int(x: float, signed: bool = True) -> str:
    return (f"{x:+,.0f}" if signed else f"{x:,.0f}").replace("-", "−")


def _range(lo: float, hi: float) -> str:
    """``588–927``; ``−159 to −33`` when a bound is negative (a dash would read as a minus)."""
    return f"{_int(lo, False)}{' to ' if min(lo, hi) < 0 else '–'}{_int(hi, False)}"


def _rounded(x: float, step: int) -> str:
    return f"{round(x / step) * step:,.0f}"


def _outcome(o: pd.DataFrame, variant: str, kpi: str) -> dict[str, pd.Series]:
    sel = o[(o["variant"] == variant) & (o["kpi"] == kpi)].set_index("effect_size")
    return {size: sel.loc[size] for size in sel.index}


def budget_figures(o: pd.DataFrame, total_htv: float) -> dict[str, str]:
    """``budget28_days`` etc.: the paired change a year at a lower budget, per HTV too."""
    out = {}
    for total in BUDGETS:
        key, fewer = f"budget{total:g}", total_htv - total
        for kpi, short, step in (
            ("unemployment_days", "days", 10),
            ("benefit_cost_municipal_eur", "eur", 10),
        ):
            r = _outcome(o, f"budget {total:g}", kpi)
            c, lo, hi = r["central"], r["low"]["mean"], r["high"]["mean"]
            out[f"{key}_{short}"] = _int(c["mean"])
            out[f"{key}_{short}_ci"] = _range(c["ci_low"], c["ci_high"])
            out[f"{key}_{short}_band"] = _range(lo, hi)
            out[f"{key}_{short}_per_htv"] = _rounded(c["mean"] / fewer, step)
            out[f"{key}_{short}_per_htv_band"] = f"{_rounded(lo / fewer, step)}–{_rounded(hi / fewer, step)}"
    return out


def _cell(r: dict[str, pd.Series], band: bool) -> str:
    c = r["central"]
    text = f"{_int(c['mean'])} ({_range(c['ci_low'], c['ci_high'])}"
    return text + (f"; band {_range(r['low']['mean'], r['high']['mean'])})" if band else ")")


def what_if_table(o: pd.DataFrame, names: Names) -> str:
    """One row per area (one HTV fewer, one more) and the closed site: person-days and euros a year."""
    rows = []
    for area in names.region.areas:
        fewer, more = f"-1 HTV {area}", f"+1 HTV {area}"
        rows.append([f"{names.area(area)}: one HTV fewer", _cell(_outcome(o, fewer, "unemployment_days"), True),
                     _cell(_outcome(o, fewer, "benefit_cost_municipal_eur"), False)])  # fmt: skip
        rows.append([f"{names.area(area)}: one HTV more", _cell(_outcome(o, more, "unemployment_days"), True),
                     _cell(_outcome(o, more, "benefit_cost_municipal_eur"), False)])  # fmt: skip
    closed = f"close {CLOSED_SITE}"
    rows.append([f"{names.site(CLOSED_SITE)} closed (re-optimised)", _cell(_outcome(o, closed, "unemployment_days"), True),
                 _cell(_outcome(o, closed, "benefit_cost_municipal_eur"), False)])  # fmt: skip
    header = [
        "variant",
        "person-days of unemployment a year (95 % CI; low–high band)",
        "municipalities' benefit share, € a year (95 % CI)",
    ]
    return md_table(header, rows, right={1, 2})


def _value(v: pd.Series, share: bool) -> str:
    return pct(v, 1) if share else f"{v:.2f}"


def verdict_table(v: pd.DataFrame, scenarios: dict[str, str]) -> str:
    """Per scenario: each target's year mean, its worst month and the months it fails."""
    rows = []
    for sid, name in scenarios.items():
        cells, failing = [name], set()
        for kpi in TARGET_HEADERS:
            r = v[(v["scenario"] == sid) & (v["kpi"] == kpi) & (v["group"] == "all")]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            share = kpi.endswith("_share")
            worst = str(r["period"]).removeprefix("worst ")
            text = _value(r["horizon_mean"], share)
            if r["judge"] == "every_month" and worst != "horizon":
                text += f"; worst {worst}: {_value(r['mean'], share)}"
            cells.append(text)
            failing |= set(str(r["failing_months"]).split()) - {"nan", ""}
        cells.append(_months(sorted(failing)))
        rows.append(cells)
    header = ["scenario", *(_header(v, kpi, h) for kpi, h in TARGET_HEADERS.items()), "months a target fails"]
    return md_table(header, rows)


def _header(v: pd.DataFrame, kpi: str, label: str) -> str:
    """``interviews on time ≥ 90.0 % (year; worst month)``: the baseline's target."""
    r = v[(v["scenario"] == "baseline") & (v["kpi"] == kpi)].iloc[0]
    op = "≥" if r["op"] == ">=" else "≤"
    return f"{label} {op} {_value(r['target'], kpi.endswith('_share'))} (year; worst month)"


def _months(months: list[str]) -> str:
    """``2023-12 to 2024-04, 2024-07``: runs of consecutive months joined."""
    if not months:
        return "none"
    idx = [int(m[:4]) * 12 + int(m[5:7]) - 1 for m in months]
    runs, start = [], 0
    for i in range(1, len(idx) + 1):
        if i == len(idx) or idx[i] != idx[i - 1] + 1:
            runs.append(months[start] if start == i - 1 else f"{months[start]} to {months[i - 1]}")
            start = i
    return ", ".join(runs)


def backtest_figures(b: pd.DataFrame) -> dict[str, str]:
    """The baseline's caseloads and waits at the run's end, from the backtest's KPI summary."""
    h = b[(b["period"] == "horizon") & (b["scenario"] == "baseline")].set_index(["kpi", "group"])["mean"]
    case = h.loc["caseload_per_coach"]
    lines = case.drop("all")
    return {
        "caseload_all": f"{case['all']:.0f}",
        "caseload_lines": f"{lines.min():.0f}–{lines.max():.0f}",
        "waits_censored": f"{h[('initial_interview_waits_censored', 'all')]:.0f}",
        "interviews_pending": f"{h[('initial_interviews_pending', 'all')]:.0f}",
    }


def simulation_figures() -> dict[str, str]:
    """Every simulation figure of the READMEs, rendered from the stored tables."""
    base, others = _scenarios()
    names = Names(base.region, Texts("en"))
    labels = {s.name: s.config.name_en or f"`{s.name}`" for s in (base, *others)}
    v = pd.read_csv(VERDICTS, keep_default_na=False, na_values=[""])
    o = pd.read_csv(OUTCOMES)
    return (
        {
            "simulation_date": STAMP.read_text(encoding="utf-8").strip(),
            "verdict_table": verdict_table(v, labels),
            "what_if_table": what_if_table(o, names),
        }  # fmt: skip
        | budget_figures(o, base.config.staff.total_htv)
        | backtest_figures(pd.read_csv(BACKTEST))
        | leave_figures()
    )
