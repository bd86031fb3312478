"""Usage errors (an unknown option, a missing argument) exit 2 with click's message, no traceback.

typer vendors its own copy of click since 0.20, so the entry point must catch both classes.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_unknown_option_is_a_usage_error_not_a_traceback():
    res = subprocess.run(
        [sys.executable, "-m", "resurssimalli.cli", "run", "scenarios/baseline.yaml", "--no-such-option"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "No such option" in res.stderr and "Traceback" not in res.stderr
