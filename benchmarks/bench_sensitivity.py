"""Sensitivity benchmark (issue 29): Morris screening of the baseline over every ranged assumption
(default trajectories and replications, the full horizon) on 2 workers, with the flip search.
Target: at most 5 minutes on the project's 2-core machine.

Run once (``python benchmarks/run_all.py sensitivity``); it prints the wall time, the points, the
five assumptions that matter most over the decision quantities and the verdicts that flip (the
README's figures). The run folder is kept under ``results/`` for ``resurssimalli memo`` and for
``tests/backtest/readme_sensitivity.py --from FOLDER``, which renders the README's figures from it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from resurssimalli.experiment.sensitivity import default_folder, sensitivity
from resurssimalli.report.sensitivity import overall_top
from resurssimalli.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 300.0


def main() -> None:
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    out = default_folder(baseline, ROOT / "results")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = sensitivity(baseline, jobs=2, out=out)
    wall = time.perf_counter() - t0
    n_factors = res.factors.shape[0]
    print(f"{n_factors} assumptions, {res.computed} points computed ({res.reused} reused) in {wall:.1f} s "
          f"on 2 workers (load average at start {load:.1f}); target {TARGET_SECONDS:.0f} s: "
          f"{'met' if wall <= TARGET_SECONDS else 'missed'}")  # fmt: skip
    print("top five over the decision quantities:", ", ".join(overall_top(res.indices)))
    flips = res.flips[res.flips["flips"]]
    for r in flips.itertuples(index=False):
        print(f"flip: {r.verdict} ({'holds' if r.holds_at_base else 'fails'} now) by {r.factor}: "
              f"{r.value_base} -> holds at {r.value_holds}, flips at {r.value_flips}")  # fmt: skip
    print(f"folder: {res.folder}")


if __name__ == "__main__":
    main()
