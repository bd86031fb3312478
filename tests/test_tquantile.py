"""The Student-t quantile table stands in for scipy.stats bit for bit, and keeps it out of ``run``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy import stats as st

from resurssimalli.tquantile import T975, t_quantile


def test_every_table_entry_is_scipys_quantile() -> None:
    dof = np.arange(1, len(T975) + 1)
    assert (T975 == st.t.ppf(0.975, dof)).all()
    assert t_quantile(0.975, 7) == st.t.ppf(0.975, 7)
    assert (t_quantile(0.975, np.array([1.0, 29.0, 1000.0])) == st.t.ppf(0.975, [1, 29, 1000])).all()


def test_other_levels_and_degrees_of_freedom_come_from_scipy() -> None:
    assert t_quantile(0.95, 5) == st.t.ppf(0.95, 5)
    assert t_quantile(0.975, 5000) == st.t.ppf(0.975, 5000)
    assert t_quantile(0.975, 2.5) == st.t.ppf(0.975, 2.5)


def test_the_run_path_does_not_import_scipy_stats() -> None:
    code = (
        "import sys, resurssimalli.cli, resurssimalli.pipeline, resurssimalli.report.write; "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
