"""Regenerate the backtest's expected tables: ``.venv/bin/python tests/backtest/regenerate.py``.

Run it only when a change is MEANT to move the published baseline figures; then update the
README's figures and say in the commit message what moved and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backtest_figures import HERE, compute  # noqa: E402


def main() -> None:
    for name, table in compute().items():
        table.to_csv(HERE / name, index=False, float_format="%.10g")
        print(f"wrote {HERE / name} ({len(table)} rows)")


if __name__ == "__main__":
    main()
