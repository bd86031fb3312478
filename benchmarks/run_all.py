"""Run every ``benchmarks/bench_*.py`` (each has a ``main()`` that prints its figures).

``make bench`` calls this. Figures are medians of repeated runs measured side by side in one
process run; copy them into ``benchmarks/README.md`` with the date and machine.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(selected: list[str]) -> None:
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and not any(s in path.stem for s in selected):
            continue
        print(f"\n=== {path.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.main()


if __name__ == "__main__":
    main(sys.argv[1:])
