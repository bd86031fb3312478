"""A run killed at any stage (SIGINT or SIGKILL) leaves no visible run folder, or a complete one.

The run is a real ``resurssimalli run`` in a subprocess (a short one). The test waits for a
stage to be reached — the hidden temporary folder appearing (tables being written), or the
memo's first figure inside it — and then sends the signal. Whatever the timing, the property
checked is the same: the results folder shows nothing, or a folder with the manifest, memo and
workbook; after SIGINT not even a hidden temporary folder is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPLETE = {"manifest.json", "memo.md", "memo.html", "results.xlsx", "allocation.csv", "kpis.parquet"}


def _hidden(results: Path) -> list[Path]:
    return [p for p in results.iterdir() if p.name.startswith(".")] if results.exists() else []


def _reached(results: Path, stage: str) -> bool:
    if stage == "write":
        return bool(_hidden(results))
    return any(results.glob("*/figure_*"))  # "memo": the memo's first figure exists (in any folder)


def _run_and_kill(tmp_path: Path, stage: str, sig: signal.Signals) -> tuple[Path, int]:
    (tmp_path / "baseline.yaml").write_bytes((ROOT / "scenarios" / "baseline.yaml").read_bytes())
    results = tmp_path / "results"
    results.mkdir()
    cmd = [sys.executable, "-m", "resurssimalli.cli", "run", "baseline.yaml", "--out", "results/run",
           "--no-compare", "--pareto", "0", "--replications", "1", "--months", "1", "--jobs", "1"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while proc.poll() is None and not _reached(results, stage) and time.monotonic() < deadline:
        time.sleep(0.02)
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=300)
    assert b"Traceback" not in err, err.decode()
    if proc.returncode == 130:  # interrupted: the command says so
        assert b"interrupted" in err, err.decode()
    return results, proc.returncode


def _assert_nothing_or_complete(results: Path) -> None:
    visible = [p for p in results.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in visible] in ([], ["run"])
    if visible:
        assert {p.name for p in visible[0].iterdir()} >= COMPLETE


@pytest.mark.parametrize("stage", ["write", "memo"])
def test_sigkill_leaves_nothing_visible_or_a_complete_run(tmp_path: Path, stage: str) -> None:
    results, _ = _run_and_kill(tmp_path, stage, signal.SIGKILL)
    _assert_nothing_or_complete(results)


@pytest.mark.parametrize("stage", ["write", "memo"])
def test_sigint_cleans_up_completely(tmp_path: Path, stage: str) -> None:
    results, code = _run_and_kill(tmp_path, stage, signal.SIGINT)
    _assert_nothing_or_complete(results)
    assert _hidden(results) == []
    assert code in (0, 130, -signal.SIGINT)  # finished first, interrupted, or killed before Python started


def test_losing_run_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """Two runs into one --out: the second is refused as it starts (the first claimed the name),
    before any work, and leaves nothing; the first publishes."""
    from resurssimalli.errors import InputError, RunFolderExists
    from resurssimalli.runs import RunFolder

    final = tmp_path / "out"
    first = RunFolder(final)
    with pytest.raises(InputError, match="no other run is writing"):
        RunFolder(final)
    first.write_text("a.txt", "first")
    first.finish()
    with pytest.raises(RunFolderExists):
        RunFolder(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (final / "a.txt").read_text() == "first"


def test_failing_last_step_publishes_nothing(tmp_path: Path) -> None:
    """A step run before publishing (the memo) that fails leaves neither folder nor temporary folder."""
    from resurssimalli.runs import RunFolder

    def broken_memo(folder: Path) -> None:
        (folder / "memo.md").write_text("half")
        raise RuntimeError("memo failed")

    with pytest.raises(RuntimeError), RunFolder(tmp_path / "out") as rf:
        rf.write_text("a.txt", "x")
        rf.on_complete(broken_memo)
    assert list(tmp_path.iterdir()) == []
