"""The run's simulations on one queue (issue 30, scale): every replication goes to the pool as soon
as it can start, only the scenario's own replications send the staff tables back, and the results
are the same as simulating the scenario on its own."""

from __future__ import annotations

import pandas as pd

import resurssimalli.pipeline as pipeline
import resurssimalli.simulate.runner as runner
from resurssimalli.simulate import Allocation, simulate

MONTHS = 1
REPLICATIONS = 2


def test_the_pool_simulates_while_the_leave_and_the_variants_are_planned(tmp_path, baseline, monkeypatch):
    order: list[tuple[str, bool]] = []  # (scenario, staff tables asked) as the tasks are submitted
    task, roster = runner._task, pipeline.plan_roster

    def recorded_task(args):  # the serial pool runs a task as it is submitted
        order.append((args[0].scenario, args[4]))
        return task(args)

    def recorded_roster(*a, **k):
        order.append(("plan the leave", False))
        return roster(*a, **k)

    monkeypatch.setattr(runner, "_task", recorded_task)
    monkeypatch.setattr(pipeline, "plan_roster", recorded_roster)
    out = pipeline.run_pipeline(
        baseline, tmp_path / "run", replications=REPLICATIONS, months=MONTHS, jobs=1, pareto=None, memo=False
    )
    leave_at = order.index(("plan the leave", False))
    # the scenario plays the office's rota: its replications do not wait for the leave plan, and
    # theirs are the only staff tables sent back (the run folder's posts and roster)
    assert order[:leave_at] == [("baseline", True)] * REPLICATIONS
    # then the scenario with the plan, then one HTV more and fewer in each area (the same seeds)
    after = order[leave_at + 1 :]
    assert after[:REPLICATIONS] == [("baseline:planned", False)] * REPLICATIONS
    areas = len(baseline.region.areas)
    assert after[REPLICATIONS:] == [("baseline", False)] * (REPLICATIONS * 2 * areas)
    assert out.htv_value is not None and len(set(out.htv_value["variant"])) == 2 * areas
    assert out.simulation.posts is not None and out.simulation.roster is not None

    # the same KPIs and staff tables as the scenario simulated alone on the run's plan and seeds
    alone = simulate(baseline, Allocation.from_result(out.plan), replications=REPLICATIONS, months=MONTHS)
    pd.testing.assert_frame_equal(out.simulation.kpis, alone.kpis)
    pd.testing.assert_frame_equal(out.simulation.roster, alone.roster)
