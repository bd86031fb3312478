"""The simulate command and API: run folder contents, bad input, precision (Hoad et al.)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from resurssimalli.cli import app
from resurssimalli.errors import InputError
from resurssimalli.simulate import Allocation, simulate
from resurssimalli.simulate.runner import hoad_decision
from test_simulate_support import proportional_allocation

runner = CliRunner()


@pytest.fixture(scope="module")
def alloc_dir(tmp_path_factory, scenario_dir):
    """A real optimiser run folder (the simulation's --allocation)."""
    d = tmp_path_factory.mktemp("alloc") / "opt"
    res = runner.invoke(app, ["optimize", str(scenario_dir / "baseline.yaml"), "--out", str(d)])
    assert res.exit_code == 0, res.output
    return d


def test_simulate_command_writes_the_run_folder(tmp_path, scenario_dir, alloc_dir):
    out = tmp_path / "run"
    args = ["simulate", str(scenario_dir / "baseline.yaml"), "--allocation", str(alloc_dir)]
    res = runner.invoke(
        app, [*args, "--replications", "3", "--months", "3", "--jobs", "2", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis.columns) == ["scenario", "replication", "month", "month_index", "kpi", "group", "value"]
    assert sorted(kpis["replication"].unique()) == [0, 1, 2] and kpis["month_index"].max() == 2
    assert kpis["month"].max() == "2023-10"
    summary = pd.read_csv(out / "summary.csv")
    cols = ["scenario", "kpi", "group", "period", "month", "mean", "ci_low", "ci_high", "n"]
    assert list(summary.columns) == cols
    on_time = summary[(summary["kpi"] == "initial_interview_on_time_share") & (summary["group"] == "all")]
    assert list(on_time["period"]) == ["horizon", "2023-08", "2023-09", "2023-10", "worst"]
    assert not list(out.glob("*.png"))  # figures are the report's, drawn once with the memo
    man = json.loads((out / "manifest.json").read_text())
    sim = man["simulation"]
    assert sim["replications"] == 3 and sim["seed"] == 20230801 and sim["warm_up_days"] == 0
    assert sim["warm_up"].startswith("none")
    assert not (out / "events.parquet").exists()  # the event log is off by default


def test_event_log_on_request(tmp_path, scenario_dir, alloc_dir):
    out = tmp_path / "run"
    args = ["simulate", str(scenario_dir / "baseline.yaml"), "--allocation", str(alloc_dir), "--event-log"]
    res = runner.invoke(app, [*args, "--replications", "1", "--months", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ev = pd.read_parquet(out / "events.parquet")
    assert {"arrival", "interview", "conversation", "exit", "stock"} <= set(ev["event"])
    assert ev["time_days"].is_monotonic_increasing or ev["time_days"].min() >= 0


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--jobs", "0"], "--jobs"),
        (["--replications", "0"], "--replications"),
        (["--precision", "2"], "--precision"),
        (["--allocation", "/nonexistent/run"], "allocation.csv"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, scenario_dir, alloc_dir, extra, needle):
    import subprocess
    import sys

    from resurssimalli.cli import main  # noqa: F401  (the console entry maps errors to exit 2)

    out = tmp_path / "run"
    args = ["simulate", str(scenario_dir / "baseline.yaml"), "--months", "1", "--out", str(out)]
    if "--allocation" not in extra:
        args += ["--allocation", str(alloc_dir)]
    proc = subprocess.run(
        [sys.executable, "-c", "from resurssimalli.cli import main; main()", *args, *extra],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_bad_access_shares_are_an_input_error(baseline):
    a = proportional_allocation(baseline)
    acc = a.access.copy()
    acc.loc[0, "share"] = 0.5
    bad = Allocation.from_frames(a.allocation, a.sites, acc, source="access.csv")
    with pytest.raises(InputError, match="summing to 1"):
        simulate(baseline, bad, replications=1, months=1)
    with pytest.raises(InputError, match="columns"):
        Allocation.from_frames(a.allocation.drop(columns="htv"), a.sites, a.access)


def test_hoad_decision_rule():
    steady = [{"x": 10.0 + (i % 2) * 0.01} for i in range(12)]
    assert hoad_decision(steady, 0.01) == 3  # precise from the start; confirmed over 5 more
    assert hoad_decision(steady[:7], 0.01) is None  # look-ahead not complete yet
    noisy = [{"x": v} for v in (1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0)]
    assert hoad_decision(noisy, 0.01) is None


def test_precision_picks_replications_independently_of_jobs(baseline):
    a = proportional_allocation(baseline)
    one = simulate(baseline, a, precision=0.05, months=6, seed=5, jobs=1)
    two = simulate(baseline, a, precision=0.05, months=6, seed=5, jobs=2)
    assert one.replications == two.replications >= 3
    pd.testing.assert_frame_equal(one.kpis, two.kpis)
    assert all(w <= 0.05 for w in one.precision_widths.values() if not math.isnan(w))


def test_one_pool_for_every_scenario_gives_the_same_tables_as_separate_runs(baseline, scenario_dir, alloc_dir):
    """simulate_many (one pool, all scenario x replication tasks) equals one simulate() per
    scenario, serial or on two processes: results never depend on the executor or on jobs."""
    from resurssimalli.scenario import load_scenario
    from resurssimalli.simulate import simulate_many

    a = Allocation.from_run_folder(alloc_dir)
    other = load_scenario(scenario_dir / "recession.yaml")
    pooled = simulate_many([baseline, other], a, replications=2, months=2, jobs=2)
    for s in (baseline, other):
        alone = simulate(s, a, replications=2, months=2, jobs=1)
        pd.testing.assert_frame_equal(pooled[s.name].kpis, alone.kpis)
    assert pooled["recession"].seed == pooled["baseline"].seed
