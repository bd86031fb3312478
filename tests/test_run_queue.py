"""The run's simulations on one queue (issue 30, scale): every replication goes to the pool as soon
as it can start, and the results are the same as simulating each scenario on its own."""

from __future__ import annotations

import pandas as pd

import resurssimalli.pipeline as pipeline
import resurssimalli.simulate.runner as runner
from resurssimalli.simulate import Allocation, simulate

MONTHS = 1
REPLICATIONS = 2


def test_the_pool_simulates_while_the_leave_and_the_variants_are_planned(tmp_path, baseline, monkeypatch):
    order: list[str] = []
    task, roster = runner._task, pipeline.plan_roster

    def recorded_task(args):  # the serial pool runs a task as it is submitted
        order.append(args[0].scenario)
        return task(args)

    def recorded_roster(*a, **k):
        order.append("plan the leave")
        return roster(*a, **k)

    monkeypatch.setattr(runner, "_task", recorded_task)
    monkeypatch.setattr(pipeline, "plan_roster", recorded_roster)
    out = pipeline.run_pipeline(
        baseline, tmp_path / "run", replications=REPLICATIONS, months=MONTHS, jobs=1, pareto=None, memo=False
    )
    leave_at = order.index("plan the leave")
    # the scenario plays the office's rota: its replications do not wait for the leave plan
    assert order[:leave_at] == ["baseline"] * REPLICATIONS
    # then the scenario with the plan, then one HTV more and fewer in each area (the same seeds)
    after = order[leave_at + 1 :]
    assert after[:REPLICATIONS] == ["baseline:planned"] * REPLICATIONS
    areas = len(baseline.region.areas)
    assert len(after) == REPLICATIONS * (1 + 2 * areas) and set(after[REPLICATIONS:]) == {"baseline"}
    assert out.htv_value is not None and len(set(out.htv_value["variant"])) == 2 * areas

    # the same KPIs as the scenario simulated alone on the run's plan and seeds
    plan = Allocation.from_result(out.plan)
    alone = simulate(baseline, plan, replications=REPLICATIONS, months=MONTHS).kpis
    pd.testing.assert_frame_equal(out.simulation.kpis, alone)
