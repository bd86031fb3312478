"""Sweeps: identical tables on every executor, resume after a kill, failing tasks reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import sweep_tasks
from resurssimalli.errors import InputError, RunFolderExists
from resurssimalli.experiment.sweep import SweepIncomplete, grid, run_grid, sweep
from resurssimalli.optimize import optimize
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation

MONTHS = 2
KEYS = ["scenario", "replication", "month", "kpi", "group"]


@pytest.fixture(scope="module")
def scenarios(scenario_dir):
    return [load_scenario(scenario_dir / f"{n}.yaml") for n in ("baseline", "plant_closure")]


@pytest.fixture(scope="module")
def allocation(scenarios):
    return Allocation.from_result(optimize(scenarios[0]))


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEYS).reset_index(drop=True)


def test_serial_processes_and_dask_give_identical_tables(scenarios, allocation):
    tasks = grid(scenarios, allocation, 2, seed=7, months=MONTHS)
    serial = run_grid(tasks, kind="serial")
    procs = run_grid(tasks, kind="processes", jobs=2)
    dask = run_grid(tasks, kind="dask", jobs=2)
    assert len(serial) > 0 and set(serial["scenario"]) == {"baseline", "plant_closure"}
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(procs))
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(dask))


def test_sweep_writes_tables_and_pairs_scenarios(tmp_path, scenarios, allocation):
    res = sweep(scenarios, 3, allocation=allocation, months=MONTHS, kind="serial", out=tmp_path / "s")
    assert (res.folder / "kpis.parquet").exists() and (res.folder / "manifest.json").exists()
    comp = pd.read_csv(res.folder / "comparison.csv")
    assert list(comp.columns) == [
        "scenario", "kpi", "group", "baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high", "n",
    ]
    assert set(comp["scenario"]) == {"plant_closure"} and comp["n"].between(0, 3).all(), comp["n"].unique()
    # a share by group may be undefined in a replication (none due): every whole-area row has all 3
    assert (comp.loc[comp["group"] == "all", "n"] == 3).all()
    row = comp[(comp["kpi"] == "stock") & (comp["group"] == "Hameenkyro")].iloc[0]
    assert row["diff_mean"] == pytest.approx(row["scenario_mean"] - row["baseline_mean"])
    # common random numbers: a closure in Hämeenkyrö leaves Kihniö's stock exactly unchanged
    kih = comp[(comp["kpi"] == "stock") & (comp["group"] == "Kihnio")].iloc[0]
    assert kih["diff_mean"] == 0 and kih["diff_ci_low"] == 0
    with pytest.raises(RunFolderExists):
        sweep(scenarios, 3, allocation=allocation, months=MONTHS, kind="serial", out=res.folder)


def test_failing_task_is_reported_and_others_complete(tmp_path, scenarios, allocation):
    out = tmp_path / "f"
    with pytest.raises(SweepIncomplete) as e:
        sweep(scenarios, 3, allocation=allocation, months=MONTHS, kind="processes", jobs=2, out=out,
              task_fn=sweep_tasks.fail_on_replication_1)
    msg = str(e.value)
    assert "2 of 6 tasks failed" in msg
    assert "scenario=baseline replication=1 seed=20230801" in msg and "deliberate failure" in msg
    stored = sorted(p.name for p in (out / "tasks").glob("*.parquet"))
    assert len(stored) == 4 and not any("r00001" in n for n in stored)
    assert not (out / "manifest.json").exists()
    # resume with the cause fixed: only the two failed tasks are computed
    res = sweep(scenarios, 3, months=MONTHS, kind="serial", resume=out)
    assert (res.computed, res.reused) == (2, 4)
    clean = sweep(scenarios, 3, allocation=allocation, months=MONTHS, kind="serial", out=tmp_path / "c")
    pd.testing.assert_frame_equal(_sorted(res.kpis), _sorted(clean.kpis))


def test_resume_refuses_a_different_sweep(tmp_path, scenarios, allocation):
    out = tmp_path / "d"
    with pytest.raises(SweepIncomplete):
        sweep(scenarios, 2, allocation=allocation, months=MONTHS, kind="serial", out=out,
              task_fn=sweep_tasks.fail_on_replication_1)
    with pytest.raises(InputError) as e:
        sweep(scenarios, 3, months=MONTHS, kind="serial", resume=out)
    assert "replications" in str(e.value)


def test_killed_sweep_resumes_without_losing_tasks(tmp_path, scenario_dir):
    """A sweep killed mid-way (SIGKILL) and resumed ends with the same table as an uninterrupted one."""
    names = [str(scenario_dir / f"{n}.yaml") for n in ("baseline", "recession", "ageing")]
    out = tmp_path / "killed"
    base = [sys.executable, "-m", "resurssimalli.cli", "sweep", *names, "--replications", "8", "--months", "12",
            "--jobs", "1"]
    proc = subprocess.Popen([*base, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "tasks").glob("*.parquet"))) < 3 and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "tasks").glob("*.parquet")}
    assert 3 <= len(before) < 24, f"killed too late or too early: {len(before)} tasks done"
    assert not (out / "manifest.json").exists()
    again = subprocess.run([*base, "--resume", str(out)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{24 - len(before)} tasks computed, {len(before)} reused" in again.stdout
    after = {p.name: p.stat().st_mtime_ns for p in (out / "tasks").glob("*.parquet")}
    assert all(after[n] == t for n, t in before.items()), "completed tasks were not recomputed"
    whole = tmp_path / "whole"
    subprocess.run([*base, "--out", str(whole)], check=True, capture_output=True, timeout=600)
    resumed = pd.read_parquet(out / "kpis.parquet")
    uninterrupted = pd.read_parquet(whole / "kpis.parquet")
    pd.testing.assert_frame_equal(_sorted(resumed), _sorted(uninterrupted))
    pd.testing.assert_frame_equal(pd.read_csv(out / "comparison.csv"), pd.read_csv(whole / "comparison.csv"))


def test_ctrl_c_stores_finished_tasks_and_says_how_to_resume(tmp_path, scenario_dir):
    # 60 one-year tasks (several seconds): the interrupt lands long before the sweep could end
    names = [str(scenario_dir / f"{n}.yaml") for n in ("baseline", "recession", "ageing")]
    out = tmp_path / "int"
    cmd = [sys.executable, "-m", "resurssimalli.cli", "sweep", *names, "--replications", "20", "--months", "12",
           "--jobs", "1", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "tasks").glob("*.parquet"))) < 2 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    assert len(list((out / "tasks").glob("*.parquet"))) >= 2 and not (out / "manifest.json").exists()


def test_batches_keep_a_scenarios_replications_together_and_give_the_same_tables(scenarios, allocation):
    from resurssimalli.experiment.sweep import batches, simulate_batch, simulate_task

    tasks = grid(scenarios, allocation, 4, seed=7, months=MONTHS)
    got = batches(tasks, jobs=1)  # half of what is left at most, one scenario per batch
    assert [len(b.tasks) for b in got] == [4, 2, 1, 1]
    assert [t for b in got for t in b.tasks] == tasks  # every task once, in order
    assert all(len({id(t.scenario) for t in b.tasks}) == 1 for b in got)
    assert len(batches(tasks, jobs=8)) == len(tasks)  # many workers: one task each
    assert [len(b.tasks) for b in batches(grid(scenarios[:1], allocation, 30, 7), jobs=2)] == [
        8, 6, 4, 3, 3, 2, 1, 1, 1, 1,
    ]  # one scenario's 30 replications on 2 workers: the tail goes one by one
    results = simulate_batch(got[1])
    assert all(ok for ok, _ in results)
    for t, (_, table) in zip(got[1].tasks, results, strict=True):
        pd.testing.assert_frame_equal(table, simulate_task(t))


def test_a_failing_replication_fails_only_its_own_task_in_a_batch(scenarios, allocation):
    from resurssimalli.experiment.sweep import Batch, Task, simulate_batch

    bad = Task(scenarios[0], allocation, -1, 7, MONTHS)  # a negative replication cannot be seeded
    good = Task(scenarios[0], allocation, 0, 7, MONTHS)
    (ok_bad, exc), (ok_good, table) = simulate_batch(Batch((bad, good)))
    assert not ok_bad and isinstance(exc, Exception) and ok_good and len(table) > 0
