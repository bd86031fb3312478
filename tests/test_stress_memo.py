"""The stress loop's answer reaches the console and the memo (issue 24): a target staff cannot
reach (a mean wait for the initial interview under a third of a day) misses with twice the hours,
so it gets a cause and no hours; the status, the cause table and the plan's cost show (fi + en).
The brackets' tables are checked on a case with asks in test_stress.py."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

from memo_tables import memo_table
from resurssimalli.report.texts import Texts


@pytest.fixture(scope="module")
def stress_run(tmp_path_factory, baseline):
    from resurssimalli.cli.experiment import stress_command
    from resurssimalli.experiment.stress import parse_target

    out = tmp_path_factory.mktemp("stress") / "run"
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    stress_command(
        [baseline],
        console,
        targets=[parse_target("initial_interview_wait_days_mean<=0.3")],
        replications=2,
        jobs=1,
        months=1,
        max_iterations=4,
        out=out,
    )
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "booking rule" in text or "deadline" in text or "roster" in text
    return out


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_stress_section_shows_the_loops_answer(stress_run, lang):
    from resurssimalli.report import write_report

    write_report(stress_run, lang=lang)
    memo = (stress_run / ("memo.md" if lang == "fi" else "memo.en.md")).read_text(encoding="utf-8")
    t = Texts(lang)
    assert t("sec_stress_loop") in memo
    causes = pd.read_csv(stress_run / "stress_causes.csv")
    brackets = pd.read_csv(stress_run / "stress_brackets.csv")
    assert len(causes) and brackets.empty  # no hours for a miss twice the hours do not fix
    rows = memo_table(memo, "stress_causes")
    assert len(rows) == len(causes) and {r[4] for r in rows} == {
        t(f"stresscause_{c}") for c in causes["cause"]
    }
    assert "<!-- table: stress_brackets -->" not in memo
    summary = pd.read_json(stress_run / "summary.json", typ="series")
    assert t.num(float(summary["total_cost_eur"]), 0) in memo  # the returned plan's cost
    assert (
        t("stressloop_causes_remain", n=t.num(1, 0), htv="", cost="", first_cost="").split("{")[0][:40]
        in memo
    )


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_a_narrowed_tolerance_and_an_undecided_budget_are_said(stress_run, tmp_path, lang):
    """When the budget lay inside the brackets at the stated tolerance, the memo says they were
    narrowed and to what; "undecided" names the tolerance it still holds at and the upper ends'
    minimum hours (every other queue at its workload), not the simulated probe's total."""
    import json
    import shutil

    from resurssimalli.report import write_report

    run = tmp_path / "run"
    shutil.copytree(stress_run, run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    manifest["stress"] |= {
        "status": "undecided", "tolerance_htv": 0.025, "tolerance_htv_stated": 0.1,
        "lower_htv": 32.64, "upper_htv": 33.92, "upper_minimum_htv": 32.81, "budget_htv": 32.66,
    }  # fmt: skip
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_report(run, lang=lang)
    memo = (run / ("memo.md" if lang == "fi" else "memo.en.md")).read_text(encoding="utf-8")
    t = Texts(lang)
    assert t("stressloop_narrowed", stated=t.num(0.1, 1), tol=t.num(0.025, 3)) in memo
    assert t.num(32.81, 2) in memo and t.num(33.92, 2) not in memo
    assert f"{t.num(0.025, 3)} " in memo


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_an_area_unit_is_named_by_its_area_and_kpi(baseline, lang):
    """Two asks for the same area (its interview queue, its conversations on time) are told apart."""
    from resurssimalli.report.names import Names
    from resurssimalli.report.stress_tables import queue_label

    names = Names(baseline.region, Texts(lang))
    area = next(iter(baseline.region.areas))
    conv = queue_label(f"pairs:conversations_on_time_share:area:{area}", names)
    queue = queue_label(f"queue:{area}", names)
    assert conv == f"{names.area(area)}: {names.kpi('conversations_on_time_share')}"
    assert conv != queue and names.area(area) in queue
    assert queue_label("pairs:demand_to_capacity:all", names).startswith(names.group("all"))
