"""Run folders, manifests, the main command and the assumptions table."""

from __future__ import annotations


import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from resurssimalli.errors import InputError, RunFolderExists
from resurssimalli.report.assumptions import assumptions_table, covering_key, leaf_values, load_sources
from resurssimalli.runs import RunFolder, atomic_write
from resurssimalli.scenario import load_scenario

SHIPPED = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def test_run_folder_appears_only_when_finished(tmp_path, baseline):
    final = tmp_path / "r"
    rf = RunFolder(final, scenario=baseline, command="test")
    rf.write_text("a.txt", "x")
    assert not final.exists()
    rf.finish()
    assert (final / "a.txt").read_text() == "x"
    m = json.loads((final / "manifest.json").read_text())
    assert m["scenario"]["hash_sha256"] == baseline.hash
    assert m["scenario"]["name"] == "baseline"
    assert m["seed"] == baseline.seed
    assert m["scenario"]["resolved"]["staff"]["total_htv"] == 32.66
    for lib in ("python", "pyomo", "highspy", "simpy"):
        assert m["versions"][lib]
    assert m["started_utc"] <= m["finished_utc"]
    assert "git_commit" in m


def test_failed_run_leaves_nothing(tmp_path, baseline):
    final = tmp_path / "r"
    with pytest.raises(RuntimeError), RunFolder(final, scenario=baseline) as rf:
        rf.write_text("half.txt", "x")
        raise RuntimeError("crash")
    assert not final.exists()
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites(tmp_path, baseline):
    final = tmp_path / "r"
    final.mkdir()
    (final / "keep.txt").write_text("earlier run")
    with pytest.raises(RunFolderExists):
        RunFolder(final, scenario=baseline)
    assert (final / "keep.txt").read_text() == "earlier run"
    with pytest.raises(InputError, match="--force"):
        atomic_write(final / "keep.txt", lambda p: p.write_text("new"))
    assert (final / "keep.txt").read_text() == "earlier run"


def test_default_names_do_not_collide(tmp_path, baseline):
    a = RunFolder.new("baseline", root=tmp_path, scenario=baseline).finish()
    b = RunFolder.new("baseline", root=tmp_path, scenario=baseline).finish()
    assert a != b and a.name.startswith("baseline-") and b.exists()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_parameter_has_a_source_or_assumption(path):
    keys = list(load_sources()["key"])
    uncovered = [k for k in leaf_values(load_scenario(path)) if covering_key(k, keys) is None]
    assert uncovered == []


def test_assumptions_table_statuses_and_values(baseline):
    t = assumptions_table(baseline)
    assert set(t["status"]) <= {"sourced", "derived", "assumption"}
    assert (t["source"].str.len() > 5).all()
    row = t.set_index("key").loc["staff.total_htv"]
    assert row["value"] == "32.66" and row["status"] == "sourced"


def test_make_run_entry_point_end_to_end(tmp_path):
    """The console script as a planner runs it (a subprocess: real exit code, real output)."""
    out = tmp_path / "run1"
    scen = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    cmd = [sys.executable, "-m", "resurssimalli.cli", "run", str(scen), "--out", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    text = re.sub(r"(?<=\d)[\s,\u202f\xa0](?=\d{3})", "", p.stdout)  # thousands separators, fi or en
    assert ("32,66" in text or "32.66" in text) and "Sastamala" in text and "1808" in text
    assert (out / "manifest.json").exists()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert "Sastamala" not in again.stdout  # refused before any work: not even the region summary


def test_results_are_readable_like_ordinary_files(tmp_path, baseline):
    import os
    import stat

    old = os.umask(0o022)
    try:
        final = RunFolder(tmp_path / "r", scenario=baseline).finish()
        atomic_write(final / "extra.txt", lambda p: p.write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(final.stat().st_mode) == 0o755
    assert stat.S_IMODE((final / "manifest.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((final / "extra.txt").stat().st_mode) == 0o644


def test_sweep_needs_an_explicit_folder(baseline, tmp_path, monkeypatch):
    """``sweep()`` never writes into the current folder: without ``out`` (or ``resume``) it refuses."""
    from resurssimalli.errors import InputError
    from resurssimalli.experiment.sweep import sweep

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="out"):
        sweep([baseline], 1, months=1, kind="serial")
    assert list(tmp_path.iterdir()) == []


def test_run_pipeline_needs_an_explicit_folder(baseline, tmp_path, monkeypatch):
    from resurssimalli.errors import InputError
    from resurssimalli.pipeline import run_pipeline

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="out"):
        run_pipeline(baseline, None, replications=1, months=1)
    assert list(tmp_path.iterdir()) == []
