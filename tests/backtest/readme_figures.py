"""Every result figure the READMEs publish, computed from a run and written into marked spans.

``README.md`` and ``src/resurssimalli/optimize/README.md`` hold each published result between
markers: ``<!-- fig:NAME -->text<!-- /fig -->`` (inline, or a whole table between the markers on
their own lines). :func:`fill` rewrites the text between the markers from ``figures``; nothing
outside a span is touched, so other edits of the READMEs merge.

Two kinds of figure:

* **optimiser** (:mod:`.readme_optimiser`): computed fresh from ``optimize()`` in seconds;
  ``test_readme_figures.py`` recomputes them in ``make test`` and fails on a stale one.
* **simulation** (:mod:`.readme_simulation`): computed by ``regenerate_readme.py`` from seeded
  runs and stored as tables beside this file (``readme_*.csv``); the test renders them again from
  the stored tables (a span edited by hand, or a table regenerated without the README, fails) and
  checks the stored baseline against ``expected_kpi_summary.csv``, which ``test_backtest.py``
  recomputes.

Regenerate every figure and both READMEs with one command::

    .venv/bin/python tests/backtest/regenerate_readme.py
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
READMES = (ROOT / "README.md", ROOT / "src" / "resurssimalli" / "optimize" / "README.md")

SPAN = re.compile(r"<!-- fig:(?P<name>[a-z0-9_]+) -->(?P<text>.*?)<!-- /fig -->", re.DOTALL)


def spans(text: str) -> dict[str, list[str]]:
    """Every marked span's text, by figure name (a name may be used more than once)."""
    out: dict[str, list[str]] = {}
    for m in SPAN.finditer(text):
        out.setdefault(m["name"], []).append(m["text"])
    return out


def _inner(value: str, old: str) -> str:
    """A block span (its text on lines of its own) keeps its line breaks around the new text."""
    if old.startswith("\n"):
        return "\n" + value.strip("\n") + "\n"
    return value


def fill(text: str, figures: Mapping[str, str], *, strict: bool = True) -> str:
    """``text`` with every marked span rewritten from ``figures``.

    ``strict``: a span whose name ``figures`` lacks is an error (a figure nothing computes is a
    figure nobody can regenerate); otherwise such spans are left as they are.
    """
    missing = sorted({m["name"] for m in SPAN.finditer(text)} - set(figures))
    if strict and missing:
        raise KeyError(f"README spans with no computed figure: {missing}")

    def sub(m: re.Match) -> str:
        if m["name"] not in figures:
            return m.group(0)
        return f"<!-- fig:{m['name']} -->{_inner(figures[m['name']], m['text'])}<!-- /fig -->"

    return SPAN.sub(sub, text)


def md_table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A Markdown table; columns in ``right`` aligned right."""
    right = right or set()
    rule = "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|"
    return "\n".join(["| " + " | ".join(header) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)])


def eur(x: float) -> str:
    return f"{x:,.0f}"


def pct(x: float, decimals: int = 1) -> str:
    """A share as printed in the READMEs: ``18.2 %``."""
    return f"{100.0 * x:.{decimals}f} %"
