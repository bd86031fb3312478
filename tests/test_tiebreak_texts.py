"""The tie-break order reads the same wherever it is described (issue 28).

``tiebreak.TIEBREAK_ORDER`` is the one wording; every text that describes the order quotes it.
The order itself is checked against the code in test_optimize_meaning (the baseline's split
deviation after the tie-break is the least the common floor allows, not 0).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from resurssimalli.optimize import model, tiebreak
from resurssimalli.optimize.tiebreak import TIEBREAK_ORDER

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "resurssimalli"


def _flat(text: str) -> str:
    """Whitespace and Markdown/docstring line breaks made single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def _row(path: Path, key: str) -> str:
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    header = next(r for r in rows if r and r[0] == "key")
    column = "source_fi" if "source_fi" in header else "source"  # not the range columns after it
    return next(r for r in rows if r and r[0] == key)[header.index(column)]


TEXTS = {
    "tiebreak docstring": lambda: tiebreak.__doc__,
    "_split_rules docstring": lambda: model._split_rules.__doc__,
    "assumptions.csv": lambda: _row(PKG / "data" / "assumptions.csv", "staff.split_deviation_penalty_eur"),
    "optimize/README.md": lambda: (PKG / "optimize" / "README.md").read_text(encoding="utf-8"),
    "README.md": lambda: (ROOT / "README.md").read_text(encoding="utf-8"),
}


@pytest.mark.parametrize("where", list(TEXTS))
def test_english_texts_quote_the_one_order(where):
    assert _flat(TIEBREAK_ORDER["en"]) in _flat(TEXTS[where]()), (
        f"{where} describes the tie-break order otherwise"
    )


def test_finnish_assumption_quotes_the_one_order():
    text = _row(PKG / "report" / "assumptions_fi.csv", "staff.split_deviation_penalty_eur")
    assert _flat(TIEBREAK_ORDER["fi"]) in _flat(text)


@pytest.mark.parametrize("where", list(TEXTS))
def test_no_text_says_the_split_comes_first(where):
    """The old, false wording: the split decided before the shares are evened out, the value kept."""
    text = _flat(TEXTS[where]()).lower()
    for false in (
        "before the served shares are evened out",
        "keeps that value",
        "the tie-break then evens out",
    ):
        assert false not in text, f"{where}: {false!r}"


def test_the_code_raises_the_floor_before_the_split():
    """What the wording says, on the baseline: with the split band held as a rule the plan costs the
    same, so a split deviation of 0 was possible at the optimum's cost; the tie-break chose the
    higher common floor (headroom) and a deviation instead: floor first, then the split."""
    from resurssimalli.optimize import optimize
    from resurssimalli.scenario import load_scenario

    goal = optimize(load_scenario(ROOT / "scenarios" / "baseline.yaml")).summary
    hard = optimize(
        load_scenario(ROOT / "scenarios" / "baseline.yaml", {"staff": {"split_mode": "hard"}})
    ).summary
    deviation = sum(g["deviation_htv"] for g in goal["split"].values())
    assert deviation > 0.01
    assert hard["total_cost_eur"] == pytest.approx(goal["total_cost_eur"], rel=1e-9)
    assert hard["unserved_hours_total"] == pytest.approx(0.0, abs=1e-6)
    assert hard["headroom_share"] < goal["headroom_share"] - 1e-4
