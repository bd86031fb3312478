"""Staff inputs on a fixed plan take effect or are refused; override names survive loading."""

from __future__ import annotations

import pytest

from resurssimalli.errors import InputError
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.staffing import staffed_for_plan


@pytest.fixture(scope="module")
def plan(baseline) -> Allocation:
    return Allocation.from_result(optimize(baseline))


def _mean(sim, kpi: str) -> float:
    s = sim.summary
    return float(s[(s["kpi"] == kpi) & (s["group"] == "all")]["mean"].iloc[0])


def test_override_names_survive_load_scenario(scenario_dir) -> None:
    s = load_scenario(scenario_dir / "baseline.yaml", {"name": "minus2", "staff": {"total_htv": 30.66}})
    assert s.name == "minus2" and s.config.staff.total_htv == 30.66
    assert load_scenario(scenario_dir / "ageing.yaml").name == "ageing"
    assert load_scenario(scenario_dir / "ageing.yaml").config.name_fi == "Ikääntyminen"


def test_fewer_htv_on_a_fixed_plan_become_vacancies(baseline, scenario_dir, plan) -> None:
    low = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": 28.0}, "name": "low"})
    staffed = staffed_for_plan(low, plan)
    vacancy = staffed.config.staff.shortages[-1]
    assert vacancy.vacancy_share == pytest.approx(1 - 28.0 / 32.66, abs=1e-9)
    assert staffed_for_plan(baseline, plan) is baseline  # the plan's own total: nothing added
    base = simulate(baseline, plan, replications=2, months=2)
    short = simulate(low, plan, replications=2, months=2)
    assert _mean(short, "staff_utilisation") > _mean(base, "staff_utilisation") + 0.03




def test_more_htv_than_the_plan_places_is_said_not_ignored(tmp_path, scenario_dir, plan) -> None:
    """A budget above a fixed plan's HTV changes nothing in the simulation, so the result records
    the HTV it did not place and the console says how to model more staff (a new plan)."""
    import io
    import json

    from rich.console import Console

    from resurssimalli.cli.simulate import print_unplaced

    more = load_scenario(scenario_dir / "baseline.yaml", {"staff": {"total_htv": 34.66}, "name": "more"})
    sim = simulate(more, plan, replications=1, months=1)
    assert sim.unplaced_htv == pytest.approx(34.66 - float(plan.allocation["htv"].sum()))
    assert json.loads(json.dumps(sim.manifest()))["unplaced_htv"] == pytest.approx(sim.unplaced_htv)
    out = io.StringIO()
    print_unplaced(sim, Console(file=out, width=80))
    assert "not simulated" in out.getvalue() and "new plan" in out.getvalue()
    same = simulate(load_scenario(scenario_dir / "baseline.yaml"), plan, replications=1, months=1)
    assert same.unplaced_htv == 0.0
