"""`run` compares the scenarios it is told to: a `compare:` list or `run --compare`, never a scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from resurssimalli.errors import InputError, InputErrors
from resurssimalli.pipeline import compared_scenarios
from resurssimalli.scenario import load_scenario


@pytest.fixture
def folder(tmp_path: Path, scenario_dir: Path) -> Path:
    for f in scenario_dir.glob("*.yaml"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "draft.yaml").write_text("extends: baseline.yaml\nstaff: {total_htv: [broken\n")
    return tmp_path


def test_baseline_lists_the_shipped_structural_change_scenarios(scenario_dir: Path, baseline) -> None:
    structural = {"plant_closure", "recession", "ageing", "immigration", "digitalisation", "staff_shortage", "law_2026"}
    assert {Path(f).stem for f in baseline.config.compare} == structural
    assert all((scenario_dir / f).is_file() for f in baseline.config.compare)
    assert load_scenario(scenario_dir / "recession.yaml").config.compare == []  # not inherited


def test_an_unnamed_broken_file_does_not_affect_a_run(folder: Path) -> None:
    base = load_scenario(folder / "baseline.yaml")
    names = [s.name for s in compared_scenarios(base)]
    assert names == [
        "plant_closure",
        "recession",
        "ageing",
        "immigration",
        "digitalisation",
        "staff_shortage",
        "law_2026",
    ]
    assert [s.name for s in compared_scenarios(base, [folder / "recession.yaml"])] == ["recession"]


def test_a_named_broken_file_is_an_error_naming_it(folder: Path) -> None:
    base = load_scenario(folder / "baseline.yaml")
    with pytest.raises((InputError, InputErrors)) as e:
        compared_scenarios(base, [folder / "draft.yaml"])
    assert "draft.yaml" in str(e.value)
