"""The console at 80 columns: no word or number cut, one display name per place, separators and %."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from rich.console import Console

from resurssimalli.report.assumptions import assumptions_table
from resurssimalli.report.console import assumptions_frame, df_table, fit_tables, print_summary


def _console() -> Console:
    return Console(width=80, record=True, color_system=None, force_terminal=False)


def _lines(console: Console) -> list[str]:
    return console.export_text().splitlines()


@pytest.fixture(scope="module")
def printed(baseline) -> str:
    c = _console()
    print_summary(baseline, c)
    c.print(df_table(assumptions_frame(baseline), "Assumptions and sources"))
    lines = _lines(c)
    assert max(len(line) for line in lines) <= 80
    return "\n".join(lines)


def test_nothing_is_cut_at_80_columns(printed: str, baseline) -> None:
    assert "…" not in printed  # rich's mark for a cut word or number
    words = set(re.findall(r"[\w.,%+-]+", printed))
    for m in baseline.region.municipalities.values():
        assert m.name in printed
    for a in baseline.region.areas.values():
        for word in a.name.split():
            assert word in words, word
    for key in assumptions_table(baseline)["key"]:
        assert key in words, key  # every parameter name whole


def test_one_display_name_per_place_and_consistent_numbers(printed: str, baseline) -> None:
    assert "Hameenkyro" not in printed  # the region summary shows display names
    assert "23,514" in printed and "10,024" in printed  # thousands separators everywhere
    assert " True " not in printed and "0.955" not in printed
    assert "40%" in printed  # shares as percentages


def test_a_table_too_wide_is_split_not_cut() -> None:
    df = pd.DataFrame({f"a long column name {i}": [1234567.891 * i] for i in range(12)})
    parts = fit_tables(df, "wide", width=80)
    c = _console()
    for p in parts:
        c.print(p)
    text = c.export_text()
    assert len(parts) > 1 and "…" not in text and max(len(x) for x in text.splitlines()) <= 80
    for i in range(1, 12):
        assert f"{1234567.891 * i:,.1f}" in text


# --- the optimiser's plan and the simulation's tables (optimize, run, simulate) --------------


def _place_words(baseline) -> set[str]:
    """Every word of every place's display name (area, municipality, site), hyphen parts too."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.texts import Texts

    names = Names(baseline.region, Texts("en"))
    texts = [names.area(a) for a in baseline.region.areas] + [m.name for m in baseline.region.municipalities.values()]
    return {p for t in texts for w in t.split() for p in re.findall(r"[^-]+", w)}


@pytest.fixture(scope="module")
def plan_printed(baseline) -> str:
    from resurssimalli.cli.optimize import print_result
    from resurssimalli.optimize import optimize

    c = _console()
    print_result(optimize(baseline), baseline, c)
    lines = _lines(c)
    assert max(len(line) for line in lines) <= 80
    return "\n".join(lines)


def test_the_plan_at_80_columns_is_whole_and_in_display_names(plan_printed: str, baseline) -> None:
    assert "…" not in plan_printed
    words = set(re.findall(r"[\w.,%+-]+", plan_printed))
    for w in _place_words(baseline):
        assert any(w in x for x in words), w
    for bad in ("Hameenkyro", "Kyroskoski_office", "job_brokering", "service_point", "True", "0.955"):
        assert bad not in plan_printed, bad
    assert "Kyröskoski office" in plan_printed and "Hämeenkyrö" in plan_printed
    assert "32.66" in plan_printed  # the HTV total, whole
    assert re.search(r"\d%", plan_printed) and not re.search(r"\d %", plan_printed)  # shares one way
    assert re.search(r"\d{1,3}(,\d{3})+ EUR/year", plan_printed)  # thousands separators


def test_the_simulation_tables_at_80_columns(baseline, scenario_dir) -> None:
    from resurssimalli.cli.simulate import print_kpis, print_verdicts
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario.load import load_scenario
    from resurssimalli.simulate import Allocation, simulate_many

    other = load_scenario(scenario_dir / "plant_closure.yaml")
    alloc = Allocation.from_result(optimize(baseline), source="test")
    sims = simulate_many([baseline, other], alloc, replications=2, months=3, jobs=1)
    c = _console()
    print_kpis(sims[baseline.name], c)
    from resurssimalli.simulate.stats import summarise_periods

    summary = summarise_periods(pd.concat([sims[s.name].kpis for s in (baseline, other)], ignore_index=True))
    print_verdicts(summary, [baseline, other], c)
    text = c.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    for bad in ("initial_interview_on_time_share", "plant_closure", "baseline:"):
        assert bad not in text, bad
    words = set(re.findall(r"[\w.,%+-]+", text))
    assert {"initial", "interview", "Plant", "closure", "Baseline", "utilisation"} <= words
    assert re.search(r"\d%", text) and not re.search(r"\d %", text)


def test_the_stress_loops_tables_at_80_columns(baseline) -> None:
    """The returned plan's verdict, how the loop ended with the plan's cost, the brackets per area
    × line (hours, HTV, against the first plan), what each ask fixes, the causes, missed months."""
    from types import SimpleNamespace

    from resurssimalli.cli.experiment import _names, _print_asks, _status_line, verdict_frame
    from resurssimalli.experiment.stress_rows import BRACKET_COLUMNS, CAUSE_COLUMNS
    from resurssimalli.optimize import optimize
    from resurssimalli.report.console import print_frame

    areas = list(baseline.region.areas)
    P = baseline.config.staff.productive_hours_per_htv
    rows = []
    for i, a in enumerate(areas):
        for line in ("competence_development", "multi_sector"):
            lo, hi, first = 1000.0 * (i + 1), 1000.0 * (i + 1) + 123.4, 900.0 * (i + 1)
            rows.append((f"queue:{a}", a, line, first, lo, hi, lo / P, hi / P, lo - first, hi - first,
                         (lo - first) / P, (hi - first) / P, "baseline plant_closure", "2023-12 2024-02", True))
    brackets = pd.DataFrame(rows, columns=BRACKET_COLUMNS)  # fmt: skip
    causes = pd.DataFrame(
        [("queue:integration", "baseline", "initial_interview_on_time_share", "2024-07", "roster", 1460.0, 2920.0)],
        columns=CAUSE_COLUMNS,
    )
    months = pd.DataFrame(
        [("baseline", "initial_interview_on_time_share", 6, "2024-02", 0.934, 0.91, 0.95, True, 2)],
        columns=["scenario", "kpi", "month_index", "month", "mean", "ci_low", "ci_high", "clearly_missed", "iteration"],
    )
    verdicts = pd.DataFrame(
        [("baseline", "initial_interview_on_time_share", "all", ">=", 0.95, 0.931, 0.92, 0.94, 5, False, "2024-07")],
        columns=["scenario", "kpi", "group", "op", "target", "mean", "ci_low", "ci_high", "n", "meets", "period"],
    )
    plan = optimize(baseline)
    res = SimpleNamespace(brackets=brackets, causes=causes, months=months, verdicts=verdicts, tolerance_htv=0.1,
                          stated_tolerance_htv=0.2, status="causes_remain", plan=plan, first_plan=plan, plan_round=7, proof=None)  # fmt: skip
    names = _names([baseline])
    c = _console()
    print_frame(c, verdict_frame(res.verdicts, names), "verdict", kinds={"target": "text"})
    c.print(_status_line(res), highlight=False)
    _print_asks(res, c, names)
    text = c.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "narrowed from 0.2" in " ".join(text.split())  # the brackets' tolerance, narrowed
    for area in areas:
        assert area not in text or area == names.area(area)  # display names only
    assert "July" in text  # the month the verdict judged (every_month: the worst one)
    tot = brackets[["lower_hours", "upper_hours"]].sum()
    assert f"{tot.lower_hours:,.0f}–{tot.upper_hours:,.0f}" in text  # the total of the asks
    for want in ("1,000–1,123", "+0.08–+0.18", "February 2024", "93.4%", "integration team's interviews",
                 "roster", f"{plan.summary['total_cost_eur']:,.0f}", "round 7"):  # fmt: skip
        assert want.split()[0] in text.replace("\n", " "), want
    assert "Hämeenkyrö" in text and "competence_development" not in text and "queue:" not in text


def test_the_sweeps_comparison_at_80_columns(baseline, scenario_dir) -> None:
    from resurssimalli.cli.experiment import _names, comparison_frame
    from resurssimalli.report.console import print_frame
    from resurssimalli.scenario.load import load_scenario

    plant = load_scenario(scenario_dir / "plant_closure.yaml")
    comp = pd.DataFrame(
        [("plant_closure", "initial_interview_on_time_share", "all", 0.951, 0.921, -0.0302, -0.041, -0.019, 10),
         ("plant_closure", "unemployment_days", "all", 654321.5, 661234.5, 6913.0, 5210.5, 8615.25, 10),
         ("plant_closure", "stock", "Hameenkyro", 300.0, 320.0, 20.0, 10.0, 30.0, 10)],
        columns=["scenario", "kpi", "group", "baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low",
                 "diff_ci_high", "n"],
    )  # fmt: skip
    c = _console()
    print_frame(c, comparison_frame(comp, _names([baseline, plant])), "comparison", kinds={"KPI": "text"})
    text = c.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    for want in ("654,321.5", "+6,913.0", "+5,210.5 – +8,615.2", "-3.0 pp", "95.1%"):
        assert want in text, want
    assert "plant_closure" not in text and "(1/2)" not in text  # one table, display names
