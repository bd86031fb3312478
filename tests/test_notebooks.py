"""The analyst notebooks run top to bottom on the public API (small replication counts) and are
stored without outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAPERMILL = Path(sys.executable).parent / "papermill"  # installed by make (the dev extras)
NAMES = ["01_baseline_plan.ipynb", "02_structural_change_stress_test.ipynb", "03_cost_vs_access.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name: str, tmp_path: Path) -> None:
    """As the README says: ``papermill NOTEBOOK OUT -p NAME VALUE`` (papermill is in the dev extras)."""
    out = tmp_path / name
    done = subprocess.run(
        [str(PAPERMILL), str(NOTEBOOKS / name), str(out), "-p", "OUT_DIR", str(tmp_path), "-p", "REPLICATIONS", "2",
         "-p", "MONTHS", "3", "--cwd", str(NOTEBOOKS), "-k", "python3", "--no-progress-bar"],
        capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    runs = [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert runs and all((r / "memo.en.md").exists() and (r / "results.en.xlsx").exists() for r in runs)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_stored_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    source = "\n".join(c.source for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])  # papermill -p NAME VALUE works
    assert "os.environ" not in source
    assert "resurssimalli." in source
    assert not re.search(r"resurssimalli[\w.]*\._", source), "only the public API"
