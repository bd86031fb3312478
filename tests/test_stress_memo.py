"""The stress loop's answer reaches the memo (issue 11): status, HTV moved per area × line, the
failing queues of the last iteration, months clearly missed, the certificate's HTV (fi + en)."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

from memo_tables import memo_table
from resurssimalli.report.texts import Texts


@pytest.fixture(scope="module")
def stress_run(tmp_path_factory, baseline, scenario_dir):
    """An unreachable target: the loop ends "budget insufficient" with a certificate."""
    from resurssimalli.cli.experiment import stress_command
    from resurssimalli.experiment.stress import parse_target
    from resurssimalli.scenario.load import load_scenario

    out = tmp_path_factory.mktemp("stress") / "run"
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    stress_command(
        [baseline, load_scenario(scenario_dir / "plant_closure.yaml")],
        console,
        targets=[parse_target("initial_interview_wait_days_mean<=0.3")],
        replications=2,
        jobs=1,
        months=2,
        max_iterations=3,  # 2 replications straddle: doubled first, then hours, then the certificate
        out=out,
    )
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    return out


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_stress_section_shows_the_loops_answer(stress_run, baseline, lang):
    from resurssimalli.report import write_report

    write_report(stress_run, lang=lang)
    memo = (stress_run / ("memo.md" if lang == "fi" else "memo.en.md")).read_text(encoding="utf-8")
    t = Texts(lang)
    assert t("sec_stress_loop") in memo
    moves = pd.read_csv(stress_run / "stress_moves.csv")
    cert = pd.read_csv(stress_run / "stress_certificate.csv")
    assert not moves.empty and not cert.empty
    required = cert["min_htv"].sum()
    status = t("stressloop_insufficient", required=t.num(required, 2), total=t.num(32.66, 2),
               short=t.num(required - 32.66, 2), n=t.num(3, 0))  # fmt: skip
    assert status in memo
    rows = memo_table(memo, "stress_moves")
    assert rows[-1][0] == t("col_total") and rows[-1][3] == t.num(moves["extra_htv"].sum(), 2)
    assert len(rows) == len(moves) + 1 and "Hameenkyro" not in memo.split("<!-- table: stress_moves -->")[1][:3000]
    queues = memo_table(memo, "stress_queues")
    assert queues and all(r[0] in (t.lang == "fi" and ("Perusskenaario", "Tehtaan sulkeminen")
                                   or ("Baseline", "Plant closure")) for r in queues)  # fmt: skip
    months = memo_table(memo, "stress_months")
    assert months and all(r[1] == t.name("kpi", "initial_interview_wait_days_mean") for r in months)
