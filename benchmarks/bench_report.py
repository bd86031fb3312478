"""Report stage: time to write the memo (md + html + figures + results.xlsx) and the PDF.

A real baseline run (optimiser with a 3-point front, 3 simulated replications of 6 months) is
made once in a temporary folder; each variant is timed 3 times and the median printed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from resurssimalli.optimize import optimize
from resurssimalli.report import write_report
from resurssimalli.runs import RunFolder
from resurssimalli.scenario import load_scenario
from resurssimalli.simulate import Allocation, simulate

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3


def _median(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        plan = optimize(s, pareto=3)
        sim = simulate(s, Allocation.from_result(plan), replications=3, months=6)
        with RunFolder.new(s.name, run, scenario=s, command="bench") as rf:
            plan.write(rf)
            rf.write_parquet("kpis.parquet", sim.kpis)
            rf.write_csv("summary.csv", pd.DataFrame(sim.summary))
        fi = _median(lambda: write_report(run, lang="fi"))
        en_pdf = _median(lambda: write_report(run, lang="en", pdf=True))
    print(f"write_report fi (md+html+figures+xlsx): median {fi:.2f} s over {REPEATS}")
    print(f"write_report en --pdf:                  median {en_pdf:.2f} s over {REPEATS}")
    print(f"ratio pdf/no-pdf: {en_pdf / fi:.2f}")


if __name__ == "__main__":
    main()
