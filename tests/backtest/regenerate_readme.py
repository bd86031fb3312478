"""Rewrite every result figure of README.md and optimize/README.md from fresh runs (issue 28).

    .venv/bin/python tests/backtest/regenerate_readme.py            # everything (a few minutes)
    .venv/bin/python tests/backtest/regenerate_readme.py --stored   # optimiser fresh; simulation from the stored tables
    .venv/bin/python tests/backtest/regenerate_readme.py --sensitivity-from FOLDER   # reuse a sensitivity run

The optimiser figures are computed fresh; the simulation figures come from seeded runs whose
tables are stored beside this file (``readme_*.csv``, what ``test_readme_figures.py`` renders
the README's simulation spans from). The sensitivity figures come from the Morris screening of the
baseline (:mod:`readme_sensitivity`, the longest part, on 2 workers): ``--sensitivity-from`` takes
a finished or interrupted sensitivity run of the baseline (e.g. the benchmark's folder) instead,
``--stored-sensitivity`` keeps the stored sensitivity tables. Run it when a change is meant to
move a published figure, after ``regenerate.py`` (the backtest's tables), and commit the READMEs with the tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from readme_figures import READMES, fill  # noqa: E402
from readme_optimiser import optimiser_figures  # noqa: E402
from readme_sensitivity import regenerate_sensitivity_tables, sensitivity_figures  # noqa: E402
from readme_simulation import regenerate_tables, simulation_figures  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--stored",
        action="store_true",
        help="simulation and sensitivity figures from the stored tables (no simulation)",
    )
    ap.add_argument(
        "--sensitivity-from",
        type=Path,
        help="a sensitivity run folder of the baseline to take the figures from",
    )
    ap.add_argument(
        "--stored-sensitivity",
        action="store_true",
        help="sensitivity figures from the stored tables (no run)",
    )
    args = ap.parse_args(argv)
    if not args.stored:
        for path in regenerate_tables():
            print(f"wrote {path}")
    if not (args.stored or args.stored_sensitivity):
        for path in regenerate_sensitivity_tables(args.sensitivity_from):
            print(f"wrote {path}")
    figures = optimiser_figures() | simulation_figures() | sensitivity_figures()
    for path in READMES:
        text = path.read_text(encoding="utf-8")
        new = fill(text, figures)
        if new != text:
            path.write_text(new, encoding="utf-8")
        print(f"{'rewrote' if new != text else 'unchanged'} {path}")


if __name__ == "__main__":
    main()
