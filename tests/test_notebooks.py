"""The analyst notebooks run top to bottom on the public API (small replication counts) and are
stored without outputs."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_baseline_plan.ipynb", "02_structural_change_stress_test.ipynb", "03_cost_vs_access.ipynb"]


def inject_parameters(nb: nbformat.NotebookNode, **params: object) -> nbformat.NotebookNode:
    """Papermill's way: a cell of new values right after the cell tagged ``parameters``."""
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]}))
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = inject_parameters(
        nbformat.read(NOTEBOOKS / name, as_version=4), OUT_DIR=str(tmp_path), REPLICATIONS=2, MONTHS=3
    )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
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
