"""Every Python snippet in README.md runs (issue 27 item 6), and says what it does: the "2 HTV
fewer" example is 2 HTV fewer than the plan it simulates; a higher budget on a fixed plan is
reported as not simulated, as the README says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_python_snippets():
    assert SNIPPETS


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_snippet_runs(index: int, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)  # the snippets name scenarios/ relative to the repository
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ns: dict = {"__name__": "__main__"}
    exec(compile(SNIPPETS[index], f"README.md python snippet {index + 1}", "exec"), ns)
    if "minus2" in ns:  # the API snippet: what its comments say holds
        planned = float(ns["plan"].summary["htv_allocated"])
        assert planned - ns["minus2"].config.staff.total_htv == pytest.approx(2.0, abs=1e-6)
        assert ns["sim2"].unplaced_htv == 0.0 and not ns["buys"].empty
        assert len(ns["kpi_definitions"]("fi")) == len(ns["kpi_definitions"]("en"))


def test_a_higher_budget_on_a_fixed_plan_is_reported_not_simulated(tmp_path: Path):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    plan = Allocation.from_result(optimize(base))
    more = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"staff": {"total_htv": 34.0}})
    res = simulate(more, plan, replications=1, months=1)
    assert res.unplaced_htv == pytest.approx(34.0 - float(plan.allocation["htv"].sum()))
    assert res.manifest()["unplaced_htv"] == pytest.approx(res.unplaced_htv)
